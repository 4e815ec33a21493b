"""The declarative side of the gates: suites.yaml read once, expanded to one suite per table."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ecomops.settings import DEFAULT_TIMEZONE, PACKAGED_MAPPINGS
from ingestion.api_tables import api_table
from ingestion.mapping import load_mappings

SUITES_FILE = Path(__file__).with_name("suites.yaml")
# The dbt seeds are the single source of truth for status vocabularies.
SEEDS_DIR = Path(__file__).resolve().parents[1] / "transform" / "seeds"
RAW_SCHEMA = "raw"
MART_SCHEMA = "marts"
LINEAGE_KEY = ("_source_file", "_source_row")
EXTRA_COLUMN = "_extra"  # an export's columns no mapping names, as JSON: can hold anything
SUITE_GROUPS = ("platform_kinds", "api_kinds", "raw_tables", "marts")


@dataclass(frozen=True)
class VolumeRule:
    """A business day of new rows must reach min_ratio x the median of its trailing days."""

    date_column: str
    measure: str
    scope: str | None
    trailing_days: int
    min_history_days: int
    min_ratio: float
    severity: str
    timezone: str  # business days of shops without a timezone of their own


@dataclass(frozen=True)
class SuiteConfig:
    """Everything one table's gate needs, with platform placeholders and seed value sets resolved."""

    schema: str
    table: str
    platform: str | None
    identity: tuple[str, ...]
    derived: tuple[tuple[str, str], ...]
    lookups: tuple[tuple[str, str, str], ...]  # (name, key column, SQL with one row per key), joined for `derived`
    expectations: tuple[tuple[str, tuple[tuple[str, object], ...], str], ...]  # (type, kwargs, severity)
    volume: VolumeRule | None = None
    date_column: str | None = None  # marts: the column the validated window is cut on
    window_days: int | None = None
    personal_columns: frozenset[str] = frozenset()  # masked in check results (see `personal_data_columns`)
    row_key: tuple[str, ...] = ()  # finds a failing row again, where no file and row number do (API records)
    lineage: tuple[str, ...] = ()  # where a row came from, shown in failing-row samples besides the key
    from_api: bool = False  # a platform sync table (suites.yaml `api_kinds`): gated with the sync's assets

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def asset_path(self) -> list[str]:
        return [self.schema, self.table]

    @property
    def reads(self) -> list[str]:
        """The other raw tables its derived columns look rows up in (`raw.erp_products`, `raw.jd_orders`)."""
        sql = " ".join([*(sql for _, sql in self.derived), *(sql for _, _, sql in self.lookups)])
        tables = re.findall(rf"\b{RAW_SCHEMA}\.(\w+)", sql)
        return [t for t in dict.fromkeys(tables) if t != self.table]

    @property
    def columns(self) -> list[str]:
        """Columns of the table the suite reads (expectations, identity), never the whole row."""
        derived = {name for name, _ in self.derived}
        used = [*self.identity, *self.lineage]
        for _, kwargs, _ in self.expectations:
            args = dict(kwargs)
            for column in [args.get("column"), args.get("column_A"), args.get("column_B"), *args.get("column_list", [])]:
                if column and column not in derived:
                    used.append(column)
        return list(dict.fromkeys(used))


@dataclass(frozen=True)
class GateSettings:
    """suites.yaml's `settings`: how much a gate validates at once and shows of what failed."""

    chunk_rows: int  # rows per DataFrame validated at once (whole files per chunk)
    sample_rows: int  # failing rows shown per expectation in a check result


@cache
def _suites_file() -> dict:
    return yaml.safe_load(SUITES_FILE.read_text(encoding="utf-8"))


@cache
def gate_settings() -> GateSettings:
    return GateSettings(**_suites_file()["settings"])


@cache
def personal_data_columns(mappings: Path = PACKAGED_MAPPINGS) -> frozenset[str]:
    """Columns masked in check results: kinds.yaml's personal columns, `_extra`, and derived columns computed from them."""
    personal = {*load_mappings(mappings).personal_columns, EXTRA_COLUMN}
    spec = _suites_file()
    derived = {name: sql for group in SUITE_GROUPS for suite in spec[group].values()
               for name, sql in suite.get("derived", {}).items()}
    mentions = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(personal))) + r")\b")
    return frozenset(personal | {name for name, sql in derived.items() if mentions.search(sql)})


@cache
def _seed_values(seed: str, column: str, platform: str | None) -> tuple[str, ...]:
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return tuple(sorted({r[column] for r in rows if platform is None or r.get("platform", platform) == platform}))


def _value_set(spec: object, platform: str | None, platforms: tuple[str, ...]) -> list:
    if isinstance(spec, list):
        return spec
    if spec.get("seed"):
        return list(_seed_values(spec["seed"], spec["column"], platform))
    if spec.get("platforms"):
        return list(platforms)
    raise ValueError(f"unknown value_set {spec!r} in {SUITES_FILE}")


def _expand(entries: list[dict], platform: str | None, platforms: tuple[str, ...]) -> tuple:
    """`{type: kwargs, severity}` entries to (type, kwargs, severity), one per column of a column list."""
    expanded = []
    for entry in entries:
        entry = dict(entry)
        severity = entry.pop("severity", "critical")
        ((kind, kwargs),) = entry.items()
        kwargs = dict(kwargs)
        if "value_set" in kwargs:
            kwargs["value_set"] = _value_set(kwargs["value_set"], platform, platforms)
        columns = kwargs.pop("column") if isinstance(kwargs.get("column"), list) else [kwargs.pop("column", None)]
        for column in columns:
            args = {**kwargs, **({"column": column} if column else {})}
            expanded.append((kind, tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items())),
                             severity))
    return tuple(expanded)


def _suite(schema: str, table: str, platform: str | None, raw: dict, mappings: Path, default_timezone: str,
           from_api: bool = False) -> SuiteConfig:
    fill = (lambda sql: sql.replace("{platform}", platform)) if platform else (lambda sql: sql)
    volume = raw.get("volume")
    return SuiteConfig(
        schema=schema,
        table=table,
        platform=platform,
        identity=tuple(raw.get("identity", ())),
        derived=tuple((name, fill(sql)) for name, sql in raw.get("derived", {}).items()),
        lookups=tuple((name, lookup["key"], fill(lookup["sql"])) for name, lookup in raw.get("lookups", {}).items()),
        expectations=_expand(raw["expectations"], platform, load_mappings(mappings).platforms),
        volume=VolumeRule(
            date_column=volume["date_column"], measure=volume["measure"], scope=volume.get("scope"),
            trailing_days=volume["trailing_days"], min_history_days=volume["min_history_days"],
            min_ratio=volume["min_ratio"], severity=volume.get("severity", "critical"), timezone=default_timezone,
        ) if volume else None,
        date_column=raw.get("date_column"),
        window_days=raw.get("window_days"),
        personal_columns=personal_data_columns(mappings),
        row_key=tuple(raw.get("row_key", ())),
        lineage=tuple(raw.get("lineage", ())),
        from_api=from_api,
    )


@cache
def suite_configs(mappings: Path = PACKAGED_MAPPINGS, default_timezone: str = DEFAULT_TIMEZONE) -> dict[str, SuiteConfig]:
    """Every suite by name (`raw.taobao_orders`, `raw.jd_api_orders`, `marts.fct_orders`): platform and API kinds
    expand to every platform of `mappings`; `default_timezone` (the settings') cuts business days of shops
    without their own."""
    spec = _suites_file()
    suites: dict[str, SuiteConfig] = {}
    context = {"mappings": mappings, "default_timezone": default_timezone}
    for kind, raw in spec["platform_kinds"].items():
        for platform in load_mappings(mappings).platforms:
            suites[f"{RAW_SCHEMA}.{platform}_{kind}"] = _suite(RAW_SCHEMA, f"{platform}_{kind}", platform, raw, **context)
    for kind, raw in spec["api_kinds"].items():
        for platform in load_mappings(mappings).platforms:
            table = api_table(platform, kind)
            suites[f"{RAW_SCHEMA}.{table}"] = _suite(RAW_SCHEMA, table, platform, raw, **context, from_api=True)
    for table, raw in spec["raw_tables"].items():
        suites[f"{RAW_SCHEMA}.{table}"] = _suite(RAW_SCHEMA, table, None, raw, **context)
    for table, raw in spec["marts"].items():
        suites[f"{MART_SCHEMA}.{table}"] = _suite(MART_SCHEMA, table, None, raw, **context)
    return suites
