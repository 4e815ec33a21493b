"""What each page shows beyond the shop KPIs, read from the marts (the serving copy, or Postgres as its reader role).

The SQL runs on DuckDB and Postgres alike: no `group by all`, no `any_value`, every derived table named,
ratios through `kpis.ratio`.

Only aggregates leave here: never a buyer or customer key, hashed or not, nor a receiver's name or address.
Stock and the SKU-day KPIs are seller-wide (orders do not say which warehouse shipped), so a user limited
to some shops gets them only as their shops' order lines give them.
"""

from __future__ import annotations

import datetime as dt

from dashboard.filters import Filter
from dashboard.kpis import ratio, totals
from dashboard.serving_copy import ServingCopy

TOP_SKUS = 10
SKU_TABLE_LIMIT = 200


def _range(kpi_filter: Filter, date_column: str, alias: str = "") -> tuple[str, list]:
    shops, parameters = kpi_filter.shop_condition(f"{alias}shop_code")
    return (f"{alias}{date_column} between ? and ? and {shops}",
            [kpi_filter.start, kpi_filter.end, *parameters])


def traffic(copy: ServingCopy, kpi_filter: Filter) -> dict:
    """The visitor → add-to-cart → order → payment funnel and visitors by traffic source."""
    where, parameters = _range(kpi_filter, "stat_date")
    (funnel,) = copy.rows(
        "select sum(visitors) as visitors, sum(add_to_cart_buyers) as add_to_cart_buyers, "
        "sum(order_buyers) as order_buyers, sum(paid_buyers) as paid_buyers "
        f"from marts.fct_traffic_daily where {where}", parameters)
    sources = copy.rows(
        "select traffic_source, sum(visitors) as visitors, sum(paid_buyers) as paid_buyers, "
        "sum(paid_amount) as paid_amount, "
        f"{ratio('sum(paid_buyers)', 'sum(visitors)')} as payment_conversion "
        f"from marts.fct_traffic_daily where {where} group by traffic_source order by visitors desc", parameters)
    return {"funnel": funnel, "sources": sources}


def sku_sales(copy: ServingCopy, kpi_filter: Filter, seller_wide: bool, search: str | None = None,
              limit: int = SKU_TABLE_LIMIT) -> list[dict]:
    """Paid units and amounts per SKU, best sellers first; `search` matches code or name.

    Over every shop from the seller-wide SKU-day KPIs; over some shops from their paid order lines.
    """
    if seller_wide:
        source = ("from marts.kpi_sku_daily as k left join marts.dim_skus as s using (sku_code) "
                  "where k.date between ? and ?")
        parameters = [kpi_filter.start, kpi_filter.end]
        orders = "sum(k.paid_orders)"
    else:
        where, parameters = _range(kpi_filter, "paid_date", "o.")
        source = (f"from marts.fct_order_lines as k join marts.fct_orders as o using (order_key) "
                  f"left join marts.dim_skus as s on s.sku_code = k.sku_code where o.is_paid and {where}")
        orders = "count(distinct k.order_key)"
    if search:
        source += " and (k.sku_code ilike ? or s.product_name ilike ?)"
        parameters += [f"%{search}%", f"%{search}%"]
    return copy.rows(
        "select k.sku_code, min(s.product_name) as product_name, min(s.category) as category, "
        f"sum(k.units_sold) as units_sold, sum(k.paid_amount) as paid_amount, {orders} as paid_orders "
        f"{source} group by k.sku_code having sum(k.units_sold) > 0 order by paid_amount desc, k.sku_code limit ?",
        [*parameters, limit])


def products(copy: ServingCopy, kpi_filter: Filter, seller_wide: bool) -> dict:
    """Top SKUs and the assortment KPIs (动销率, 售罄率, 爆品占比, 新品占比) of the months in the range.

    The seller-wide rows (shop `all`) when every shop is read and the user may see them all, else per shop.
    """
    shops = ("all",) if seller_wide else kpi_filter.shops
    months = copy.rows(
        f"select period_start, {ratio('sum(skus_sold_trailing_30d)', 'sum(skus_on_sale_or_in_stock)')} "
        f"as sell_through_breadth, {ratio('sum(top_skus_paid_amount)', 'sum(paid_amount)')} as hit_product_share, "
        "max(new_sku_share) as new_sku_share, max(sell_out_rate) as sell_out_rate "
        f"from marts.kpi_product_period where period_start between date_trunc('month', ?::date) and ? "
        f"and shop_code in ({', '.join('?' for _ in shops)}) group by period_start order by period_start",
        [kpi_filter.start, kpi_filter.end, *shops])
    return {"top_skus": sku_sales(copy, kpi_filter, seller_wide, limit=TOP_SKUS), "months": months}


def inventory(copy: ServingCopy, kpi_filter: Filter) -> dict:
    """Seller-wide stock on the range's last day: health mix, top sellers at risk, days of inventory, slow movers."""
    (day,) = copy.rows("select max(date) as date from marts.kpi_inventory_daily where date <= ?", [kpi_filter.end])
    on_day = "from marts.kpi_inventory_daily as i left join marts.dim_skus as s using (sku_code) where i.date = ?"
    sku = "i.sku_code, s.product_name, i.available_qty, i.units_sold_trailing_30d, i.days_of_inventory"
    return {
        "date": day["date"],
        "health": copy.rows(f"select inventory_health, count(*) as skus {on_day} and is_active "
                            "group by inventory_health order by skus desc", [day["date"]]),
        "at_risk": copy.rows(f"select {sku}, i.inventory_health {on_day} and i.inventory_health in "
                             "('stockout', 'at_risk') order by i.units_sold_trailing_30d desc, i.sku_code limit 20",
                             [day["date"]]),
        "days_of_inventory": copy.rows(
            "select bucket, count(*) as skus from (select case when days_of_inventory < 7 then '<7' "
            "when days_of_inventory < 30 then '7-30' when days_of_inventory < 90 then '30-90' else '90+' end "
            f"as bucket, days_of_inventory {on_day} and days_of_inventory is not null) as buckets "
            "group by bucket order by min(days_of_inventory)",
            [day["date"]]),
        "slow_movers": copy.rows(f"select {sku} {on_day} and i.is_slow_moving order by i.available_qty desc, "
                                 "i.sku_code limit 20", [day["date"]]),
    }


def members(copy: ServingCopy, kpi_filter: Filter) -> dict:
    """RFM segment mix, cohort retention, and new-buyer and repurchase rates per month (all summed over shops)."""
    shops, parameters = kpi_filter.shop_condition()
    month_range = "period_start between date_trunc('month', ?::date) and ?"
    return {
        "rfm": copy.rows(f"select rfm_segment, count(*) as customers, sum(monetary) as monetary "
                         f"from marts.customer_rfm where {shops} group by rfm_segment order by customers desc",
                         parameters),
        "cohorts": copy.rows(
            "select cohort_month, months_since_first_purchase, sum(cohort_size) as cohort_size, "
            f"{ratio('sum(retained_buyers)', 'sum(cohort_size)')} as retention_rate "
            f"from marts.cohort_retention where {shops} group by cohort_month, months_since_first_purchase "
            "order by cohort_month, "
            "months_since_first_purchase", parameters),
        "months": copy.rows(
            "select period_start, sum(paying_buyers) as paying_buyers, sum(new_buyers) as new_buyers, "
            f"{ratio('sum(new_buyers)', 'sum(paying_buyers)')} as new_buyer_rate, "
            f"{ratio('sum(repeat_buyers)', 'sum(paying_buyers)')} as repurchase_rate "
            f"from marts.kpi_customer_period where {month_range} and {shops} group by period_start "
            "order by period_start", [kpi_filter.start, kpi_filter.end, *parameters]),
    }


def finance(copy: ServingCopy, kpi_filter: Filter) -> dict:
    """The contribution-profit waterfall of the range and budget attainment per month and account."""
    total = totals(copy, kpi_filter)
    waterfall = [
        {"step": "net_sales", "amount": total["net_sales"]},
        {"step": "cogs", "amount": -((total["cogs"] or 0) - (total["cogs_reversed"] or 0))},
        {"step": "platform_fees", "amount": -(total["platform_fees"] or 0)},
        {"step": "ad_spend", "amount": -(total["ad_spend"] or 0)},
        {"step": "expenses", "amount": -(total["expenses"] or 0)},
        {"step": "contribution_profit", "amount": total["contribution_profit"]},
    ]
    shops, parameters = kpi_filter.shop_condition()
    budget = copy.rows(
        "select month_start, account, sum(actual_amount) as actual_amount, sum(budget_amount) as budget_amount, "
        f"{ratio('sum(actual_amount)', 'sum(budget_amount)')} as budget_attainment "
        f"from marts.kpi_budget_monthly where month_start between date_trunc('month', ?::date) and ? and {shops} "
        "and budget_amount is not null group by month_start, account order by month_start, account",
        [kpi_filter.start, kpi_filter.end, *parameters])
    return {"waterfall": waterfall, "budget": budget}


ALERT_FIELDS = ("date", "platform", "shop_code", "sku_code", "rule_id", "metric", "severity", "observed",
                "expected_low", "expected_high", "baseline", "message", "evaluated_at")


def alerts(copy: ServingCopy, kpi_filter: Filter, limit: int = 500) -> list[dict]:
    """Fired alerts of the range, newest first."""
    where, parameters = _range(kpi_filter, "date")
    return copy.rows(f"select {', '.join(ALERT_FIELDS)} from alerts.kpi_alerts where fired and {where} "
                     "order by date desc, evaluated_at desc, shop_code, rule_id limit ?", [*parameters, limit])


def screen(copy: ServingCopy, kpi_filter: Filter, seller_wide: bool) -> dict:
    """The wall screen: the last day of the range and the day before, the trend, shares, rankings, alerts."""
    last = kpi_filter.end
    day = Filter(last, last, kpi_filter.shops)
    before = Filter(last - dt.timedelta(days=1), last - dt.timedelta(days=1), kpi_filter.shops)
    where, parameters = _range(kpi_filter, "paid_date")
    return {
        "today": {"date": last.isoformat(), **totals(copy, day)},
        "yesterday": {"date": before.start.isoformat(), **totals(copy, before)},
        "provinces": copy.rows(
            "select receiver_province as province, sum(paid_amount) as paid_amount, count(*) as paid_orders "
            f"from marts.fct_orders where is_paid and receiver_province is not null and {where} "
            "group by receiver_province order by paid_amount desc", parameters),
        "top_skus": sku_sales(copy, kpi_filter, seller_wide, limit=TOP_SKUS),
        "alerts": alerts(copy, kpi_filter, limit=20),
    }
