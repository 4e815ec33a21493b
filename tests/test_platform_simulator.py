"""The platform simulator over real HTTP: calls built by platform_sync.protocol.signed_request, answers read
through platform_sync.apis (the same protocol YAML a sync client reads), records checked against the demo
generator's own order book."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from demo_data.orders import NEVER
from platform_simulator import running_simulator
from platform_sync.apis import dig, platform_apis, token_result
from platform_sync.protocol import TIMESTAMP_FORMATS, signed_request

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SHOPS = {"taobao": "tb01", "tmall": "tm01", "jd": "jd01", "pdd": "pdd01", "douyin": "dy01"}
PLATFORMS = ["taobao", "pdd", "jd", "douyin"]
NOW = dt.datetime(2026, 10, 3, 22, 0, tzinfo=SHANGHAI)  # the last generated day's busiest hours


@pytest.fixture
def sim():
    with running_simulator(shops=10, days=3, now=NOW) as simulator:  # two shops per platform
        yield simulator


def window(sim, platform, resource="orders", longest=3 * 3600):
    """A window ending 5 minutes before now, as long as the platform allows up to `longest` seconds."""
    end = sim.clock.now - dt.timedelta(minutes=5)
    seconds = min(platform_apis()[platform].resources[resource].list.window.max_seconds, longest)
    return end - dt.timedelta(seconds=seconds), end


def call(sim, platform, api, params, *, secret=None, access_token=None, sign_method=None, now=None):
    """One signed call over HTTP, sent the way the protocol says (form, or query + JSON body)."""
    credentials = sim.credentials[SHOPS[platform]]
    request = signed_request(sim.protocol(platform), api, params, app_key=credentials.app_key,
                             secret=secret or credentials.secret,
                             access_token=access_token or credentials.access_token, now=now or sim.clock.now,
                             sign_method=sign_method)
    if request.json_body is not None:
        response = requests.post(request.url, params=request.query, data=request.json_body.encode(),
                                 headers={"Content-Type": "application/json"}, timeout=10)
    else:
        response = requests.post(request.url, params=request.query, data=request.form, timeout=10)
    assert response.status_code == 200  # errors travel inside HTTP 200
    return response.json()


def list_params(platform, resource, start, end, page=None, size=None):
    apis = platform_apis()[platform].resources[resource]
    api, window = apis.list, apis.list.window
    params = {window.start: TIMESTAMP_FORMATS[window.format](start), window.end: TIMESTAMP_FORMATS[window.format](end),
              api.page_param: api.page_base if page is None else page, api.page_size_param: size or 5,
              **api.set_params}
    if api.fields_param:
        names = apis.list_fields if apis.partial else [name.split(".")[0] for name in apis.fields]
        params[api.fields_param] = ",".join(dict.fromkeys([*names, *([apis.lines.path] if apis.lines else [])]))
    return params


def listed(sim, platform, resource, start, end, page=None, size=5):
    """(records, total) of one page."""
    apis = platform_apis()[platform]
    api = apis.resources[resource].list
    body = call(sim, platform, api.api, list_params(platform, resource, start, end, page, size))
    assert apis.classify(body) is None, body
    payload = apis.payload(body, api.response)
    return dig(payload, api.records), dig(payload, api.total)


def expected_ids(sim, platform, start, end):
    """The orders of the shop modified in [start, end] as of the simulator's now, from the generator's book."""
    at = int(sim.clock.now.timestamp()) + 8 * 3600
    low, high = int(start.timestamp()) + 8 * 3600, int(end.timestamp()) + 8 * 3600
    ids = set()
    for order in sim.books[SHOPS[platform]].orders.orders:
        if order.created_at <= at and (platform != "pdd" or order.paid_at < NEVER):  # PDD lists paid orders only
            modified = max(t for t in order.times() if t <= at)
            if low <= modified <= high:
                ids.add(order.order_id)
    return ids


def record_id(platform, record):
    return str(record[platform_apis()[platform].resources["orders"].id])


def record_modified(platform, record):
    """A record's modified time as a comparable number, whatever the platform's format."""
    value = record[platform_apis()[platform].resources["orders"].modified]
    return value if isinstance(value, int) else dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").timestamp()


def meaning(platform, body):
    classified = platform_apis()[platform].classify(body)
    return classified and classified[0].meaning


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_signed_list_call_answers_the_window_in_the_platforms_order(sim, platform):
    start, end = window(sim, platform)
    first, total = listed(sim, platform, "orders", start, end)
    pages = -(-total // 5)
    records = first + [record for page in range(1, pages) for record in listed(
        sim, platform, "orders", start, end, page + platform_apis()[platform].resources["orders"].list.page_base)[0]]
    assert total > 10 and len(records) == total
    assert {record_id(platform, record) for record in records} == expected_ids(sim, platform, start, end)
    modified = [record_modified(platform, record) for record in records]
    descending = platform_apis()[platform].resources["orders"].list.sort.direction_default == "desc"
    assert modified == sorted(modified, reverse=descending)


def test_records_speak_the_platforms_field_names_and_units(sim):
    top, _ = listed(sim, "taobao", "orders", *window(sim, "taobao"))
    assert isinstance(top[0]["payment"], str) and "." in top[0]["payment"]  # yuan text
    assert "receiver_name" not in top[0]  # the increment list is partial: receivers come with the full info
    douyin, _ = listed(sim, "douyin", "orders", *window(sim, "douyin"))
    order = sim.books["dy01"].by_id[douyin[0]["order_id"]]
    assert douyin[0]["pay_amount"] == order.paid_amount  # 分
    assert douyin[0]["create_time"] == order.created_at - 8 * 3600  # unix seconds of a Shanghai wall-clock time
    pdd, _ = listed(sim, "pdd", "orders", *window(sim, "pdd"))
    assert "order_sn" in pdd[0] and isinstance(pdd[0]["pay_amount"], float)
    jd, _ = listed(sim, "jd", "orders", *window(sim, "jd"))
    assert {"orderId", "orderState", "modified", "itemInfoList"} <= set(jd[0])


def test_the_full_info_masks_and_encrypts_personal_data(sim):
    trades, _ = listed(sim, "taobao", "orders", *window(sim, "taobao"))
    detail = platform_apis()["taobao"].resources["orders"].detail
    body = call(sim, "taobao", detail.api, {detail.id_param: trades[0]["tid"], "fields": "tid,receiver_name,"
                                            "receiver_mobile,receiver_address,buyer_open_uid,orders"})
    trade = dig(platform_apis()["taobao"].payload(body, detail.response), detail.record)
    order = sim.books["tb01"].by_id[trade["tid_str"] if "tid_str" in trade else str(trade["tid"])]
    buyer = sim.books["tb01"].orders.buyers.profile(order.buyer)
    text = json.dumps(body, ensure_ascii=False)
    assert buyer.phone not in text and buyer.name not in text and buyer.street not in text
    assert trade["receiver_mobile"] == buyer.phone[:3] + "****" + buyer.phone[-4:]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_wrong_secret_gets_the_platforms_signature_error(sim, platform):
    body = call(sim, platform, platform_apis()[platform].resources["orders"].list.api,
                list_params(platform, "orders", *window(sim, platform)), secret="not-the-secret")
    assert meaning(platform, body) == "bad_signature"


@pytest.mark.parametrize(("platform", "sign_method"), [("taobao", "hmac"), ("taobao", "hmac-sha256"),
                                                       ("douyin", "md5")])
def test_each_sign_method_the_platform_offers_is_verified(sim, platform, sign_method):
    api = platform_apis()[platform].resources["orders"].list.api
    params = list_params(platform, "orders", *window(sim, platform))
    assert meaning(platform, call(sim, platform, api, params, sign_method=sign_method)) is None


def test_every_documented_transport_variant_is_accepted(sim):
    """System parameters in the query and app parameters in the body (TOP), a flat JSON body (PDD's Java SDK),
    epoch-millisecond (TOP's Python SDK) and text (Douyin's older SDK) timestamps."""
    from platform_sync.signing import sign

    def post(platform, request, **changed):
        protocol = sim.protocol(platform)
        params = {**(request.query if request.json_body is not None else request.form), **changed}
        params.pop("sign")
        signed = params if protocol.signing.signed is None else {
            key: ({**params, "param_json": request.json_body}).get(key, "") for key in protocol.signing.signed}
        method = params.get(protocol.signing.method_param) or protocol.signing.default_method
        params["sign"] = sign(signed, sim.credentials[SHOPS[platform]].secret, protocol.signing.methods[method])
        return params

    def signed(platform):
        credentials = sim.credentials[SHOPS[platform]]
        return signed_request(sim.protocol(platform), platform_apis()[platform].resources["orders"].list.api,
                              list_params(platform, "orders", *window(sim, platform)), app_key=credentials.app_key,
                              secret=credentials.secret, access_token=credentials.access_token, now=sim.clock.now)

    top = signed("taobao")
    system = {key for key in top.form if key in ("method", "app_key", "session", "timestamp", "format", "v",
                                                 "sign_method", "sign")}
    split = requests.post(top.url, params={key: top.form[key] for key in system},
                          data={key: value for key, value in top.form.items() if key not in system}, timeout=10)
    assert meaning("taobao", split.json()) is None
    millis = post("taobao", top, timestamp=str(int(sim.clock.now.timestamp() * 1000)))
    assert meaning("taobao", requests.post(top.url, data=millis, timeout=10).json()) is None
    pdd = signed("pdd")
    assert meaning("pdd", requests.post(pdd.url, json=dict(pdd.form), timeout=10).json()) is None
    douyin = signed("douyin")
    text = post("douyin", douyin, timestamp=sim.clock.now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
    answer = requests.post(douyin.url, params=text, data=douyin.json_body.encode(),
                           headers={"Content-Type": "application/json"}, timeout=10).json()
    assert meaning("douyin", answer) is None


def test_a_timestamp_too_far_from_platform_time_is_refused(sim):
    api = platform_apis()["pdd"].resources["orders"].list.api
    params = list_params("pdd", "orders", *window(sim, "pdd"))
    body = call(sim, "pdd", api, params, now=sim.clock.now - dt.timedelta(minutes=11))
    assert meaning("pdd", body) == "bad_timestamp"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_over_long_window_and_an_over_large_page_are_refused(sim, platform):
    api = platform_apis()[platform].resources["orders"].list
    end = sim.clock.now - dt.timedelta(minutes=5)
    too_long = list_params(platform, "orders", end - dt.timedelta(seconds=api.window.max_seconds + 1), end)
    assert meaning(platform, call(sim, platform, api.api, too_long)) == "invalid_argument"
    params = list_params(platform, "orders", *window(sim, platform), size=api.page_size_max + 1)
    assert meaning(platform, call(sim, platform, api.api, params)) == "invalid_argument"
    params = list_params(platform, "orders", *window(sim, platform), size=api.page_size_max)
    assert meaning(platform, call(sim, platform, api.api, params)) is None


def test_pinduoduo_refuses_a_window_ending_within_three_minutes_of_now(sim):
    api = platform_apis()["pdd"].resources["orders"].list
    end = sim.clock.now - dt.timedelta(minutes=2)
    body = call(sim, "pdd", api.api, list_params("pdd", "orders", end - dt.timedelta(minutes=20), end))
    assert meaning("pdd", body) == "invalid_argument"
    end = sim.clock.now - dt.timedelta(minutes=3)
    assert meaning("pdd", call(sim, "pdd", api.api, list_params("pdd", "orders", end - dt.timedelta(minutes=20),
                                                                   end))) is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_throttle_fault_answers_the_platforms_code_and_wait(sim, platform):
    sim.faults.fail_every(2, "throttled", wait=7)
    api = platform_apis()[platform].resources["orders"].list.api
    params = list_params(platform, "orders", *window(sim, platform))
    assert meaning(platform, call(sim, platform, api, params)) is None
    error, sub_message = platform_apis()[platform].classify(call(sim, platform, api, params))
    assert error.meaning == "throttled" and error.action == "wait"
    assert error.wait_seconds(sub_message) == (7 if platform == "taobao" else error.default_wait)  # TOP names it
    assert [outcome for _, _, outcome in sim.journal] == ["ok", "throttled"]
    assert meaning(platform, call(sim, platform, api, params)) is None


def refresh(sim, platform, refresh_token):
    """The token refresh call as protocols/*.yaml describes it: a gateway call, or JD's OAuth endpoint."""
    apis, credentials = platform_apis()[platform], sim.credentials[SHOPS[platform]]
    flow = apis.token
    params = {key: value.format(refresh_token=refresh_token, app_key=credentials.app_key,
                                app_secret=credentials.secret, code=credentials.code)
              for key, value in flow.refresh.params.items()}
    if flow.transport == "oauth":
        body = requests.post(f"{sim.token_endpoint(platform)}/{flow.refresh.api}", data=params, timeout=10).json()
    else:
        credentials_token = "-"  # token calls carry no access token: signed_request drops an empty one
        body = call(sim, platform, flow.refresh.api, params, access_token=credentials_token)
    return body, apis


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_expired_token_is_refused_and_the_refresh_api_issues_a_working_pair(sim, platform):
    credentials = sim.credentials[SHOPS[platform]]
    api = platform_apis()[platform].resources["orders"].list.api
    params = list_params(platform, "orders", *window(sim, platform))
    sim.tokens.expire(credentials.shop)
    error, _ = platform_apis()[platform].classify(call(sim, platform, api, params))
    assert error.meaning == "token_expired" and error.action == "refresh"

    body, apis = refresh(sim, platform, credentials.refresh_token)
    assert apis.classify(body) is None, body
    tokens = token_result(apis, apis.payload(body, apis.token.refresh.response) if apis.token.refresh.response
                          or apis.envelope.success_key != "api" else body)
    assert tokens["access_token"] != credentials.access_token and tokens["refresh_token"] != credentials.refresh_token
    assert meaning(platform, call(sim, platform, api, params, access_token=tokens["access_token"])) is None
    assert meaning(platform, refresh(sim, platform, credentials.refresh_token)[0]) == "refresh_rejected"  # used up


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_a_revoked_token_cannot_be_refreshed_and_a_denied_permission_stops(sim, platform):
    credentials = sim.credentials[SHOPS[platform]]
    api = platform_apis()[platform].resources["refunds"].list.api
    params = list_params(platform, "refunds", *window(sim, platform, "refunds"))
    sim.faults.deny(credentials.shop, api)
    error, _ = platform_apis()[platform].classify(call(sim, platform, api, params))
    assert (error.meaning, error.action) == ("missing_permission", "stop")
    sim.tokens.revoke(credentials.shop)
    assert meaning(platform, call(sim, platform, api, params)) == "token_expired"
    error, _ = platform_apis()[platform].classify(refresh(sim, platform, credentials.refresh_token)[0])
    assert (error.meaning, error.action) == ("refresh_rejected", "stop")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_order_modified_while_paging_moves_as_the_platform_moves_it(sim, platform):
    """Rows sorted by modified time shift when one leaves the window mid-read. Paged backwards (TOP, PDD: from
    the last page) every other row of the window stays in view; paged forwards, the row that slides onto a page
    already read is missed. The modified order itself turns up in a later window."""
    apis = platform_apis()[platform].resources["orders"].list
    start, end = window(sim, platform)
    before = expected_ids(sim, platform, start, end)
    _, total = listed(sim, platform, "orders", start, end, size=1)
    pages = -(-total // 5)
    order = (list(range(pages - 1, -1, -1)) if apis.paging == "backwards" else list(range(pages)))
    move = sim.faults.move_during_paging(SHOPS[platform], "orders", after_calls=2,  # after the first page read
                                         position=0 if apis.paging == "backwards" else 1)
    seen = set()
    for page in order:
        seen |= {record_id(platform, record) for record in
                 listed(sim, platform, "orders", start, end, page + apis.page_base)[0]}
    assert move.moved in before
    if apis.paging == "backwards":  # it was on a page not read yet: it left, and nothing else was lost
        assert seen == before - {move.moved}
    else:  # it was read before it moved; the row after it slid onto the page already read
        assert move.moved in seen and len(before - seen) == 1  # why a forwards-paging sync re-reads its windows

    sim.clock.advance(minutes=10)
    moved_at = sim.clock.now - dt.timedelta(minutes=10)
    later, _ = listed(sim, platform, "orders", moved_at - dt.timedelta(minutes=1),
                      sim.clock.now - dt.timedelta(minutes=4), size=apis.page_size_max)
    assert move.moved in {record_id(platform, record) for record in later}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_refunds_walked_in_windows_are_the_books_refunds(sim, platform):
    resource = platform_apis()[platform].resources["refunds"]
    end = sim.clock.now - dt.timedelta(minutes=5)
    start, step = end - dt.timedelta(hours=12), dt.timedelta(seconds=resource.list.window.max_seconds)
    seen = set()
    for window_start in [start + step * n for n in range(-(-(end - start) // step))]:
        records, total = listed(sim, platform, "refunds", window_start, min(window_start + step, end),
                                size=resource.list.page_size_max)
        assert len(records) == total  # one page each at these sizes
        seen |= {str(dig(record, resource.id)) for record in records}
    book = sim.books[SHOPS[platform]]
    low, high = int(start.timestamp()) + 8 * 3600, int(end.timestamp()) + 8 * 3600
    at = int(sim.clock.now.timestamp()) + 8 * 3600
    expected = {refund_id for refund_id, (_, line) in book.refunds.items() if line.refund.requested_at <= at
                and low <= max(t for t in line.refund.times() if t <= at) <= high}
    assert expected and seen == expected


def test_ecomops_simulate_serves_todays_orders_on_the_real_clock():
    """The CLI's simulator runs on wall time, so a sync signing with its own clock is within the tolerance."""
    import dataclasses
    import subprocess
    import sys

    from platform_sync.protocol import protocols

    process = subprocess.Popen([sys.executable, "-m", "ecomops.cli", "simulate", "--port", "0", "--shops", "5",
                                "--days", "2"], stdout=subprocess.PIPE, text=True)
    try:
        served = json.loads(process.stdout.readline())
        shop = served["shops"]["tb01"]
        now = dt.datetime.now(dt.timezone.utc)
        api = platform_apis()["taobao"].resources["orders"].list
        params = list_params("taobao", "orders", now - dt.timedelta(hours=12), now - dt.timedelta(minutes=5))
        request = signed_request(dataclasses.replace(protocols()["taobao"], gateway=served["gateways"]["taobao"]),
                                 api.api, params, app_key=shop["app_key"], secret=shop["secret"],
                                 access_token=shop["access_token"], now=now)
        body = requests.post(request.url, data=request.form, timeout=10).json()
        assert platform_apis()["taobao"].classify(body) is None, body
        assert dig(platform_apis()["taobao"].payload(body, api.response), api.total) > 0
        assert served["token_endpoints"] == {"jd": served["base_url"] + "/jd/oauth2"}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_ecomops_simulate_stops_on_sigterm_even_when_started_with_it_ignored():
    import signal
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "ecomops.cli", "simulate", "--port", "0", "--shops", "1",
                                "--days", "1"], stdout=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    try:
        assert json.loads(process.stdout.readline())["base_url"].startswith("http://127.0.0.1:")
        process.terminate()
        assert process.wait(timeout=10) == 0  # a clean shutdown, not killed by the signal
    finally:
        process.kill()
        process.wait()


def test_pinduoduo_serves_the_receiver_only_while_the_order_awaits_shipping(sim):
    orders = platform_apis()["pdd"].resources["orders"]
    records, _ = listed(sim, "pdd", "orders", *window(sim, "pdd"), size=100)
    awaiting, refunded = orders.statuses["paid"], orders.refund_statuses["success"]  # closed orders keep status 1
    assert {record["order_status"] for record in records} >= {awaiting, 2}  # both kinds are in the window
    for record in records:
        shown = record["order_status"] == awaiting and record["refund_status"] != refunded
        assert ("receiver_phone_mask" in record) == shown
