"""The dashboard's pages in Debian's Chromium (Playwright with `executable_path`, no browser download).

Every page loads on a generated warehouse, each chart draws data (ECharts' `finished` event), nothing is logged
to the console, no request leaves 127.0.0.1, the KPI cards show what SQL over kpi_shop_daily gives, and a
changed filter changes the numbers. Screenshots go to test-output/dashboard/; with ECOMOPS_DOC_IMAGES=1 the
overview and the 大屏 are also written to docs/images/ for the README.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest
import yaml
from dashboard_harness import CHROMIUM_ARGS, REPO, Client, chromium, running_dashboard, sql, totals_sql
from playwright.sync_api import sync_playwright

from dashboard.access import hash_password

SHOTS = REPO / "test-output" / "dashboard"
DOC_IMAGES = REPO / "docs" / "images"
PAGES = ["overview", "traffic", "products", "inventory", "members", "finance", "alerts", "explorer", "screen"]
CHARTLESS = {"alerts"}  # a table of alerts


@pytest.fixture(scope="module")
def base(dashboard_warehouse, tmp_path_factory):
    with running_dashboard(tmp_path_factory.mktemp("browser"), dashboard_warehouse) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Visit:
    """One page in a fresh context, with what it logged and every URL it requested."""

    def __init__(self, browser, url: str, viewport: dict):
        self.context = browser.new_context(viewport=viewport, locale="zh-CN")
        self.page = self.context.new_page()
        self.console, self.requests = [], []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.console.append(m.text))
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.open(url)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        self.wait_until("[...document.querySelectorAll('.chart')].every(c => c.dataset.rendered === 'true')")

    def wait_until(self, expression: str, timeout: float = 30) -> None:
        """Poll with evaluate: wait_for_function evaluates strings with eval, which the app's CSP forbids."""
        deadline = time.monotonic() + timeout
        while not self.page.evaluate(expression):
            assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
            self.page.wait_for_timeout(50)

    def charts(self) -> list[dict]:
        return self.page.eval_on_selector_all(".chart", "els => els.map(e => ({...e.dataset}))")

    def cards(self) -> dict[str, tuple[str, float]]:
        return {card["metric"]: (card["text"], float(card["value"])) for card in self.page.eval_on_selector_all(
            ".card", "els => els.map(e => ({metric: e.dataset.metric, value: e.dataset.value, "
                     "text: e.querySelector('.value').textContent}))")}


def viewport(page: str) -> dict:
    return {"width": 1920, "height": 1080} if page == "screen" else {"width": 1440, "height": 1000}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_draws_its_charts_with_data_offline_and_without_errors(browser, base, name):
    visit = Visit(browser, f"{base}/{name}?start=2026-10-24&end=2026-11-14", viewport(name))
    charts = visit.charts()
    if name not in CHARTLESS:
        assert charts and all(int(c["points"]) > 0 and c["rendered"] == "true" for c in charts), charts
    else:
        assert visit.page.locator("#alerts-table tbody tr").count() > 0
    assert visit.page.locator(".notice").count() == 0, visit.page.locator(".notice").all_text_contents()
    assert visit.console == []
    assert visit.requests and all(url.startswith(base + "/") for url in visit.requests), visit.requests
    SHOTS.mkdir(parents=True, exist_ok=True)
    visit.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=name != "screen")
    if os.environ.get("ECOMOPS_DOC_IMAGES") == "1" and name in ("overview", "screen"):
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHOTS / f"{name}.png", DOC_IMAGES / f"dashboard-{name}.png")
    visit.context.close()


CARD_FORMATS = {"gmv": "money", "paid_amount": "money", "paid_orders": "count", "arpu": "money",
                "refund_rate": "percent", "payment_conversion": "percent", "gross_profit": "money",
                "contribution_profit": "money", "roas": "ratio"}


def formatted(value: float, kind: str) -> str:
    return {"money": f"{'-' if value < 0 else ''}¥{abs(value):,.2f}", "count": f"{round(value):,}",
            "percent": f"{value * 100:.2f}%", "ratio": f"{value:.2f}"}[kind]


@pytest.mark.parametrize("query, shops", [
    ("start=2026-10-20&end=2026-11-08", ["dy01", "jd01", "pdd01", "tb01", "tm01"]),
    ("start=2026-11-01&end=2026-11-07&shop=tm01", ["tm01"]),
])
def test_the_kpi_cards_show_what_sql_over_kpi_shop_daily_gives(browser, base, dashboard_warehouse, query, shops):
    visit = Visit(browser, f"{base}/overview?{query}", viewport("overview"))
    params = dict(part.split("=") for part in query.split("&"))
    want = totals_sql(dashboard_warehouse, params["start"], params["end"], shops)
    cards = visit.cards()
    assert set(cards) == set(CARD_FORMATS)
    for name, kind in CARD_FORMATS.items():
        text, value = cards[name]
        assert value == pytest.approx(float(want[name]), rel=1e-12), name
        assert text == formatted(float(want[name]), kind), name
    visit.context.close()


def test_changing_a_filter_changes_the_numbers_and_the_url(browser, base):
    visit = Visit(browser, f"{base}/overview?start=2026-10-20&end=2026-11-08", viewport("overview"))
    before = visit.cards()
    with visit.page.expect_navigation():
        visit.page.select_option("#filter-platform", "jd")
    visit.ready()
    assert "platform=jd" in visit.page.url and "start=2026-10-20" in visit.page.url
    after = visit.cards()
    assert after["gmv"][1] < before["gmv"][1] and after["paid_orders"] != before["paid_orders"]
    with visit.page.expect_navigation():
        visit.page.fill("#filter-start", "2026-11-01")
        visit.page.dispatch_event("#filter-start", "change")
    visit.ready()
    assert "start=2026-11-01" in visit.page.url and visit.cards()["gmv"][1] < after["gmv"][1]
    visit.context.close()


def test_the_english_switch_keeps_the_filter(browser, base):
    visit = Visit(browser, f"{base}/traffic?shop=tb01", viewport("traffic"))
    assert visit.page.locator("nav a.active").text_content() == "流量转化"
    with visit.page.expect_navigation():
        visit.page.click("#lang")
    visit.ready()
    assert "lang=en" in visit.page.url and "shop=tb01" in visit.page.url
    assert visit.page.locator("nav a.active").text_content() == "Traffic"
    visit.context.close()


def test_the_sku_table_searches(browser, base):
    visit = Visit(browser, f"{base}/products", viewport("products"))
    everything = visit.page.locator("#sku-table tbody tr").count()
    visit.page.fill("#sku-search", "SKU-0001")
    visit.wait_until(f"document.querySelectorAll('#sku-table tbody tr').length < {everything}")
    codes = visit.page.locator("#sku-table tbody tr td:first-child").all_text_contents()
    assert codes and all(code.startswith("SKU-0001") for code in codes)
    visit.context.close()


def test_the_explorer_groups_any_metric_picked_from_the_catalog(browser, base, dashboard_warehouse):
    visit = Visit(browser, f"{base}/explorer?start=2026-10-20&end=2026-11-08&metrics=paid_amount&group_by=shop__platform",
                  viewport("explorer"))
    platforms = visit.page.locator("#explorer-table tbody tr td:first-child").all_text_contents()
    assert sorted(platforms) == ["douyin", "jd", "pdd", "taobao", "tmall"]
    with visit.page.expect_navigation():
        visit.page.select_option("#explorer-group_by", ["metric_time__week"])
    visit.ready()
    assert "group_by=metric_time__week" in visit.page.url
    weeks = visit.page.locator("#explorer-table tbody tr td:first-child").all_text_contents()
    assert weeks == ["2026-10-19", "2026-10-26", "2026-11-02"]  # Mondays: the range is Tue 20 Oct .. Sun 8 Nov
    cells = visit.page.locator("#explorer-table tbody tr td:nth-child(2)").all_text_contents()
    (want,) = sql(dashboard_warehouse, "select sum(paid_amount) as total from marts.kpi_shop_daily "
                  "where date between '2026-10-20' and '2026-11-08'")
    assert sum(float(c.replace(",", "")) for c in cells) == pytest.approx(float(want["total"]), abs=0.01)
    assert "format=xlsx" in visit.page.get_attribute("#explorer-xlsx", "href")
    visit.context.close()


def test_a_scoped_user_signs_in_and_sees_only_their_shop(browser, dashboard_warehouse, tmp_path):
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump({"users": [{"name": "client", "password": hash_password("pw-client"),
                                                "shops": ["jd01"]}]}), encoding="utf-8")
    with running_dashboard(tmp_path, dashboard_warehouse, {"ECOMOPS_DASHBOARD_USERS": str(users)}) as url:
        visit = Visit(browser, f"{url}/login?next=/overview%3Fstart%3D2026-10-20%26end%3D2026-11-08", viewport("login"))
        visit.page.fill("input[name=username]", "client")
        visit.page.fill("input[name=password]", "pw-client")
        with visit.page.expect_navigation():
            visit.page.click("button[type=submit]")
        visit.ready()
        options = visit.page.locator("#filter-shop option").all_text_contents()
        assert len(options) == 2 and "jd01" in options[1]
        want = totals_sql(dashboard_warehouse, "2026-10-20", "2026-11-08", ["jd01"])
        assert visit.cards()["paid_amount"][1] == pytest.approx(float(want["paid_amount"]))
        assert Client(url).request("/api/v1/summary")[0] == 401  # the browser's session, not anyone's
        assert visit.console == []
        visit.context.close()
