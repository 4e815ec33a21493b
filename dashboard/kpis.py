"""Shop KPIs over a filter, from `marts.kpi_shop_daily`: rows, totals with the previous period, trend, breakdowns.

Totals of a range add up the daily numerators and denominators and divide once (Σpaid_amount ÷ Σpaid_orders),
never average daily ratios: the same numerators and denominators as the semantic model on the table.
"""

from __future__ import annotations

from dashboard.filters import Filter
from dashboard.serving_copy import ServingCopy

TABLE = "marts.kpi_shop_daily"
SUMS = ("gmv", "paid_amount", "paid_orders", "paid_buyers", "units_sold", "refund_amount", "net_sales",
        "visitors", "page_views", "cogs", "cogs_reversed", "gross_profit", "platform_fees", "ad_spend",
        "attributed_gmv", "expenses", "contribution_profit")
# ratio -> (numerator, denominator), each summed over the rows of the range
RATIOS = {
    "aov": ("paid_amount", "paid_orders"),
    "arpu": ("paid_amount", "paid_buyers"),
    "refund_rate": ("refund_amount", "paid_amount"),
    "add_to_cart_rate": ("add_to_cart_buyers", "visitors"),
    "order_conversion": ("order_buyers", "visitors"),
    "payment_conversion": ("traffic_paid_buyers", "visitors"),
    "gross_margin": ("gross_profit", "net_sales"),
    "roas": ("attributed_gmv", "ad_spend"),
}
BREAKDOWNS = {"date": "date", "platform": "platform", "shop": "shop_code"}


def ratio(numerator: str, denominator: str) -> str:
    """SQL of numerator ÷ denominator, null for a zero denominator: a fraction on DuckDB and Postgres alike
    (Postgres divides whole numbers into a whole number)."""
    return f"cast({numerator} as double precision) / nullif({denominator}, 0)"


def _aggregates() -> str:
    sums = [f"sum({name}) as {name}" for name in SUMS]
    ratios = [f"{ratio(f'sum({numerator})', f'sum({denominator})')} as {name}"
              for name, (numerator, denominator) in RATIOS.items()]
    return ", ".join(sums + ratios)


def _where(kpi_filter: Filter, alias: str = "") -> tuple[str, list]:
    shops, parameters = kpi_filter.shop_condition(f"{alias}shop_code")
    return f"{alias}date between ? and ? and {shops}", [kpi_filter.start, kpi_filter.end, *parameters]


def shop_daily(copy: ServingCopy, kpi_filter: Filter) -> list[dict]:
    """The table's rows, one per date × shop, its columns as named there (the build timestamp left out)."""
    names = ", ".join(c for c in copy.columns("marts", "kpi_shop_daily") if not c.startswith("_"))
    where, parameters = _where(kpi_filter)
    return copy.rows(f"select {names} from {TABLE} where {where} order by date, platform, shop_code", parameters)


def totals(copy: ServingCopy, kpi_filter: Filter) -> dict:
    where, parameters = _where(kpi_filter)
    (row,) = copy.rows(f"select {_aggregates()} from {TABLE} where {where}", parameters)
    return row


def summary(copy: ServingCopy, kpi_filter: Filter) -> dict:
    """Each total of the range beside the previous period of the same length, and the relative change."""
    current, previous = totals(copy, kpi_filter), totals(copy, kpi_filter.previous())
    before = kpi_filter.previous()
    return {
        "start": kpi_filter.start.isoformat(), "end": kpi_filter.end.isoformat(), "shops": list(kpi_filter.shops),
        "previous_start": before.start.isoformat(), "previous_end": before.end.isoformat(),
        "metrics": {name: {"value": current[name], "previous": previous[name],
                           "change": _change(current[name], previous[name])} for name in current},
    }


def _change(value: float | None, previous: float | None) -> float | None:
    if value is None or not previous:
        return None
    return (value - previous) / abs(previous)


def breakdown(copy: ServingCopy, kpi_filter: Filter, by: str) -> list[dict]:
    """Totals per date, platform or shop (with the shop's name), ratios recomputed per group."""
    column = BREAKDOWNS[by]
    if by == "shop":
        where, parameters = _where(kpi_filter, "k.")
        return copy.rows(
            f"select k.shop_code, min(s.shop_name) as shop_name, min(k.platform) as platform, "
            f"{_aggregates()} from {TABLE} as k join marts.dim_shops as s using (shop_code) "
            f"where {where} group by k.shop_code order by paid_amount desc",
            parameters)
    where, parameters = _where(kpi_filter)
    return copy.rows(f"select {column}, {_aggregates()} from {TABLE} where {where} "
                     f"group by {column} order by {column}", parameters)
