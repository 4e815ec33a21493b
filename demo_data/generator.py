"""The day-by-day loop that writes the landing folder (see the package docstring)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from . import layouts as L
from .catalog import (DAY_SECONDS, BuyerPool, Shop, build_catalog, build_shops, date_of, day_number, end_of_day,
                      month_key, sub_rng)
from .erp import ExpenseBook, Inventory, budget_rows, cogs_rows, product_rows
from .exports import DaySales, Ledger, ads_rows, order_rows, refund_rows, traffic_shop_rows, traffic_sku_rows
from .orders import Counters, Order, OrderBook
from .platforms import PLATFORMS
from .writers import LandingWriter

DEFAULT_START = date(2026, 10, 1)
MAX_SHOPS = 999  # shop index is part of every generated id
WEEKDAY_FACTOR = (0.95, 0.93, 0.95, 0.98, 1.05, 1.12, 1.10)  # Monday first
DATE_FACTOR = {(10, 1): 0.85, (10, 2): 0.85, (10, 3): 0.9, (11, 1): 1.5, (11, 10): 1.6, (11, 11): 3.0,
               (12, 12): 1.8, (6, 18): 2.2, (1, 1): 0.9}  # holidays and shopping festivals
DAILY_GROWTH = 0.0005
INCIDENT_SHARE = 0.3  # shops with one bad day (sales x0.4) for the anomaly alerts to find
RECENT_EXPORT_EVERY = 7  # a "last 7 days" orders export every 7th day
REDELIVERED_DAY = 2  # the first shop of each platform downloads this day's orders twice


@dataclass
class GenerationSummary:
    """What was written: the CLI prints it."""

    out: Path
    start: date
    days: int
    shops: int
    orders: int = 0
    order_lines: int = 0
    refunds: int = 0
    files: dict[str, int] = field(default_factory=dict)  # "taobao/orders" -> number of files

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    def __str__(self) -> str:
        """One summary line, then the number of files per platform/kind."""
        lines = [f"{self.shops} shops x {self.days} days from {self.start}: {self.orders:,} orders, "
                 f"{self.order_lines:,} order lines, {self.refunds:,} refunds, {self.total_files:,} files"]
        lines += [f"  {kind:<26} {count:>6,}" for kind, count in sorted(self.files.items())]
        return "\n".join(lines)


def generate(out: Path, shops: int = 5, days: int = 30, start: date | None = None,
             seed: int = 7, workers: int | None = None) -> GenerationSummary:
    """Write a complete demo landing folder under ``out``; same arguments, same bytes.

    ``workers`` processes write the files (default: one per available core);
    the bytes do not depend on it.
    """
    if not 1 <= shops <= MAX_SHOPS or days < 1:
        raise ValueError(f"need 1 <= shops <= {MAX_SHOPS} and days >= 1, got shops={shops} days={days}")
    start = start or DEFAULT_START
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first_day = day_number(start)
    with LandingWriter(out, workers or len(os.sched_getaffinity(0))) as writer:
        summary = _simulate(writer, out, shops, days, first_day, seed)
    summary.files = dict(sorted(writer.files.items()))
    return summary


@dataclass
class World:
    """The seller's world one landing describes: catalogue, shops, stock, buyers and order books."""

    seed: int
    first_day: int
    last_day: int
    skus: list
    shops: list[Shop]
    inventory: Inventory
    pools: dict[str, BuyerPool]
    books: dict[str, OrderBook]


@dataclass(frozen=True)
class ShopDay:
    """One shop's day: the orders it created, those that changed, and the day's generator for its exports."""

    shop: Shop
    day: int
    rng: random.Random
    created: list[Order]
    changed: list[Order]


def _world(shops: int, days: int, first_day: int, seed: int) -> World:
    last_day = first_day + days - 1
    skus = build_catalog(seed, first_day, days)
    shop_list = build_shops(seed, shops, skus, first_day, days)
    inventory = Inventory(skus, shop_list, seed, first_day)
    counters = Counters()
    pools = {platform: BuyerPool(seed, platform) for platform in PLATFORMS}
    books = {shop.code: OrderBook(shop, pools[shop.platform], inventory, counters, last_day) for shop in shop_list}
    return World(seed, first_day, last_day, skus, shop_list, inventory, pools, books)


def _walk(world: World) -> Iterator[tuple[int, list[dict] | ShopDay | None]]:
    """The day-by-day life of the world: (day, stock receipts) at its start, (day, ShopDay) per shop, then
    (day, None) once stock is replenished. Orders depend on stock and landing-wide counters, so everyone who
    needs the orders walks this one loop."""
    incidents = {shop.code: _incident_day(world.seed, shop, world.first_day, world.last_day - world.first_day + 1)
                 for shop in world.shops}
    for day in range(world.first_day, world.last_day + 1):
        yield day, world.inventory.receive(day)
        for shop in world.shops:
            rng = sub_rng(world.seed, shop.code, day)
            book = world.books[shop.code]
            volume = _daily_volume(shop, day, world.first_day, rng) * (0.4 if incidents[shop.code] == day else 1)
            created = book.open_day(day, rng, round(volume))
            changed = book.changed_on(day)
            world.inventory.apply_changes(changed, day)
            yield day, ShopDay(shop, day, rng, created, changed)
        world.inventory.replenish(day)
        yield day, None


@dataclass
class ShopOrders:
    """Every order one shop took, with its whole drawn future, and the buyer pool its buyers come from."""

    shop: Shop
    buyers: BuyerPool
    orders: list[Order] = field(default_factory=list)


def order_history(shops: int = 5, days: int = 30, start: date | None = None, seed: int = 7) -> list[ShopOrders]:
    """The orders `generate` with the same arguments draws, per shop, without writing anything: the
    simulated platform APIs serve these, so the API path and the export path describe the same orders."""
    world = _world(shops, days, day_number(start or DEFAULT_START), seed)
    history = {shop.code: ShopOrders(shop, world.pools[shop.platform]) for shop in world.shops}
    for _, event in _walk(world):
        if isinstance(event, ShopDay):
            history[event.shop.code].orders.extend(event.created)
    return list(history.values())


def _simulate(writer: LandingWriter, out: Path, shops: int, days: int, first_day: int,
              seed: int) -> GenerationSummary:
    """The day-by-day loop: every shop's day, then the ERP files."""
    world = _world(shops, days, first_day, seed)
    last_day, shop_list, inventory = world.last_day, world.shops, world.inventory
    summary = GenerationSummary(out=out, start=date_of(first_day), days=days, shops=shops)
    _write_registry(out, shop_list, first_day)
    budgets = budget_rows(shop_list, first_day, last_day, seed)
    for year in sorted({row["month"][:4] for row in budgets}):  # one budget file per year
        writer.write(("erp", "budgets"), L.ERP["budgets"], {"year": year},
                     [row for row in budgets if row["month"].startswith(year)], first_day, {"year": year})

    ledgers = {shop.code: Ledger(shop) for shop in shop_list}
    expenses = ExpenseBook(seed)
    for day, event in _walk(world):
        if isinstance(event, ShopDay):
            shop, created, changed = event.shop, event.created, event.changed
            summary.orders += len(created)
            summary.order_lines += sum(len(order.lines) for order in created)
            summary.refunds += sum(1 for order in created for line in order.lines if line.refund is not None)
            _write_shop_day(writer, shop, world.books[shop.code], ledgers[shop.code], changed, day, first_day,
                            event.rng, world.pools[shop.platform])
            shipped = sum(1 for o in changed if o.shipped_at is not None and o.shipped_at // DAY_SECONDS == day)
            expenses.add_day(shop, day, shipped, first_day=day == first_day)
        elif event:  # the day's stock receipts
            writer.write(("erp", "inventory_receipts"), L.ERP["inventory_receipts"], _day_names(day), event, day)
        elif event is None:  # stock replenished: the day is over
            writer.write(("erp", "inventory_snapshot"), L.ERP["inventory_snapshot"], _day_names(day),
                         inventory.snapshot_rows(day), day)
            if day == last_day or date_of(day + 1).day == 1:
                writer.write(("erp", "expenses"), L.ERP["expenses"], {"month": month_key(day)}, expenses.take(),
                             day)

    writer.write(("erp", "products"), L.ERP["products"], {}, product_rows(world.skus), last_day)
    writer.write(("erp", "cogs"), L.ERP["cogs"], _day_names(last_day), cogs_rows(world.skus), last_day)
    return summary


def _write_shop_day(writer: LandingWriter, shop: Shop, book: OrderBook, ledger: Ledger, changed: list, day: int,
                    first_day: int, rng: random.Random, buyers: BuyerPool) -> None:
    """All exports of one shop for one day."""
    folder = (shop.platform, shop.code)
    at = end_of_day(day)
    names = _day_names(day)
    orders_path = writer.write((*folder, "orders"), L.ORDERS[shop.platform], names,
                               order_rows(shop, changed, at, buyers), day)
    if shop.index < len(PLATFORMS) and day == first_day + min(REDELIVERED_DAY, book.last_day - first_day):
        writer.redeliver(orders_path)
    if (day - first_day) % RECENT_EXPORT_EVERY == RECENT_EXPORT_EVERY - 1:
        week = {"date": f"{date_of(day - RECENT_EXPORT_EVERY + 1):%Y%m%d}-{date_of(day):%Y%m%d}"}
        writer.write((*folder, "orders"), L.ORDERS[shop.platform], week,
                     order_rows(shop, book.recent_orders(), at, buyers), day, mtime_offset=30)

    refunds = refund_rows(shop, changed, day, buyers)
    if refunds:
        writer.write((*folder, "refunds"), L.REFUNDS[shop.platform], names, refunds, day)

    sales = DaySales.of(changed, day)
    title = {"first": date_of(day).isoformat(), "last": date_of(day).isoformat()}
    writer.write((*folder, "traffic_shop"), L.TRAFFIC_SHOP[shop.platform], names,
                 traffic_shop_rows(shop, day, sales, rng), day, title)
    writer.write((*folder, "traffic_sku"), L.TRAFFIC_SKU[shop.platform], names,
                 traffic_sku_rows(shop, book.listed, day, sales, rng), day, title)
    for tool, rows in ads_rows(shop, day, sales, rng).items():
        writer.write((*folder, "ads"), L.ADS[(shop.platform, tool)], {**names, "tool": tool}, rows, day)
        ledger.add_ad_spend(sum(row["spend"] for row in rows))

    entries = ledger.entries(changed, day, rng)
    if entries:
        d = date_of(day)
        alipay = {"account": f"{shop.code}@shop.example.cn", "first_cn": f"{d:%Y年%m月%d日}",
                  "next_cn": f"{date_of(day + 1):%Y年%m月%d日}"}
        writer.write((*folder, "settlement"), L.SETTLEMENT[shop.platform], names, entries, day, alipay)


def _day_names(day: int) -> dict[str, str]:
    return {"date": date_of(day).strftime("%Y%m%d")}


def _daily_volume(shop: Shop, day: int, first_day: int, rng: random.Random) -> float:
    """base_orders(shop) x weekday x holiday/festival x slow growth x noise."""
    d = date_of(day)
    factor = WEEKDAY_FACTOR[d.weekday()] * DATE_FACTOR.get((d.month, d.day), 1.0)
    return shop.base_orders * factor * (1 + DAILY_GROWTH * (day - first_day)) * rng.lognormvariate(0, 0.08)


def _incident_day(seed: int, shop: Shop, first_day: int, days: int) -> int | None:
    rng = sub_rng(seed, "incident", shop.code)
    return first_day + rng.randrange(days) if days >= 14 and rng.random() < INCIDENT_SHARE else None


def _write_registry(out: Path, shops: list[Shop], first_day: int) -> None:
    entries = []
    for shop in shops:
        entry = {"shop_code": shop.code, "platform": shop.platform, "shop_name": shop.name}
        if shop.platform == "douyin":
            entry.update(timezone="Asia/Shanghai", currency="CNY")
        entries.append(entry)
    path = out / "shops.yaml"
    path.write_text(yaml.safe_dump({"shops": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    stamp = end_of_day(first_day) - 59
    os.utime(path, (stamp, stamp))
