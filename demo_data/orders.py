"""Orders and their life: created -> paid -> shipped -> completed, refunds on the side.

An order's whole future is drawn when it is created (all timestamps, refunds),
and the order is filed under every day on which it changes.  The daily
export then shows each changed order in its end-of-day state, which is
exactly how incremental "by modification time" exports behave.  Once its
last change is past (and it left the 7-day export window) nothing refers to
the order any more: memory holds open orders only.

Money is integer fen throughout, so order totals add up exactly.
"""

from __future__ import annotations

import bisect
import random
from collections import deque
from itertools import accumulate

from . import platforms as P
from . import vocab as V
from .catalog import DAY_SECONDS, BuyerPool, Listing, Shop, date_of, scrambled_digits, shop_key

HOUR = 3600
HOUR_WEIGHTS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 7, 8, 9, 11, 13, 14, 12, 7)
QUANTITY_WEIGHTS = (80, 15, 5)
UNPAID_SHARE = 0.05
PRESHIP_REFUND_SHARE = 0.03  # buyer cancels the whole order before shipping
AFTER_SHIP_REFUND_SHARE = 0.07  # one line (part or all of it) refunded after shipping
UNKNOWN_STATUS_EVERY = 5000  # every 5000th paid order gets a status outside the vocabulary
LATE_REFUND_EVERY = 997  # the 50th, 1047th, ... paid order gets a refund requested 21-27 days after creation
RECENT_EXPORT_DAYS = 7  # the weekly "last 7 days" export


class Refund:
    __slots__ = ("refund_id", "amount", "requested_at", "approved_at", "resolved_at", "success", "with_return",
                 "reason")

    def __init__(self, refund_id, amount, requested_at, approved_at, resolved_at, success, with_return, reason):
        self.refund_id = refund_id
        self.amount = amount
        self.requested_at = requested_at
        self.approved_at = approved_at  # only for returns: seller agreed, goods on their way back
        self.resolved_at = resolved_at
        self.success = success
        self.with_return = with_return
        self.reason = reason

    def state_at(self, t: int) -> str | None:
        if t < self.requested_at:
            return None
        if t >= self.resolved_at:
            return "success" if self.success else "closed"
        if self.approved_at is not None and t >= self.approved_at:
            return "returning"
        return "pending"

    def times(self) -> tuple[int, ...]:
        return tuple(t for t in (self.requested_at, self.approved_at, self.resolved_at) if t is not None)


class Line:
    __slots__ = ("line_id", "listing", "quantity", "gross", "paid", "warehouse", "refund")

    def __init__(self, line_id: str | None, listing: Listing, quantity: int, warehouse: str):
        self.line_id = line_id
        self.listing = listing
        self.quantity = quantity
        self.gross = listing.price * quantity
        self.paid = self.gross  # minus its share of the order discount, see _allocate_discount
        self.warehouse = warehouse
        self.refund: Refund | None = None


class Order:
    __slots__ = ("seq", "order_id", "buyer", "created_at", "paid_at", "cancelled_at", "shipped_at", "completed_at",
                 "closed_at", "unknown_status", "status_variant", "lines", "shipping_fee", "shop_discount",
                 "platform_discount", "traffic_source", "creator", "message", "memo", "carrier", "tracking_no",
                 "fee_draw", "insurance")

    @property
    def goods_total(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount(self) -> int:
        return self.shop_discount + self.platform_discount

    @property
    def paid_amount(self) -> int:
        """Order amount: payable until paid, paid afterwards (the same number)."""
        return self.goods_total + self.shipping_fee - self.discount

    def state_at(self, t: int) -> str:
        """Canonical status at time t (see platforms.ORDER_STATUS for the raw strings)."""
        if self.cancelled_at is not None and t >= self.cancelled_at:
            return "cancelled"
        if t < self.paid_at:
            return "pending"
        if self.unknown_status:
            return "unknown"
        if self.closed_at is not None and t >= self.closed_at:
            return "closed"
        if self.completed_at is not None and t >= self.completed_at:
            return "completed"
        if self.shipped_at is not None and t >= self.shipped_at:
            return "shipped"
        return "paid"

    def times(self) -> list[int]:
        times = [t for t in (self.created_at, self.paid_at, self.cancelled_at, self.shipped_at, self.completed_at,
                             self.closed_at) if t is not None and t < NEVER]
        for line in self.lines:
            if line.refund is not None:
                times.extend(line.refund.times())
        return times

    def refunded_before(self, t: int) -> int:
        return sum(line.refund.amount for line in self.lines
                   if line.refund is not None and line.refund.success and line.refund.resolved_at < t)


NEVER = 2**62  # paid_at of an order that is never paid


class Counters:
    """Landing-wide running numbers (orders drive the 1-in-N quirks)."""

    def __init__(self):
        self.paid_orders = 0


class OrderBook:
    """Creates one shop's orders and remembers the ones that will still change."""

    def __init__(self, shop: Shop, buyers: BuyerPool, inventory, counters: Counters, last_day: int):
        self.shop = shop
        self.platform = shop.platform
        self.buyers = buyers
        self.inventory = inventory
        self.counters = counters
        self.last_day = last_day
        self.schedule: dict[int, list[Order]] = {}
        self.recent: deque[tuple[int, list[Order]]] = deque(maxlen=RECENT_EXPORT_DAYS)
        self.next_order = 0
        self.next_line = 0
        self.next_refund = 0
        self._listed_count = -1
        self._listed: list[Listing] = []
        self._cumulative: list[float] = []

    # -- creation -------------------------------------------------------
    def open_day(self, day: int, rng: random.Random, volume: int) -> list[Order]:
        """Create the day's orders, file them under their change days and return them."""
        self._refresh_listings(day)
        created_times = sorted(day * DAY_SECONDS + rng.choices(range(24), HOUR_WEIGHTS)[0] * HOUR
                               + rng.randrange(HOUR) for _ in range(volume))
        orders = [order for order in (self._create(rng, t) for t in created_times) if order is not None]
        for order in orders:
            for change_day in sorted({t // DAY_SECONDS for t in order.times()}):
                if change_day <= self.last_day:
                    self.schedule.setdefault(change_day, []).append(order)
        self.recent.append((day, orders))
        return orders

    @property
    def listed(self) -> list[Listing]:
        """Listings on sale as of the last opened day (launched ones only)."""
        return self._listed

    def changed_on(self, day: int) -> list[Order]:
        return self.schedule.pop(day, [])

    def recent_orders(self) -> list[Order]:
        return [order for _, orders in self.recent for order in orders]

    def _refresh_listings(self, day: int) -> None:
        count = bisect.bisect_right([listing.sku.launch_day for listing in self.shop.listings], day)
        if count != self._listed_count:
            self._listed_count = count
            self._listed = self.shop.listings[:count]
            self._cumulative = list(accumulate(listing.weight for listing in self._listed))

    def _create(self, rng: random.Random, created_at: int) -> Order | None:
        paid = rng.random() >= UNPAID_SHARE
        lines = self._draw_lines(rng, paid)
        if not lines:
            return None  # everything the buyer wanted was sold out
        order = Order()
        order.seq = shop_key(self.shop.index, self.next_order)
        self.next_order += 1
        order.order_id = self._order_id(order.seq, created_at)
        order.buyer = self.buyers.pick(rng)
        order.created_at = created_at
        order.lines = lines
        order.unknown_status = False
        order.status_variant = rng.random() < P.PAID_STATUS_VARIANT_SHARE
        order.cancelled_at = order.shipped_at = order.completed_at = order.closed_at = None
        self._price(rng, order)
        order.traffic_source, order.creator = self._douyin_source(rng)
        order.message = rng.choice(V.BUYER_MESSAGES) if rng.random() < 0.1 else None
        order.memo = rng.choice(V.SELLER_MEMOS) if rng.random() < 0.05 else None
        order.carrier = "京东物流" if self.platform == "jd" else rng.choice(V.LOGISTICS)
        order.tracking_no = scrambled_digits(order.seq, 13, salt=11)
        order.fee_draw = rng.random()
        order.insurance = rng.randint(40, 150) if rng.random() < P.FREIGHT_INSURANCE_SHARE else 0
        if paid:
            self._live(rng, order)
        else:
            order.paid_at = NEVER
            order.cancelled_at = created_at + rng.randint(1800, DAY_SECONDS)
        return order

    def _draw_lines(self, rng: random.Random, reserve: bool) -> list[Line]:
        if not self._listed:
            return []
        wanted = rng.choices((1, 2, 3, 4), P.LINE_COUNT_WEIGHTS[self.platform])[0]
        lines: list[Line] = []
        chosen: set[int] = set()
        for _ in range(wanted * 3):
            if len(lines) == wanted:
                break
            listing = rng.choices(self._listed, cum_weights=self._cumulative)[0]
            quantity = rng.choices((1, 2, 3), QUANTITY_WEIGHTS)[0]
            if listing.sku.index in chosen:
                continue
            chosen.add(listing.sku.index)
            warehouse = self.inventory.warehouse_for(listing.sku, self.shop.warehouse, quantity)
            if warehouse is None:
                continue
            if reserve:
                self.inventory.reserve(listing.sku, warehouse, quantity)
            lines.append(Line(self._line_id(), listing, quantity, warehouse))
        return lines

    def _price(self, rng: random.Random, order: Order) -> None:
        goods = order.goods_total
        order.shipping_fee = rng.choice((600, 800, 1000)) if goods < 4900 and self.platform != "pdd" \
            and rng.random() < 0.6 else 0
        shop_discount = 0
        if rng.random() < 0.35:
            shop_discount = rng.choice((2000, 3000, 5000)) if goods >= 19900 else rng.choice((300, 500, 1000))
        platform_discount = rng.choice((100, 200, 300, 500)) if self.platform in ("pdd", "douyin") \
            and rng.random() < 0.3 else 0
        room = max(0, goods - 100)
        order.shop_discount = min(shop_discount, room)
        order.platform_discount = min(platform_discount, room - order.shop_discount)
        _allocate_discount(order.lines, order.discount)

    def _douyin_source(self, rng: random.Random) -> tuple[str | None, str | None]:
        if self.platform != "douyin":
            return None, None
        names, weights = zip(*P.DOUYIN_ORDER_SOURCES)
        source = rng.choices(names, weights)[0]
        creator = rng.choice(V.CREATORS) if source in ("直播", "短视频") else None
        return source, creator

    def _live(self, rng: random.Random, order: Order) -> None:
        """Draw the paid order's future: payment, shipping, completion, refunds."""
        created = order.created_at
        order.paid_at = created if self.platform == "pdd" else created + 5 + min(HOUR, int(rng.expovariate(1 / 150)))
        self.counters.paid_orders += 1
        number = self.counters.paid_orders
        if number % UNKNOWN_STATUS_EVERY == 137:
            order.unknown_status = True  # stuck in a status nobody documented
            return
        order.shipped_at = order.paid_at + rng.randint(10 * HOUR, 2 * DAY_SECONDS)
        order.completed_at = order.shipped_at + rng.randint(3 * DAY_SECONDS, 10 * DAY_SECONDS)
        draw = rng.random()
        late = number % LATE_REFUND_EVERY == 50
        if draw < PRESHIP_REFUND_SHARE and not late:
            self._refund_before_shipping(rng, order)
        elif draw < PRESHIP_REFUND_SHARE + AFTER_SHIP_REFUND_SHARE or late:
            self._refund_after_shipping(rng, order, late)

    def _refund_before_shipping(self, rng: random.Random, order: Order) -> None:
        requested = order.paid_at + rng.randint(600, 20 * HOUR)
        resolved = requested + rng.randint(HOUR, 30 * HOUR)
        success = rng.random() < 0.85
        reason = rng.choice(("不想要了", "拍错/多拍", "发货太慢"))
        for line in order.lines:
            line.refund = Refund(self._refund_id(), line.paid, requested, None, resolved, success, False, reason)
        if success:
            order.closed_at = resolved
            order.shipped_at = order.completed_at = None
        else:
            order.shipped_at = max(order.shipped_at, resolved + rng.randint(HOUR, 10 * HOUR))
            order.completed_at = order.shipped_at + rng.randint(3 * DAY_SECONDS, 10 * DAY_SECONDS)

    def _refund_after_shipping(self, rng: random.Random, order: Order, late: bool) -> None:
        line = rng.choice(order.lines)
        full = rng.random() < 0.7
        amount = line.paid if full else min(line.paid, max(100, int(line.paid * rng.uniform(0.1, 0.5))))
        with_return = full and rng.random() < 0.75
        if late:
            requested = order.created_at + rng.randint(21 * DAY_SECONDS, 27 * DAY_SECONDS)
        else:
            requested = order.shipped_at + rng.randint(6 * HOUR, 14 * DAY_SECONDS)
        approved = requested + rng.randint(HOUR, 24 * HOUR) if with_return else None
        resolved = (approved + rng.randint(DAY_SECONDS, 4 * DAY_SECONDS) if with_return
                    else requested + rng.randint(HOUR, 48 * HOUR))
        success = rng.random() < 0.8
        line.refund = Refund(self._refund_id(), amount, requested, approved, resolved, success, with_return,
                             rng.choice(V.REFUND_REASONS))
        if requested < order.completed_at:  # completion waits for the after-sales case
            if success and full and len(order.lines) == 1:
                order.closed_at = resolved
                order.completed_at = None
            else:
                order.completed_at = max(order.completed_at, resolved + rng.randint(HOUR, 2 * DAY_SECONDS))

    # -- identifiers ----------------------------------------------------
    def _order_id(self, seq: int, created_at: int) -> str:
        """Order ids use even keys, sub-order ids odd ones, so the two never collide."""
        lead, digits = P.ORDER_ID_FORMAT[self.platform]
        if lead == "yymmdd-":  # PDD: date of the order, a dash, 15 digits
            return f"{date_of(created_at // DAY_SECONDS):%y%m%d}-{scrambled_digits(2 * seq, digits)}"
        return lead + scrambled_digits(2 * seq, digits)

    def _line_id(self) -> str | None:
        """Sub-order id (Taobao/Tmall, Douyin); JD and PDD exports have none (derived downstream)."""
        if self.platform not in P.LINE_ID_FORMAT:
            return None
        key = 2 * shop_key(self.shop.index, self.next_line) + 1
        self.next_line += 1
        lead, digits = P.LINE_ID_FORMAT[self.platform]
        return lead + scrambled_digits(key, digits)

    def _refund_id(self) -> str:
        key = shop_key(self.shop.index, self.next_refund)
        self.next_refund += 1
        lead, digits = P.REFUND_ID_FORMAT[self.platform]
        return lead + scrambled_digits(key, digits, salt=5)


def _allocate_discount(lines: list[Line], discount: int) -> None:
    """Split the order discount over lines in proportion to their amounts; the largest line takes the rest."""
    goods = sum(line.gross for line in lines)
    if not discount:
        return
    shares = [discount * line.gross // goods for line in lines]
    largest = max(range(len(lines)), key=lambda i: lines[i].gross)
    shares[largest] += discount - sum(shares)
    for line, share in zip(lines, shares):
        line.paid = line.gross - share
