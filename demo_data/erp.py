"""The seller's ERP: stock per SKU x warehouse, purchase receipts, costs, expenses, budgets.

Stock is reserved when an order is paid, leaves the warehouse when it
ships, comes back with returned goods and arrives with purchase orders.
Shops cannot sell what is not available, so stock-outs show up as
available = 0 days (and missing sales).  Supply-constrained SKUs get one
small purchase order at a time with a long lead time: they run out
regularly.  Slow and discontinued SKUs start with stock and barely sell.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass

from . import platforms as P
from . import vocab as V
from .catalog import DAY_SECONDS, Shop, Sku, date_of, month_key, sub_rng
from .orders import Line, Order

MEAN_QUANTITY = 1.25
COVER_DAYS = 25  # a normal purchase order covers this many days of demand
CONSTRAINED_COVER_DAYS = 8
SAFETY_DAYS = 7
SUPPLIER_BY_CATEGORY = {"女装": 0, "男装": 1, "家居": 2, "数码配件": 3, "美妆": 2, "食品": 4}


@dataclass
class Position:
    """One SKU in one warehouse."""

    sku: Sku
    warehouse: str
    daily_demand: float  # expected units per day, drives purchasing
    on_hand: int = 0
    reserved: int = 0  # paid, not shipped
    in_transit: int = 0  # ordered from the supplier, not received
    stocked: bool = False  # first receipt arrived

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def expected_daily_units(shops: list[Shop]) -> dict[tuple[int, str], float]:
    """Units per day each SKU x warehouse should sell, from shop volumes and listing weights."""
    demand: dict[tuple[int, str], float] = {}
    for shop in shops:
        weights = P.LINE_COUNT_WEIGHTS[shop.platform]
        lines_per_order = sum(n * w for n, w in zip((1, 2, 3, 4), weights)) / sum(weights)
        total_weight = sum(listing.weight for listing in shop.listings) or 1.0
        for listing in shop.listings:
            sku = listing.sku
            warehouse = shop.warehouse if shop.warehouse in sku.warehouses else sku.warehouses[0]
            units = shop.base_orders * lines_per_order * listing.weight / total_weight * MEAN_QUANTITY
            demand[(sku.index, warehouse)] = demand.get((sku.index, warehouse), 0.0) + units
    return demand


class Inventory:
    """All stock positions plus the purchase orders on their way."""

    def __init__(self, skus: list[Sku], shops: list[Shop], seed: int, start_day: int):
        self.seed = seed
        demand = expected_daily_units(shops)
        self.positions: dict[tuple[int, str], Position] = {}
        self.arrivals: dict[int, list[tuple[Position, int]]] = {}
        rng = sub_rng(seed, "opening-stock")
        for sku in skus:
            for warehouse in sku.warehouses:
                position = Position(sku, warehouse, demand.get((sku.index, warehouse), 0.0))
                self.positions[(sku.index, warehouse)] = position
                self._order(position, max(start_day, sku.launch_day - 2), self._opening_quantity(rng, position))

    @staticmethod
    def _opening_quantity(rng: random.Random, position: Position) -> int:
        if position.sku.slow or position.sku.discontinued:
            return rng.randint(60, 200)  # bought too much of it
        if position.sku.supply_constrained:
            return round(position.daily_demand * rng.uniform(4, 12)) + rng.randint(0, 5)
        return round(position.daily_demand * rng.uniform(25, 50)) + rng.randint(10, 30)

    def _order(self, position: Position, arrival_day: int, quantity: int) -> None:
        position.in_transit += quantity
        self.arrivals.setdefault(arrival_day, []).append((position, quantity))

    # -- order flow ------------------------------------------------------
    def warehouse_for(self, sku: Sku, preferred: str, quantity: int) -> str | None:
        """The shop's own warehouse if it can serve the quantity, else another one, else None (sold out)."""
        candidates = (preferred,) + tuple(w for w in sku.warehouses if w != preferred)
        for warehouse in candidates:
            position = self.positions.get((sku.index, warehouse))
            if position is not None and position.stocked and position.available >= quantity:
                return warehouse
        return None

    def reserve(self, sku: Sku, warehouse: str, quantity: int) -> None:
        self.positions[(sku.index, warehouse)].reserved += quantity

    def apply_changes(self, orders: list[Order], day: int) -> None:
        """Stock effects of the day's order changes: shipping, cancellation after payment, returns."""
        for order in orders:
            shipped, closed = order.shipped_at, order.closed_at
            for line in order.lines:
                position = self._position(line)
                if shipped is not None and shipped // DAY_SECONDS == day:
                    position.reserved -= line.quantity
                    position.on_hand -= line.quantity
                elif closed is not None and shipped is None and closed // DAY_SECONDS == day:
                    position.reserved -= line.quantity
                refund = line.refund
                if (refund is not None and refund.success and refund.with_return and shipped is not None
                        and refund.resolved_at // DAY_SECONDS == day):
                    position.on_hand += line.quantity

    def _position(self, line: Line) -> Position:
        return self.positions[(line.listing.sku.index, line.warehouse)]

    # -- purchasing --------------------------------------------------------
    def receive(self, day: int) -> list[dict]:
        """Purchase orders arriving today: stock in, one receipt row each."""
        rows = []
        stamp = date_of(day).strftime("%Y%m%d")
        for number, (position, quantity) in enumerate(self.arrivals.pop(day, []), start=1):
            position.on_hand += quantity
            position.in_transit -= quantity
            position.stocked = True
            sku = position.sku
            cost = sku.cost_on(day)
            rows.append({
                "receipt_id": f"RK{stamp}{number:04d}", "receipt_date": day, "warehouse": position.warehouse,
                "supplier": V.SUPPLIERS[SUPPLIER_BY_CATEGORY[sku.category]], "sku_code": sku.code,
                "product_name": sku.name, "quantity": quantity, "unit_cost": cost, "receipt_value": cost * quantity,
            })
        return rows

    def replenish(self, day: int) -> None:
        """End-of-day purchasing: one open purchase order per position at most."""
        rng = sub_rng(self.seed, "purchasing", day)
        for position in self.positions.values():
            demand = position.daily_demand
            if not position.stocked or position.in_transit or demand < 0.05:
                continue
            if position.sku.supply_constrained:
                lead, cover = rng.randint(15, 25), CONSTRAINED_COVER_DAYS
            else:
                lead, cover = rng.randint(3, 7), COVER_DAYS
            if position.available < demand * (lead + SAFETY_DAYS):
                self._order(position, day + lead, max(10, round(demand * cover * rng.uniform(0.9, 1.2))))

    def snapshot_rows(self, day: int) -> list[dict]:
        return [{"stat_date": day, "warehouse": p.warehouse, "sku_code": p.sku.code, "product_name": p.sku.name,
                 "on_hand": p.on_hand, "available": p.available, "in_transit": p.in_transit}
                for p in self.positions.values() if p.stocked]


def product_rows(skus: list[Sku]) -> list[dict]:
    return [{"sku_code": s.code, "product_name": s.title, "sku_spec": " ".join(v for _, v in s.spec),
             "category": s.category, "brand": s.brand, "launch_date": s.launch_day, "tag_price": s.tag_price,
             "unit": "件"} for s in skus]


def cogs_rows(skus: list[Sku]) -> list[dict]:
    return [{"sku_code": s.code, "product_name": s.name, "cost": cost, "effective_date": effective}
            for s in skus for effective, cost in s.costs]


# operating expenses: monthly fixed amounts (fen) per shop, scaled by the shop's size
MONTHLY_ACCOUNTS = {"人工": (800_000, 10_000), "房租": (300_000, 1_500), "仓储": (100_000, 2_500)}
# per shipped order (fen)
PER_ORDER_ACCOUNTS = {"快递": 450, "包材": 60}


def _monthly_amount(account: str, shop: Shop) -> int:
    fixed, per_order = MONTHLY_ACCOUNTS[account]
    return fixed + per_order * shop.base_orders


class ExpenseBook:
    """Daily per-order costs and monthly fixed costs, written as one file per month."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rows: list[dict] = []

    def add_day(self, shop: Shop, day: int, shipped_orders: int, first_day: bool) -> None:
        rng = sub_rng(self.seed, "expenses", shop.code, day)
        if first_day or date_of(day).day == 1:
            for account in MONTHLY_ACCOUNTS:
                amount = round(_monthly_amount(account, shop) * rng.uniform(0.95, 1.05))
                self.rows.append({"stat_date": day, "shop_code": shop.code, "account": account, "amount": amount,
                                  "memo": f"{date_of(day):%Y-%m}月度"})
        for account, per_order in PER_ORDER_ACCOUNTS.items():
            if shipped_orders:
                amount = round(shipped_orders * per_order * rng.uniform(0.9, 1.1))
                self.rows.append({"stat_date": day, "shop_code": shop.code, "account": account, "amount": amount,
                                  "memo": f"发货{shipped_orders}单"})

    def take(self) -> list[dict]:
        rows, self.rows = self.rows, []
        return rows


def budget_rows(shops: list[Shop], first_day: int, last_day: int, seed: int) -> list[dict]:
    """Monthly budget per shop and account for every month the period touches, near expected spend."""
    rng = sub_rng(seed, "budgets")
    months = sorted({month_key(day) for day in range(first_day, last_day + 1)})
    rows = []
    for month in months:
        year, number = map(int, month.split("-"))
        days_in_month = calendar.monthrange(year, number)[1]
        for shop in shops:
            for account in MONTHLY_ACCOUNTS:
                rows.append({"month": month, "shop_code": shop.code, "account": account,
                             "budget": int(round(_monthly_amount(account, shop) * rng.uniform(0.95, 1.15), -4))})
            for account, per_order in PER_ORDER_ACCOUNTS.items():
                expected = shop.base_orders * 0.93 * days_in_month * per_order
                rows.append({"month": month, "shop_code": shop.code, "account": account,
                             "budget": int(round(expected * rng.uniform(0.9, 1.15), -4))})
    return rows
