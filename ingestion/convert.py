"""Vectorized text-to-type conversion of export cells (Arrow compute, no Python row loops).

Each converter returns the typed array; a cell that had text but did not
convert shows up as null there, which `unconverted` finds, and the file's
rejection names the first one's row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_INT = r"^[+-]?\d{1,18}(\.0*)?$"  # 18 digits always fit an int64: longer is no count
_HMS = r"^(?P<h>\d+):(?P<m>\d{1,2}):(?P<s>\d{1,2}(?:\.\d+)?)$"
_SCIENTIFIC = r"^[0-9](\.[0-9]+)?[eE]\+[0-9]+$"  # 2.93847E+15: Excel's display of a long number

# Why a value that looks almost right is refused, by column type: (pattern, what to tell the seller).
UNREADABLE_HINTS: dict[str, list[tuple[str, str]]] = {
    "id": [(_SCIENTIFIC, "Excel turned this long id into scientific notation and dropped its last digits: "
                         "use the original download, or format the column as text before saving")],
}

ARROW_TYPES: dict[str, pa.DataType] = {
    "id": pa.string(),
    "text": pa.string(),
    "month": pa.string(),
    "int": pa.int64(),
    "amount": pa.float64(),
    "number": pa.float64(),
    "rate": pa.float64(),
    "seconds": pa.float64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
}


@cache
def _token_set(null_tokens: frozenset[str]) -> pa.Array:
    return pa.array(sorted(null_tokens), pa.string())


def clean_text(cells: pa.Array, null_tokens: frozenset[str]) -> pa.Array:
    """Trim and turn the exports' null tokens (-, --, 无, /, empty ...) into nulls."""
    trimmed = pc.utf8_trim_whitespace(cells)
    return pc.if_else(pc.is_in(trimmed, value_set=_token_set(null_tokens)), None, trimmed)


def _strip_id(cells: pa.Array) -> pa.Array:
    """Undo `="123"`, a leading apostrophe or tab: ids are strings, every digit kept (cells come trimmed)."""
    if not pc.any(pc.or_(pc.starts_with(cells, "="), pc.starts_with(cells, "'"))).as_py():
        return cells  # most exports wrap no id: finding none is cheaper than two regex replaces of every cell
    unwrapped = pc.replace_substring_regex(cells, pattern=r'^="?(.*?)"?$', replacement=r"\1")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(unwrapped, pattern=r"^'", replacement=""))


def _to_id(cells: pa.Array, unit: str | None) -> pa.Array:
    """An id as text; an id Excel rounded to scientific notation is no id (it names another order)."""
    ids = _strip_id(cells)
    return pc.if_else(pc.match_substring_regex(ids, _SCIENTIFIC), None, ids)


_NOT_NUMERIC = r"[,，¥￥\s]"  # thousands separators, currency signs, spaces


def _numeric_text(cells: pa.Array, pattern: str) -> tuple[pa.Array, pa.Array]:
    """The cells without separators and currency signs, and which of them then read as `pattern`."""
    valid = pc.match_substring_regex(cells, pattern)
    if pc.all(valid).as_py() is not False:  # most exports hold plain numbers: nothing to take out
        return cells, valid
    text = pc.replace_substring_regex(cells, pattern=_NOT_NUMERIC, replacement="")
    return text, pc.match_substring_regex(text, pattern)


def _parse_number(cells: pa.Array) -> pa.Array:
    text, valid = _numeric_text(cells, _NUMBER)
    value = pc.cast(pc.if_else(valid, text, None), pa.float64())
    return pc.if_else(pc.is_finite(value), value, None)  # 400 digits make an infinity, not an amount


def _to_int(cells: pa.Array, unit: str | None) -> pa.Array:
    text, valid = _numeric_text(cells, _INT)
    whole = pc.replace_substring_regex(pc.if_else(valid, text, None), pattern=r"\.0*$", replacement="")
    return pc.cast(whole, pa.int64())


def _to_amount(cells: pa.Array, unit: str | None) -> pa.Array:
    value = _parse_number(cells)
    return pc.divide(value, 100.0) if unit == "分" else value


def _to_number(cells: pa.Array, unit: str | None) -> pa.Array:
    return _parse_number(cells)


def _to_rate(cells: pa.Array, unit: str | None) -> pa.Array:
    is_percent = pc.ends_with(cells, "%")
    value = _parse_number(pc.replace_substring(cells, "%", ""))
    return pc.if_else(is_percent, pc.divide(value, 100.0), value)


def _to_seconds(cells: pa.Array, unit: str | None) -> pa.Array:
    parts = pc.extract_regex(cells, _HMS)
    clock = pc.add(
        pc.add(
            pc.multiply(pc.cast(pc.struct_field(parts, "h"), pa.float64()), 3600.0),
            pc.multiply(pc.cast(pc.struct_field(parts, "m"), pa.float64()), 60.0),
        ),
        pc.cast(pc.struct_field(parts, "s"), pa.float64()),
    )
    return pc.coalesce(clock, _parse_number(cells))


def _parse_wall_time(cells: pa.Array) -> pa.Array:
    """`2026-11-24 09:30:00`, `2026/11/24 9:30` or `2026-11-24` as naive wall time."""
    text = pc.replace_substring(pc.replace_substring(cells, "/", "-"), "T", " ")
    parsed = pc.strptime(text, format=TIMESTAMP_FORMATS[0], unit="us", error_is_null=True)
    for other in TIMESTAMP_FORMATS[1:]:  # the first format that reads a cell wins; most files need one format
        if not pc.any(pc.and_(pc.is_valid(text), pc.is_null(parsed))).as_py():
            break
        parsed = pc.coalesce(parsed, pc.strptime(text, format=other, unit="us", error_is_null=True))
    return parsed


def to_timestamp(cells: pa.Array, timezone: str) -> pa.Array:
    """Shop-local wall time to an instant, so every warehouse reads the same moment."""
    return pc.cast(pc.assume_timezone(_parse_wall_time(cells), timezone, ambiguous="earliest", nonexistent="earliest"),
                   ARROW_TYPES["timestamp"])


def _to_date(cells: pa.Array, unit: str | None) -> pa.Array:
    return pc.cast(_parse_wall_time(cells), pa.date32())


def _to_month(cells: pa.Array, unit: str | None) -> pa.Array:
    parts = pc.extract_regex(pc.replace_substring(cells, "/", "-"), r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")
    month = pc.utf8_lpad(pc.struct_field(parts, "m"), width=2, padding="0")
    return pc.binary_join_element_wise(pc.struct_field(parts, "y"), month, "-")


def _as_is(cells: pa.Array, unit: str | None) -> pa.Array:
    return cells


CONVERTERS: dict[str, Callable[[pa.Array, str | None], pa.Array]] = {
    "id": _to_id,
    "text": _as_is,
    "int": _to_int,
    "amount": _to_amount,
    "number": _to_number,
    "rate": _to_rate,
    "seconds": _to_seconds,
    "date": _to_date,
    "month": _to_month,
}


def _json_string(values: pa.ChunkedArray) -> pa.ChunkedArray:
    escaped = values
    for raw, replacement in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, raw, replacement)
    return pc.fill_null(pc.binary_join_element_wise('"', escaped, '"', ""), "null")


def extra_json(names: list[str], text: Callable[[int], pa.ChunkedArray]) -> pa.ChunkedArray | None:
    """Export columns the mapping does not know as one JSON object per row (`text(i)`: the cells of `names[i]`)."""
    members = []
    for index, name in enumerate(names):
        key = _json_string(pa.array([name], pa.string()))[0].as_py()
        members.append(pc.binary_join_element_wise(f"{key}:", _json_string(text(index)), ""))
    if not members:
        return None
    joined = pc.binary_join_element_wise(*members, ",") if len(members) > 1 else members[0]
    return pc.binary_join_element_wise("{", joined, "}", "")


def unreadable_hint(type_: str, value: str) -> str | None:
    return next((hint for pattern, hint in UNREADABLE_HINTS.get(type_, ()) if re.match(pattern, value.strip())), None)


def unconverted(cells: pa.ChunkedArray, typed: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Which cells had text but no value after conversion; None when every one converted."""
    bad = pc.and_(pc.is_valid(cells), pc.is_null(typed))
    if not pc.any(bad).as_py():
        return None
    return bad
