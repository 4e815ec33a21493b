"""Personal data as readers get it: masked in check results, hashed, masked or dropped in published tables.

Which columns hold it, and how each is published, is declared once in `ingestion/mappings/kinds.yaml`
(`personal_columns`); plain values exist only in raw and in the warehouse's restricted quarantine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
from duckdb.sqltypes import VARCHAR

from ingestion.mapping import PersonalColumn
from quality.config import EXTRA_COLUMN, personal_data_columns

MASK_FUNCTION = "ecomops_mask"  # `mask` as a SQL function on a connection publishing tables
SALT_PARAMETER = "salt"


def mask(value: object) -> str:
    """Keep just enough to recognise a value: `13001756580` -> `130****80`, `丁伟丽` -> `丁**`."""
    text = str(value)
    if len(text) < 10:
        return text[:1] + "*" * max(len(text) - 1, 1)
    return f"{text[:3]}****{text[-2:]}"


def _plain(value: object) -> object:
    return value.item() if hasattr(value, "item") else value


def masked_row(row: Mapping[str, object], personal: frozenset[str] | None = None) -> dict:
    """A failing row as a check result shows it: personal values masked, numpy scalars made plain.

    `personal`: the gate's personal columns (`SuiteConfig.personal_columns`); by default the packaged mappings'.
    """
    personal = personal_data_columns() if personal is None else personal
    return {k: mask(v) if k in personal and v is not None else _plain(v) for k, v in row.items()}


def masked_value(value: object, columns: set[str], personal: frozenset[str]) -> str:
    """An observed value of an expectation on `columns`: masked if any of them holds personal data."""
    return mask(value) if value is not None and columns & personal else str(value)


def _published(column: str, personal: PersonalColumn, columns: Sequence[str], table: str) -> str | None:
    quoted = f'"{column}"'
    if personal.publish == "drop":
        return None
    if personal.publish == "mask":
        return f"{MASK_FUNCTION}({quoted}::varchar) as {quoted}"
    if "platform" not in columns:
        raise ValueError(f"{table}: {column} is hashed per platform (kinds.yaml), but the table has no platform column")
    # transform/macros/buyer_key.sql spells buyer_key so: the same salt and value give the same hash
    return f"sha256(${SALT_PARAMETER} || '|' || \"platform\" || '|{personal.tag}|' || {quoted}) as {quoted}"


def holds_personal_data(columns: Sequence[str], personal: Mapping[str, PersonalColumn]) -> bool:
    return bool({*personal, EXTRA_COLUMN} & set(columns))


@dataclass(frozen=True)
class PublishedSelect:
    """The select list publishing a table without plain personal data."""

    expressions: tuple[str, ...]
    hashed: bool  # the statement takes the buyer salt as its `salt` parameter


def published_select(table: str, columns: Sequence[str], personal: Mapping[str, PersonalColumn]) -> PublishedSelect | None:
    """How to publish a table holding personal columns or `_extra`; None if it holds neither (publish it as is).

    Masked columns need `register_mask` on the connection.
    """
    if not holds_personal_data(columns, personal):
        return None
    expressions = []
    for column in columns:
        if column == EXTRA_COLUMN:
            continue
        expression = _published(column, personal[column], columns, table) if column in personal else f'"{column}"'
        if expression is not None:
            expressions.append(expression)
    return PublishedSelect(tuple(expressions), any(personal[c].publish == "hash" for c in columns if c in personal))


def register_mask(con: duckdb.DuckDBPyConnection) -> None:
    """`mask` callable from SQL on this connection, so published tables and check results mask alike."""
    con.create_function(MASK_FUNCTION, mask, [VARCHAR], VARCHAR)
