"""Request signing of each open platform against the test vectors they publish (../docs/platform-sync.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from platform_sync.protocol import protocols, signed_request
from platform_sync.signing import sign

UTC = dt.timezone.utc


def test_taobao_signs_the_published_item_call():
    request = signed_request(
        protocols()["taobao"], "taobao.item.seller.get", {"fields": "num_iid,title,nick,price,num", "num_iid": 11223344},
        app_key="12345678", secret="helloworld", access_token="test",
        now=dt.datetime(2016, 1, 1, 4, 0, tzinfo=UTC))  # 12:00:00 in GMT+8, as TOP reads it
    assert request.form["timestamp"] == "2016-01-01 12:00:00"
    assert request.form["sign"] == "66987CB115214E59E6EC978214934FB8"
    assert request.url == "https://gw.api.taobao.com/router/rest" and not request.query


def test_tmall_shops_use_the_taobao_protocol():
    assert protocols()["tmall"] is protocols()["taobao"]


def test_pinduoduo_signs_the_published_concatenation():
    params = {"access_token": "asd78172s8ds9a921j9qqwda12312w1w21211", "client_id": "1", "data_type": "XML",
              "order_status": "1", "page": "1", "page_size": "10", "timestamp": "1480411125",
              "type": "pdd.order.number.list.get"}
    assert sign(params, "testSecret", protocols()["pdd"].signing.methods["md5"]) == "E4DE3ED21002510DED352819E7AE6775"


def test_pinduoduo_requests_carry_the_same_parameters_signed():
    request = signed_request(protocols()["pdd"], "pdd.order.number.list.get",
                             {"order_status": 1, "page": 1, "page_size": 10}, app_key="1", secret="testSecret",
                             access_token="asd78172s8ds9a921j9qqwda12312w1w21211",
                             now=dt.datetime.fromtimestamp(1480411125, UTC))
    assert request.form["data_type"] == "JSON" and request.form["timestamp"] == "1480411125"
    unsigned = {key: value for key, value in request.form.items() if key != "sign"}
    assert request.form["sign"] == sign(unsigned, "testSecret", protocols()["pdd"].signing.methods["md5"])


@pytest.mark.parametrize(("sign_method", "signature"), [
    ("hmac-sha256", "8a5350b8fdacaa753c0885ab9859d382a31de4add09c6943c1d34298bd2165f1"),
    ("md5", "a84d3597bbb7aaeb0540d1022623165c"),
])
def test_douyin_signs_the_published_search_list_call(sign_method, signature):
    request = signed_request(protocols()["douyin"], "order.searchList", {"size": 100, "page": 0},
                             app_key="appkey123", secret="secret123", access_token="token",
                             now=dt.datetime.fromtimestamp(1800000000, UTC), sign_method=sign_method)
    assert request.json_body == '{"page":0,"size":100}'  # keys sorted, compact
    assert request.query["sign"] == signature
    assert request.url == "https://openapi-fxg.jinritemai.com/order/searchList"
    assert request.query["access_token"] == "token" and "param_json" not in request.query


def test_jd_sends_the_app_parameters_as_one_signed_json_parameter():
    request = signed_request(protocols()["jd"], "jingdong.pop.order.enSearch", {"page": "1", "page_size": "100"},
                             app_key="k", secret="s", access_token="t", now=dt.datetime(2026, 12, 1, tzinfo=UTC))
    assert request.form["360buy_param_json"] == '{"page":"1","page_size":"100"}'
    assert request.form["timestamp"] == "2026-12-01 08:00:00"
    unsigned = {key: value for key, value in request.form.items() if key != "sign"}
    assert request.form["sign"] == sign(unsigned, "s", protocols()["jd"].signing.methods["md5"])


def test_empty_parameters_are_neither_signed_nor_sent():
    request = signed_request(protocols()["taobao"], "taobao.trades.sold.increment.get", {"fields": "tid", "status": ""},
                             app_key="k", secret="s", access_token="t", now=dt.datetime(2026, 12, 1, tzinfo=UTC))
    assert "status" not in request.form


def test_an_unknown_sign_method_is_refused():
    with pytest.raises(ValueError, match="sign method 'sha1'"):
        signed_request(protocols()["taobao"], "x", {}, app_key="k", secret="s", access_token="t",
                       now=dt.datetime(2026, 12, 1, tzinfo=UTC), sign_method="sha1")
