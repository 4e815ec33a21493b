"""Build the rows of each platform export from the simulated orders.

Rows are dicts keyed by canonical field names (see layouts.FIELD_KINDS);
the layout of the platform decides headers and formatting.  Traffic and ads
are derived from the day's orders so that their totals agree with sales.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import platforms as P
from .catalog import DAY_SECONDS, BuyerPool, Listing, Shop, date_of, end_of_day, scrambled_digits, shop_key
from .orders import NEVER, Order


def _at_or_before(t: int | None, at: int) -> int | None:
    return t if t is not None and t < NEVER and t <= at else None


def _merchant_received(platform: str, order: Order) -> int | None:
    """JD 结算金额: minus JD's commission; PDD 商家实收: plus the discount the platform pays for."""
    if platform == "jd":
        return order.paid_amount - round(order.paid_amount * P.JD_COMMISSION_RATE)
    if platform == "pdd":
        return order.paid_amount + order.platform_discount
    return None


def order_rows(shop: Shop, orders: list[Order], at: int, buyers: BuyerPool) -> list[dict]:
    """One row per order line (PDD orders have one line), in the state at time ``at``."""
    platform = shop.platform
    statuses = P.ORDER_STATUS[platform]
    refund_statuses = P.REFUND_STATUS[platform]
    separator = P.ADDRESS_SEPARATOR[platform]
    rows = []
    for order in orders:
        state = order.state_at(at)
        if state == "unknown":
            status = P.UNKNOWN_STATUS[platform]
        elif state == "paid" and order.status_variant and platform in P.PAID_STATUS_VARIANT:
            status = P.PAID_STATUS_VARIANT[platform]
        else:
            status = statuses[state]
        buyer = buyers.profile(order.buyer)
        shipped_at = _at_or_before(order.shipped_at, at)
        paid_amount = order.paid_amount
        base = {
            "order_id": order.order_id, "status": status, "created_at": order.created_at,
            "paid_at": _at_or_before(order.paid_at, at), "shipped_at": shipped_at,
            "completed_at": _at_or_before(order.completed_at, at), "order_paid_amount": paid_amount,
            "shipping_fee": order.shipping_fee, "discount_amount": order.discount,
            "shop_discount": order.shop_discount, "platform_discount": order.platform_discount,
            "merchant_received": _merchant_received(platform, order), "buyer_id": buyer.buyer_id,
            "receiver_name": buyer.name, "receiver_phone": buyer.phone, "province": buyer.province, "city": buyer.city,
            "district": buyer.district, "street": buyer.street,
            "receiver_address": separator.join((buyer.province, buyer.city, buyer.district, buyer.street)),
            "shop_name": shop.name, "traffic_source": order.traffic_source, "creator": order.creator,
            "buyer_message": order.message, "seller_memo": order.memo,
            "carrier": order.carrier if shipped_at else None,
            "tracking_no": order.tracking_no if shipped_at else None,
        }
        for line in order.lines:
            refund_state = line.refund.state_at(at) if line.refund is not None else None
            listing = line.listing
            row = dict(base)
            row.update({
                "line_id": line.line_id, "platform_item_id": listing.item_id, "sku_code": listing.sku.code,
                "item_title": listing.sku.title, "sku_spec": listing.spec_text, "quantity": line.quantity,
                "unit_price": listing.price, "goods_total": line.gross, "line_paid_amount": line.paid,
                "refund_status": refund_statuses[refund_state] if refund_state else None,
                "refund_amount": line.refund.amount if refund_state else 0,
            })
            rows.append(row)
    return rows


def refund_rows(shop: Shop, orders: list[Order], day: int, buyers: BuyerPool) -> list[dict]:
    """Refunds whose status changed on ``day``, in their end-of-day state."""
    at = end_of_day(day)
    statuses = P.REFUND_STATUS[shop.platform]
    types = P.REFUND_TYPE[shop.platform]
    rows = []
    for order in orders:
        for line in order.lines:
            refund = line.refund
            if refund is None or not any(t // DAY_SECONDS == day for t in refund.times()):
                continue
            state = refund.state_at(at)
            rows.append({
                "refund_id": refund.refund_id, "order_id": order.order_id, "line_id": line.line_id,
                "platform_item_id": line.listing.item_id, "item_title": line.listing.sku.title,
                "sku_code": line.listing.sku.code, "buyer_id": buyers.profile(order.buyer).buyer_id,
                "line_paid_amount": line.paid, "refund_amount": refund.amount,
                "requested_at": refund.requested_at,
                "refunded_at": refund.resolved_at if state == "success" else None,
                "refund_status": statuses[state], "refund_type": types[refund.with_return], "reason": refund.reason,
            })
    return rows


class Ledger:
    """One shop's platform account: money movements in, fees out, withdrawals."""

    def __init__(self, shop: Shop):
        self.shop = shop
        self.balance = 0
        self.next_entry = 0
        self.recent_ad_spend = 0  # since the last 推广费 top-up

    def add_ad_spend(self, fen: int) -> None:
        self.recent_ad_spend += fen

    def entries(self, orders: list[Order], day: int, rng: random.Random) -> list[dict]:
        platform = self.shop.platform
        entries: list[dict] = []
        if (day % 7) == 0:  # weekly advertising top-up, not tied to an order
            amount = max(self.recent_ad_spend, 50_000)
            self._book(entries, day * DAY_SECONDS + 9 * 3600 + rng.randrange(3600), None, "推广费", 0, amount,
                       f"{P.AD_TOOLS[platform][0]}充值")
            self.recent_ad_spend = 0
        for order in orders:
            completed = order.completed_at
            if completed is not None and completed // DAY_SECONDS == day:
                self._book_completion(entries, order)
            for line in order.lines:
                refund = line.refund
                if (refund is not None and refund.success and refund.resolved_at // DAY_SECONDS == day
                        and completed is not None and refund.resolved_at >= completed):
                    self._book(entries, refund.resolved_at, order, "退款", 0, refund.amount, "售后退款")
        if (day % 7) == 3 and self.balance > 100_000:
            self._book(entries, day * DAY_SECONDS + 16 * 3600 + rng.randrange(3600), None, "提现", 0,
                       self.balance * 8 // 10, "提现至银行卡")
        entries.sort(key=lambda e: e["booked_at"])
        return entries

    def _book_completion(self, entries: list[dict], order: Order) -> None:
        settled = order.paid_amount - order.refunded_before(order.completed_at)
        if settled <= 0:
            return
        at = order.completed_at
        self._book(entries, at, order, "货款", settled, 0, "交易收款")
        for entry_type, rate, share in P.ORDER_FEES[self.shop.platform]:
            if order.fee_draw < share:
                self._book(entries, at + 1, order, entry_type, 0, round(settled * rate), entry_type)
        if order.creator is not None:
            entry_type, rate = P.CREATOR_COMMISSION
            self._book(entries, at + 1, order, entry_type, 0, round(settled * rate), order.creator)
        if order.insurance:
            self._book(entries, at + 2, order, "运费险", 0, order.insurance, "退货运费险")

    def _book(self, entries: list[dict], at: int, order: Order | None, entry_type: str, income: int,
              expense: int, memo: str) -> None:
        self.balance += income - expense
        key = shop_key(self.shop.index, self.next_entry)
        self.next_entry += 1
        entries.append({
            "entry_id": f"{date_of(at // DAY_SECONDS):%Y%m%d}{scrambled_digits(key, 12, salt=13)}",
            "business_ref": scrambled_digits(key, 20, salt=17),
            "booked_at": at, "order_id": order.order_id if order else None,
            "item_title": order.lines[0].listing.sku.title if order else None, "entry_type": entry_type,
            "income": income, "expense": expense, "balance": self.balance,
            "counterparty": P.ALIPAY_COUNTERPARTY if order else None, "settle_status": "已结算",
            "memo": P.SETTLEMENT_MEMO_PREFIX.get(self.shop.platform, "") + memo,
        })


@dataclass
class ItemSales:
    order_buyers: set = field(default_factory=set)
    paid_buyers: set = field(default_factory=set)
    paid_units: int = 0
    paid_amount: int = 0


@dataclass
class DaySales:
    """What the shop's orders did on one day: the ground truth traffic files must agree with."""

    order_buyers: set = field(default_factory=set)
    paid_buyers: set = field(default_factory=set)
    paid_orders: int = 0
    paid_units: int = 0
    paid_amount: int = 0
    items: dict = field(default_factory=dict)  # item id -> ItemSales (insertion order is deterministic)

    @classmethod
    def of(cls, orders: list[Order], day: int) -> "DaySales":
        sales = cls()
        for order in orders:
            created_today = order.created_at // DAY_SECONDS == day
            paid_today = order.paid_at < NEVER and order.paid_at // DAY_SECONDS == day
            if created_today:
                sales.order_buyers.add(order.buyer)
            if paid_today:
                sales.paid_buyers.add(order.buyer)
                sales.paid_orders += 1
                sales.paid_amount += order.paid_amount
            for line in order.lines:
                if not (created_today or paid_today):
                    continue
                item = sales.items.setdefault(line.listing.item_id, ItemSales())
                if created_today:
                    item.order_buyers.add(order.buyer)
                if paid_today:
                    item.paid_buyers.add(order.buyer)
                    item.paid_units += line.quantity
                    item.paid_amount += line.paid
                    sales.paid_units += line.quantity
        return sales


def _split(total: int, weights: list[float]) -> list[int]:
    """Integer split of total in proportion to weights (largest remainder)."""
    weight_sum = sum(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: parts[i] - exact[i])
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _funnel(rng: random.Random, paid_buyers: int, order_buyers: int, conversion: float,
            min_visitors: int) -> dict:
    """Visitor-side numbers that wrap the buyers: impressions >= clicks, visitors <= page views."""
    visitors = max(order_buyers + rng.randint(1, 5), round(order_buyers / conversion), min_visitors)
    clicks = round(visitors * rng.uniform(1.05, 1.4))
    add_to_cart = max(order_buyers, round(visitors * rng.uniform(0.05, 0.14)))
    return {
        "impressions": round(clicks / rng.uniform(0.02, 0.08)), "clicks": clicks, "visitors": visitors,
        "page_views": round(visitors * rng.uniform(1.3, 3.5)), "bounce_rate": rng.uniform(0.3, 0.72),
        "avg_stay_seconds": rng.uniform(8, 95), "add_to_cart_buyers": add_to_cart,
        "add_to_cart_units": round(add_to_cart * rng.uniform(1.0, 1.4)),
        "favorite_buyers": round(visitors * rng.uniform(0.02, 0.08)), "order_buyers": order_buyers,
        "paid_buyers": paid_buyers, "conversion_rate": paid_buyers / visitors,
    }


def traffic_shop_rows(shop: Shop, day: int, sales: DaySales, rng: random.Random) -> list[dict]:
    """One row per traffic source; sums match the orders' paid buyers and amount within a few percent."""
    sources = P.TRAFFIC_SOURCES[shop.platform]
    weights = [share * conv * rng.uniform(0.7, 1.3) for _, share, conv in sources]
    noise = rng.uniform(0.97, 1.03)
    paid_buyers = _split(round(len(sales.paid_buyers) * noise), weights)
    paid_amounts = _split(round(sales.paid_amount * noise), weights)
    paid_units = _split(round(sales.paid_units * noise), weights)
    unpaid_buyers = max(0, len(sales.order_buyers) - len(sales.paid_buyers))
    extra_buyers = _split(unpaid_buyers, weights)
    rows = []
    for (name, _, conv), buyers, amount, units, extra in zip(sources, paid_buyers, paid_amounts, paid_units,
                                                             extra_buyers):
        row = _funnel(rng, buyers, buyers + extra, 0.03 * conv * rng.uniform(0.7, 1.3), rng.randint(5, 50))
        row.update(stat_date=day, traffic_source=name, paid_amount=amount, paid_units=units)
        rows.append(row)
    return rows


def traffic_sku_rows(shop: Shop, listed: list[Listing], day: int, sales: DaySales, rng: random.Random) -> list[dict]:
    """One row per listed item with visitors: every item that sold, and about half of the others."""
    rows = []
    for listing in listed:
        item = sales.items.get(listing.item_id)
        if item is None and rng.random() < 0.5:
            continue
        item = item or ItemSales()
        order_buyers = len(item.order_buyers | item.paid_buyers)
        row = _funnel(rng, len(item.paid_buyers), order_buyers, rng.uniform(0.03, 0.12), rng.randint(1, 40))
        row.update(stat_date=day, platform_item_id=listing.item_id, item_title=listing.sku.title,
                   sku_code=listing.sku.code, paid_units=item.paid_units, paid_amount=item.paid_amount)
        rows.append(row)
    return rows


def ads_rows(shop: Shop, day: int, sales: DaySales, rng: random.Random) -> dict[str, list[dict]]:
    """Rows per ad tool, one per running campaign: spend ~9% of the day's paid amount, ROAS mostly 1-6."""
    running = [c for c in shop.campaigns if c.start_day <= day]
    budget = max(20_000, round(sales.paid_amount * P.AD_SPEND_SHARE * rng.uniform(0.8, 1.2)))
    spends = _split(budget, [c.share * rng.uniform(0.7, 1.3) for c in running])
    average_order = sales.paid_amount // max(1, sales.paid_orders) or 10_000
    by_tool: dict[str, list[dict]] = {}
    for campaign, spend in zip(running, spends):
        roas = max(0.3, campaign.roas * rng.lognormvariate(0, 0.25))
        gmv = round(spend * roas)
        clicks = max(1, round(spend / (P.AD_CPC_FEN[shop.platform] * rng.uniform(0.7, 1.4))))
        impressions = round(clicks / rng.uniform(0.01, 0.05))
        by_tool.setdefault(campaign.tool, []).append({
            "stat_date": day, "ad_product": campaign.tool, "campaign_id": campaign.campaign_id,
            "campaign_name": campaign.name, "impressions": impressions, "clicks": clicks, "spend": spend,
            "ctr": clicks / impressions, "cpc": round(spend / clicks), "attributed_orders": round(gmv / average_order),
            "attributed_gmv": gmv, "roas": gmv / spend if spend else 0.0,
        })
    return by_tool
