"""API records onto the raw layer's canonical columns, by declarative field maps (fieldmaps/<protocol>/<resource>.yaml),
the way ingestion/mappings map export headers onto ingestion/mappings/kinds.yaml.

Orders land at line grain (one row per order line, the order's fields repeated), refunds one row per record.
Units become the canonical ones (分 and yuan text -> yuan, GMT+8 text and unix seconds -> UTC instants); raw
statuses stay as the platform sends them; personal data stays as the API gives it (open ids, masks, ciphertexts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ecomops.settings import PACKAGED_MAPPINGS
from platform_sync.apis import dig
from platform_sync.protocol import PLATFORM_TIME, protocols

FIELDMAPS = Path(__file__).with_name("fieldmaps")
KINDS_FILE = PACKAGED_MAPPINGS / "kinds.yaml"
DERIVE_OPS = ("copy", "concat", "divide")


def _text(value: Any) -> str | None:
    if isinstance(value, bool):  # as the JSON said it
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _shanghai_text(value: Any) -> dt.datetime | None:
    text = str(value).strip()
    if not text:
        return None
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=PLATFORM_TIME).astimezone(dt.timezone.utc)


def _epoch_seconds(value: Any) -> dt.datetime | None:
    seconds = int(value)
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc) if seconds > 0 else None  # Douyin: 0 is "not yet"


def _yuan(value: Any) -> float | None:
    text = str(value).strip()
    return round(float(text), 2) if text else None


CONVERTERS = {
    "id": _text,
    "text": _text,
    "int": lambda value: int(str(value).strip()) if str(value).strip() else None,
    "yuan": _yuan,
    "fen": lambda value: round(int(value) / 100, 2),
    "shanghai_text": _shanghai_text,
    "epoch_seconds": _epoch_seconds,
}


@dataclass(frozen=True)
class Column:
    name: str
    fields: tuple[str, ...]  # dotted API paths, the first present wins
    convert: str

    def value(self, record: Mapping[str, Any]) -> Any:
        for path in self.fields:
            found = dig(record, path)
            if found is not None:
                return CONVERTERS[self.convert](found)
        return None


@dataclass(frozen=True)
class Derived:
    name: str
    op: str
    inputs: tuple[str, ...]
    when: Mapping[str, tuple[str, ...]]  # column -> the values for which the derivation applies

    def apply(self, row: dict[str, Any]) -> Any:
        if any(str(row.get(column)) not in values for column, values in self.when.items()):
            return None
        values = [row.get(name) for name in self.inputs]
        if any(value is None for value in values):
            return None
        if self.op == "copy":
            return values[0]
        if self.op == "concat":
            return "-".join(map(str, values))
        return round(values[0] / values[1], 2) if values[1] else None  # divide


@dataclass(frozen=True)
class Allocation:
    """A line amount the API leaves out, as the export states it: the line's gross (price x quantity) less its
    share of an order amount (a discount), shares in proportion to the lines' gross in fen, the largest line
    taking the rounding rest."""

    name: str
    gross: tuple[str, str]  # price, quantity
    less_share_of: str

    def apply(self, rows: list[dict[str, Any]]) -> None:
        if any(row.get(name) is None for row in rows for name in self.gross):
            return
        gross = [round(row[self.gross[0]] * 100) * row[self.gross[1]] for row in rows]
        amount = round((rows[0].get(self.less_share_of) or 0) * 100)
        total = sum(gross)
        shares = [amount * line // total if total else 0 for line in gross]
        shares[max(range(len(rows)), key=gross.__getitem__)] += amount - sum(shares)
        for row, line, share in zip(rows, gross, shares):
            row[self.name] = (line - share) / 100


@dataclass(frozen=True)
class FieldMap:
    """One resource's map: the record's (or order's) columns, its lines' columns, what is derived."""

    kind: str
    modified_at: Column
    record: tuple[Column, ...]  # orders: the order-level columns
    lines: str | None
    line: tuple[Column, ...]
    derived: tuple[Derived, ...]
    allocated: tuple[Allocation, ...]  # over the lines of one record
    canonical: Mapping[str, str]  # the kind's canonical columns and their types (kinds.yaml)

    def api_fields(self) -> list[str]:
        """The top-level API fields the map reads (for the `fields` parameters that ask for them)."""
        names = [path.split(".")[0] for column in (self.modified_at, *self.record) for path in column.fields]
        return list(dict.fromkeys([*names, *([self.lines.split(".")[0]] if self.lines else [])]))

    def rows(self, record: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The raw rows of one API record: every canonical column (None where the API has none) and modified_at."""
        head = {column.name: column.value(record) for column in self.record}
        head["modified_at"] = self.modified_at.value(record)
        lines = (dig(record, self.lines) or []) if self.lines else [{}]
        rows = []
        for line in lines:
            row = {**head, **{column.name: column.value(line) for column in self.line}}
            for derived in self.derived:
                row[derived.name] = derived.apply(row)
            rows.append(row)
        for allocation in self.allocated if rows else ():
            allocation.apply(rows)
        return [{**{name: row.get(name) for name in self.canonical}, "modified_at": row["modified_at"]} for row in rows]


@cache
def canonical_columns() -> dict[str, dict[str, str]]:
    """kinds.yaml's canonical columns of the platform kinds the APIs fill: kind -> column -> type."""
    kinds = yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))["platform_kinds"]
    return {kind: dict(kinds[kind]) for kind in ("orders", "refunds")}


def _column(name: str, spec: Mapping[str, Any], where: str) -> Column:
    if spec.get("as") not in CONVERTERS:
        raise ValueError(f"{where}: {name}: `as` must be one of {', '.join(CONVERTERS)}")
    fields = spec["field"]
    return Column(name, tuple(fields) if isinstance(fields, list) else (fields,), spec["as"])


def _derived(name: str, spec: Mapping[str, Any], where: str) -> Derived:
    (op, inputs), = ((key, value) for key, value in spec.items() if key != "when")
    if op not in DERIVE_OPS:
        raise ValueError(f"{where}: {name}: derivations are {', '.join(DERIVE_OPS)}")
    when = {column: tuple(str(value) for value in values) for column, values in spec.get("when", {}).items()}
    return Derived(name, op, tuple(inputs) if isinstance(inputs, list) else (inputs,), when)


@cache
def field_map(platform: str, resource: str) -> FieldMap:
    """The field map of a platform's resource (taobao and tmall share TOP's)."""
    path = FIELDMAPS / protocols()[platform].name / f"{resource}.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = f"platform_sync/fieldmaps/{path.parent.name}/{path.name}"
    canonical = canonical_columns()[resource]
    record = tuple(_column(name, body, where) for name, body in (spec.get("order") or spec["record"]).items())
    line = tuple(_column(name, body, where) for name, body in (spec.get("line") or {}).items())
    derived = tuple(_derived(name, body, where) for name, body in (spec.get("derived") or {}).items())
    allocated = tuple(Allocation(name, tuple(body["gross"]), body["less_share_of"])
                      for name, body in (spec.get("allocated") or {}).items())
    inputs = {name for d in derived for name in d.inputs}
    for column in (*record, *line, *derived, *allocated):
        if column.name not in canonical and column.name not in inputs:
            raise ValueError(f"{where}: {column.name} is neither a canonical {resource} column nor an input of "
                             "a derivation")
    return FieldMap(resource, _column("modified_at", spec["modified_at"], where), record, spec.get("lines"), line,
                    derived, allocated, canonical)
