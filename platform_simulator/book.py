"""The generator's order book as the platform APIs show it at a time t: each order and refund in its state at t,
with its modification time, personal data only masked, encrypted or as open ids, rendered through the
resource's field map (protocols/*.yaml `fields`, `lines`)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from demo_data import ShopOrders
from demo_data.orders import NEVER, Order
from platform_sync.apis import Resource

SHANGHAI_OFFSET = 8 * 3600  # the generator's timestamps are Asia/Shanghai wall-clock seconds
MONEY = {"order_paid_amount", "goods_total", "shipping_fee", "discount_amount", "shop_discount", "platform_discount",
         "unit_price", "line_paid_amount", "refund_amount"}
TIMES = {"created_at", "paid_at", "shipped_at", "completed_at", "modified_at"}
REFUND_PROGRESS = ("pending", "returning", "success", "closed")  # which line's refund speaks for the order


def wall_of(moment: dt.datetime) -> int:
    """A real moment as the generator's wall-clock seconds."""
    return int(moment.timestamp()) + SHANGHAI_OFFSET


def _yuan_text(fen: int) -> str:
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


FORMATS = {
    "yuan_text": _yuan_text,
    "yuan_number": lambda fen: round(fen / 100, 2),
    "fen": int,
    "shanghai_text": lambda wall: dt.datetime.fromtimestamp(wall, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
    "epoch_seconds": lambda wall: wall - SHANGHAI_OFFSET,
    "int": int,
    "text": str,
}


def _at_or_before(t: int | None, at: int) -> int | None:
    return t if t is not None and t < NEVER and t <= at else None


@dataclass
class ShopBook:
    """One shop's orders and refunds, with the extra modifications a test injected."""

    orders: ShopOrders
    key: bytes
    by_id: dict[str, Order] = field(init=False)
    refunds: dict[str, tuple[Order, Any]] = field(init=False)  # refund id -> (order, line)
    touched: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (resource, id) -> wall times

    def __post_init__(self) -> None:
        self.by_id = {order.order_id: order for order in self.orders.orders}
        self.refunds = {line.refund.refund_id: (order, line) for order in self.orders.orders
                        for line in order.lines if line.refund is not None}

    @property
    def platform(self) -> str:
        return self.orders.shop.platform

    def touch(self, resource: str, record_id: str, wall: int) -> None:
        """Modify a record at `wall` without changing its state (a seller's memo, an address edit...)."""
        self.touched.setdefault((resource, record_id), []).append(wall)

    # -- what the API sees at time t -----------------------------------
    def records(self, resource: str, at: int) -> list[tuple[str, int, int, Any]]:
        """(id, created, modified, source) of every record that exists at `at`."""
        found = []
        if resource == "orders":
            for order in self.orders.orders:
                if order.created_at <= at:
                    found.append((order.order_id, order.created_at, self._modified(resource, order.order_id,
                                                                                   order.times(), at), order))
        else:
            for refund_id, (order, line) in self.refunds.items():
                if line.refund.requested_at <= at:
                    found.append((refund_id, line.refund.requested_at,
                                  self._modified(resource, refund_id, line.refund.times(), at), (order, line)))
        return found

    def _modified(self, resource: str, record_id: str, times, at: int) -> int:
        return max(t for t in (*times, *self.touched.get((resource, record_id), ())) if t <= at)

    def state_of(self, resource: str, source: Any, at: int) -> str:
        return source.state_at(at) if resource == "orders" else source[1].refund.state_at(at)

    def view(self, resource: str, source: Any, modified: int, at: int) -> dict[str, Any]:
        """The record's canonical concepts at `at` (orders carry their lines under "lines")."""
        return (self._order_view(source, modified, at) if resource == "orders"
                else self._refund_view(*source, modified, at))

    def _order_view(self, order: Order, modified: int, at: int) -> dict[str, Any]:
        lines = []
        for line in order.lines:
            refund_state = line.refund.state_at(at) if line.refund is not None else None
            listing = line.listing
            lines.append({
                "line_id": line.line_id, "platform_item_id": listing.item_id, "sku_code": listing.sku.code,
                "item_title": listing.sku.title, "sku_spec": listing.spec_text, "quantity": line.quantity,
                "unit_price": listing.price, "goods_total": line.gross, "line_paid_amount": line.paid,
                "refund_state": refund_state or "none", "refund_amount": line.refund.amount if refund_state else 0,
                "creator": order.creator})
        states = {line["refund_state"] for line in lines}
        shipped_at = _at_or_before(order.shipped_at, at)
        return {
            "order_id": order.order_id, "state": order.state_at(at), "created_at": order.created_at,
            "paid_at": _at_or_before(order.paid_at, at), "shipped_at": shipped_at,
            "completed_at": _at_or_before(order.completed_at, at), "modified_at": modified,
            "order_paid_amount": order.paid_amount, "goods_total": order.goods_total,
            "shipping_fee": order.shipping_fee, "discount_amount": order.discount,
            "shop_discount": order.shop_discount, "platform_discount": order.platform_discount,
            "confirmed": 1 if order.paid_at <= at else 0, "refund_state": next(
                (state for state in REFUND_PROGRESS if state in states), "none"),
            "buyer_message": order.message, "seller_memo": order.memo, "traffic_source": order.traffic_source,
            "tracking_no": order.tracking_no if shipped_at else None, **self._buyer(order), "lines": lines}

    def _refund_view(self, order: Order, line, modified: int, at: int) -> dict[str, Any]:
        refund = line.refund
        return {
            "refund_id": refund.refund_id, "order_id": order.order_id, "line_id": line.line_id,
            "state": refund.state_at(at), "refund_state": refund.state_at(at), "with_return": refund.with_return,
            "created_at": refund.requested_at, "modified_at": modified, "refund_amount": refund.amount,
            "line_paid_amount": line.paid, "reason": refund.reason, "platform_item_id": line.listing.item_id,
            "sku_code": line.listing.sku.code, "item_title": line.listing.sku.title, "quantity": line.quantity,
            "buyer_open_id": self._buyer(order)["buyer_open_id"]}

    def _buyer(self, order: Order) -> dict[str, str]:
        """Personal data as the APIs give it: open ids, masks and ciphertexts, never the plain values."""
        buyer = self.orders.buyers.profile(order.buyer)
        address = f"{buyer.province}{buyer.city}{buyer.district}{buyer.street}"
        return {
            "buyer_open_id": self._opaque("open", self.platform, order.buyer)[:32],
            "buyer_nick_masked": buyer.buyer_id[:1] + "**",
            "receiver_name_masked": buyer.name[:1] + "*" * (len(buyer.name) - 1),
            "receiver_phone_masked": buyer.phone[:3] + "****" + buyer.phone[-4:],
            "receiver_address_masked": f"{buyer.province}{buyer.city}{buyer.district}****",
            "receiver_name_encrypted": self._cipher(buyer.name), "receiver_phone_encrypted": self._cipher(buyer.phone),
            "receiver_address_encrypted": self._cipher(address),
            "receiver_oaid": self._opaque("oaid", self.platform, order.buyer, address)[:40],
            "province": buyer.province, "city": buyer.city, "district": buyer.district}

    def _opaque(self, *parts: object) -> str:
        return hmac.new(self.key, ":".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()

    def _cipher(self, plain: str) -> str:
        """A ciphertext-shaped token (a keyed digest): stable per value, and nothing can decrypt it."""
        digest = hmac.new(self.key, plain.encode(), hashlib.sha256).digest()
        return f"~{base64.b64encode(digest).decode()}~1~"


def render(resource: Resource, view: Mapping[str, Any], values: Mapping[str, str],
           wanted: set[str] | None) -> dict[str, Any]:
    """A record in the platform's field names and value formats; `wanted`: top-level fields to keep."""
    record = _render_fields(resource, resource.fields, view, values, wanted)
    if resource.lines and (wanted is None or resource.lines.path.split(".")[0] in wanted):
        set_path(record, resource.lines.path,
             [_render_fields(resource, resource.lines.fields, line, values, None) for line in view["lines"]])
    return record


def _render_fields(resource: Resource, fields: Mapping[str, str], view: Mapping[str, Any],
                   values: Mapping[str, str], wanted: set[str] | None) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, source in fields.items():
        if wanted is not None and name.split(".")[0] not in wanted:
            continue
        if name in resource.only_while and view.get("state") not in resource.only_while[name]:
            continue
        concept, _, explicit = source.partition("|")
        value = _value(resource, concept, view)
        kind = explicit or (values["money"] if concept in MONEY else values["time"] if concept in TIMES else None)
        if value is None:
            if values["absent"] == "omit":
                continue
            value = 0 if kind and kind != "text" or concept in TIMES else ""
        elif kind:
            value = FORMATS[kind](value)
        set_path(record, name, value)
    return record


def _value(resource: Resource, concept: str, view: Mapping[str, Any]) -> Any:
    """Statuses and types through the resource's value maps; everything else as the view has it."""
    if concept == "status":
        return resource.statuses.get(view["state"])
    if concept == "refund_status":
        return resource.refund_statuses.get(view["refund_state"])
    if concept == "refund_type":
        return resource.refund_types.get(view["with_return"])
    return view.get(concept)


def set_path(record: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for step in parents:
        record = record.setdefault(step, {})
    record[last] = value
