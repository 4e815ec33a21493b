"""Where filters: built from catalog names and escaped literals, never passed through as SQL.

A filter is `(name, operator, value)`, the name as in `group_by`: `("shop__platform", "in", ["tmall", "jd"])`,
`("metric_time__day", ">=", date(2026, 10, 1))`. A MetricFlow where string is accepted too, when it is one
such comparison (`{{ Dimension('shop__platform') }} = 'tmall'`): it is parsed back into a filter, and what
reaches MetricFlow is always this module's own rendering of it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from decimal import Decimal

from semantic.catalog import ENTITY, TIME, Catalog, GroupByName

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
MEMBERSHIPS = ("in", "not in")
# Braces would reach MetricFlow's Jinja rendering of the where string; control characters are never data.
_UNSAFE = re.compile(r"[{}\x00-\x1f]")

_REFERENCE = r"\{\{\s*(Dimension|TimeDimension|Entity)\(\s*'(\w+)'\s*(?:,\s*'(\w+)'\s*)?\)\s*\}\}"
_LITERAL = r"'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false"
_COMPARISON = re.compile(rf"\s*{_REFERENCE}\s*(<>|!=|<=|>=|=|<|>)\s*({_LITERAL})\s*", re.IGNORECASE)
_MEMBERSHIP = re.compile(rf"\s*{_REFERENCE}\s+(not\s+in|in)\s*\(((?:\s*(?:{_LITERAL})\s*,)*\s*(?:{_LITERAL})\s*)\)\s*",
                         re.IGNORECASE)
_TEMPLATE = {"Dimension": "categorical", "TimeDimension": TIME, "Entity": ENTITY}


def render_filters(catalog: Catalog, filters: Sequence[tuple[str, str, object]]) -> list[str]:
    """MetricFlow where strings of `(name, operator, value)` filters: ValueError naming a bad name, operator or value."""
    rendered = []
    for item in filters:
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise ValueError(f"a filter is (name, operator, value), got {item!r}")
        name, operator, value = item
        rendered.append(_render(catalog.group_by(name), operator, value))
    return rendered


def canonical_where(catalog: Catalog, where: str) -> str:
    """A MetricFlow where string, checked to be one comparison of a catalog name with literals, re-rendered."""
    if not isinstance(where, str):
        raise ValueError(f"a where filter is a string, got {where!r}")
    match = _COMPARISON.fullmatch(where) or _MEMBERSHIP.fullmatch(where)
    if match is None:
        raise ValueError(f"unsupported where filter {where!r}: use one comparison of "
                         "{{ Dimension('name') }}, {{ TimeDimension('name', 'grain') }} or {{ Entity('name') }} "
                         f"with literals ({', '.join(COMPARISONS + MEMBERSHIPS)})")
    template, base, grain, operator, literals = match.groups()
    name = catalog.group_by(f"{base}__{grain}" if grain else base)
    if _TEMPLATE[template] != name.kind:
        raise ValueError(f"where filter {where!r}: {name.name!r} is a {name.kind} name, not a {template}")
    operator = " ".join(operator.lower().split())
    values = [_parse_literal(text) for text in re.findall(_LITERAL, literals, re.IGNORECASE)]
    return _render(name, "!=" if operator == "<>" else operator, values if operator in MEMBERSHIPS else values[0])


def _render(name: GroupByName, operator: object, value: object) -> str:
    if operator in COMPARISONS:
        right = _literal(name, value)
    elif operator in MEMBERSHIPS:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
            raise ValueError(f"filter on {name.name!r}: {operator!r} takes a non-empty list of values, got {value!r}")
        right = "(" + ", ".join(_literal(name, item) for item in value) + ")"
    else:
        raise ValueError(f"filter on {name.name!r}: unknown operator {operator!r}; use one of "
                         f"{', '.join(COMPARISONS + MEMBERSHIPS)}")
    if name.kind == TIME:
        reference = f"{{{{ TimeDimension('{name.base}', '{name.grain}') }}}}"
    elif name.kind == ENTITY:
        reference = f"{{{{ Entity('{name.name}') }}}}"
    else:
        reference = f"{{{{ Dimension('{name.name}') }}}}"
    return f"{reference} {operator} {right}"


def _literal(name: GroupByName, value: object) -> str:
    """SQL text of one value: strings quoted with quotes doubled, dates ISO-quoted, finite numbers, booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)) or (isinstance(value, float) and math.isfinite(value)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"filter on {name.name!r}: {value!r} is not a finite number")
        return str(value)
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        if _UNSAFE.search(value):
            raise ValueError(f"filter on {name.name!r}: value {value!r} holds a brace or a control character")
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"filter on {name.name!r}: unsupported value {value!r} (use text, a number, a date or a boolean)")


def _parse_literal(text: str) -> object:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return float(text) if "." in text else int(text)
