"""Declarative export mappings: one YAML per platform export, onto the canonical raw schema.

A platform quirk (a renamed header, a derived line id, a unit) is a change to
`mappings/`, never a code branch. `kinds.yaml` holds the canonical columns and
types per kind; `<platform>/<kind>.yaml` holds the headers of that export.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

from ecomops.settings import PACKAGED_MAPPINGS

ERP = "erp"
COLUMN_TYPES = {"id", "text", "int", "amount", "number", "rate", "seconds", "timestamp", "date", "month"}
DERIVE_OPS = {"copy", "concat", "divide", "sum"}
PUBLISH_METHODS = {"hash", "mask", "drop"}

_UNIT_SUFFIX = re.compile(r"\((元|分)\)$")
_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "\u3000": " ", "\ufeff": None})


def normalize_header(header: str) -> str:
    """Compare headers the way a person reads them: no BOM, spaces or full-width parens."""
    return re.sub(r"\s+", "", str(header).translate(_FULLWIDTH))


# Headers repeat in every file of a kind, and each is compared with every alias of its mapping.
_HEADER_CACHE = 8192


@lru_cache(maxsize=_HEADER_CACHE)
def header_unit(header: str) -> str | None:
    """The unit a header declares, `元` or `分`, if any."""
    match = _UNIT_SUFFIX.search(normalize_header(header))
    return match.group(1) if match else None


@lru_cache(maxsize=_HEADER_CACHE)
def header_stem(header: str) -> str:
    """A header without its unit suffix, so `收入金额(分)` matches an alias `收入金额(元)`."""
    return _UNIT_SUFFIX.sub("", normalize_header(header))


@dataclass(frozen=True)
class ColumnMapping:
    name: str
    type: str
    headers: tuple[str, ...] = ()
    required: bool = False
    from_filename: tuple[str, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class DerivedColumn:
    name: str
    type: str
    op: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class ExportMapping:
    """How one platform export (or ERP file kind) lands as one raw table."""

    platform: str  # a platform, or "erp"
    kind: str
    export: str
    schema: dict[str, str]  # canonical column -> type, in table order
    columns: dict[str, ColumnMapping]  # read from headers (canonical and input-only)
    derived: dict[str, DerivedColumn]
    null_tokens: frozenset[str]
    personal_columns: frozenset[str]  # kinds.yaml personal_columns: never quoted in a rejection reason
    source_path: Path
    fingerprint: str = field(compare=False)

    @property
    def table_name(self) -> str:
        return f"{self.platform}_{self.kind}"

    @property
    def is_erp(self) -> bool:
        return self.platform == ERP

    def header_aliases(self) -> set[str]:
        return {header_stem(h) for c in self.columns.values() for h in c.headers}


class MappingError(ValueError):
    """A mapping file is inconsistent with the canonical schema."""


def _read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def _resolve(root: Path, path: Path) -> tuple[dict, list[Path]]:
    """A mapping with its `extends` chain merged (the file itself wins)."""
    spec = _read_yaml(path)
    files = [path]
    parent_ref = spec.pop("extends", None)
    if parent_ref:
        parent, parent_files = _resolve(root, root / parent_ref)
        files = parent_files + files
        merged_columns = {**parent.get("columns", {}), **spec.get("columns", {})}
        merged_inputs = {**parent.get("inputs", {}), **spec.get("inputs", {})}
        merged_derived = {**parent.get("derived", {}), **spec.get("derived", {})}
        spec = {**parent, **spec, "columns": merged_columns, "inputs": merged_inputs, "derived": merged_derived}
    return spec, files


def _build(root: Path, kinds: dict, platform: str, kind: str, path: Path) -> ExportMapping:
    schema = kinds["erp_kinds" if platform == ERP else "platform_kinds"][kind]
    spec, files = _resolve(root, path)
    where = f"{path.relative_to(root)}"

    columns: dict[str, ColumnMapping] = {}
    for name, col in (spec.get("columns") or {}).items():
        if name not in schema:
            raise MappingError(f"{where}: column {name!r} is not in the canonical {kind} schema")
        columns[name] = _column(name, schema[name], col, where)
    for name, col in (spec.get("inputs") or {}).items():
        if name in schema:
            raise MappingError(f"{where}: input {name!r} shadows a canonical column; map it under columns")
        columns[name] = _column(name, col.get("type", "text"), col, where)

    derived: dict[str, DerivedColumn] = {}
    for name, rule in (spec.get("derived") or {}).items():
        if name not in schema:
            raise MappingError(f"{where}: derived column {name!r} is not in the canonical {kind} schema")
        if name in columns:
            raise MappingError(f"{where}: {name!r} is both read from a header and derived")
        (op, args), = rule.items()
        if op not in DERIVE_OPS:
            raise MappingError(f"{where}: unknown derivation {op!r} for {name!r}")
        inputs = (args,) if isinstance(args, str) else tuple(args)
        missing = [i for i in inputs if i not in columns]
        if missing:
            raise MappingError(f"{where}: {name!r} derives from unmapped {missing}")
        derived[name] = DerivedColumn(name, schema[name], op, inputs)

    null_tokens = frozenset(kinds["null_tokens"]) | frozenset(spec.get("null_tokens", []))
    digest = hashlib.sha256()
    for file in [root / "kinds.yaml", *files]:
        digest.update(file.read_bytes())
    return ExportMapping(
        platform=platform,
        kind=kind,
        export=spec.get("export", f"{platform} {kind}"),
        schema=dict(schema),
        columns=columns,
        derived=derived,
        null_tokens=null_tokens,
        personal_columns=frozenset(kinds.get("personal_columns", ())) & set(schema),
        source_path=path,
        fingerprint=digest.hexdigest()[:16],
    )


def _column(name: str, type_: str, col: dict, where: str) -> ColumnMapping:
    if type_ not in COLUMN_TYPES:
        raise MappingError(f"{where}: column {name!r} has unknown type {type_!r}")
    headers = tuple(col.get("headers", ()))
    if not headers:
        raise MappingError(f"{where}: column {name!r} lists no headers")
    return ColumnMapping(
        name=name,
        type=type_,
        headers=headers,
        required=bool(col.get("required", False)),
        from_filename=tuple(col.get("from_filename", ())),
        default=col.get("default"),
    )


@dataclass(frozen=True)
class PersonalColumn:
    """A canonical column holding personal data, and how it is published outside raw (`personal_columns`)."""

    name: str
    publish: str  # hash, mask or drop
    tag: str | None = None  # hash: what the value is in buyer_key's spelling, `id` or `phone`


def _personal_columns(kinds: dict) -> dict[str, PersonalColumn]:
    """Required: a mappings folder without the block would publish personal data plain."""
    if "personal_columns" not in kinds:
        raise MappingError("kinds.yaml: no personal_columns block (see the packaged kinds.yaml)")
    canonical = {c for group in ("platform_kinds", "erp_kinds") for schema in kinds[group].values() for c in schema}
    columns = {}
    for name, spec in (kinds["personal_columns"] or {}).items():
        column = PersonalColumn(name=name, publish=spec.get("publish"), tag=spec.get("tag"))
        if name not in canonical:
            raise MappingError(f"kinds.yaml: personal column {name!r} is no canonical column")
        if column.publish not in PUBLISH_METHODS or (column.publish == "hash") != bool(column.tag):
            raise MappingError(f"kinds.yaml: personal column {name!r} needs publish: hash (with a tag), mask or drop")
        columns[name] = column
    return columns


@dataclass(frozen=True)
class MappingSet:
    """All export mappings of one mappings folder, by raw table name (`taobao_orders`, `erp_products`, ...)."""

    root: Path
    platforms: tuple[str, ...]
    by_table: dict[str, ExportMapping]
    personal_columns: dict[str, PersonalColumn]


@cache
def load_mappings(root: Path = PACKAGED_MAPPINGS) -> MappingSet:
    """Read and check a mappings folder: every kind of every platform in kinds.yaml needs its file."""
    kinds = _read_yaml(root / "kinds.yaml")
    platform_names = tuple(kinds["platforms"])
    by_table: dict[str, ExportMapping] = {}
    for platform in (*platform_names, ERP):
        for kind in kinds["erp_kinds" if platform == ERP else "platform_kinds"]:
            path = root / platform / f"{kind}.yaml"
            if not path.exists():
                raise MappingError(f"no mapping for {platform}/{kind}: add {path.relative_to(root)}")
            mapping = _build(root, kinds, platform, kind, path)
            by_table[mapping.table_name] = mapping
    return MappingSet(root, platform_names, by_table, _personal_columns(kinds))
