"""The landing folder: the shop registry and where each export file belongs.

Layout (see docs/landing-and-raw.md): `shops.yaml`, `<platform>/<shop_code>/<kind>/<file>` and
`erp/<kind>/<file>`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ecomops.settings import DEFAULT_TIMEZONE
from ingestion.files import SUPPORTED_SUFFIXES
from ingestion.mapping import ERP, ExportMapping
from ingestion.rejection import stops_the_step

SHOPS_FILE = "shops.yaml"
SYNC_MODES = ("exports", "api", "both")  # a shop's orders and refunds: from exports, the platform API, or both
# Files other programs leave while they work (name pattern -> why the file is not an export).
TEMPORARY_FILES = {
    "~$*": "an Office lock file (the workbook is open in Excel): close Excel; the workbook itself is loaded",
    "*.crdownload": "an unfinished browser download: it loads once the download completes",
    "*.part": "an unfinished download: it loads once the download completes",
    "*.download": "an unfinished download: it loads once the download completes",
    "*.tmp": "a temporary file, not an export",
}


class RegistryError(ValueError):
    """shops.yaml is missing or invalid: nothing can be attributed to a shop."""


@dataclass(frozen=True)
class Shop:
    shop_code: str
    platform: str
    shop_name: str
    timezone: str = DEFAULT_TIMEZONE
    currency: str = "CNY"
    sync: str = "exports"  # where its orders and refunds come from: exports, api (platform sync) or both


def load_shops(landing: Path, platforms: tuple[str, ...], default_timezone: str = DEFAULT_TIMEZONE) -> dict[str, Shop]:
    path = landing / SHOPS_FILE
    if not path.exists():
        raise RegistryError(f"{path}: the landing folder has no {SHOPS_FILE} listing the seller's shops")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not valid UTF-8 YAML: {exc}") from exc
    entries = document.get("shops") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a top-level 'shops:' list")
    shops: dict[str, Shop] = {}
    for number, entry in enumerate(entries, start=1):
        missing = [k for k in ("shop_code", "platform", "shop_name") if not (entry or {}).get(k)]
        if missing:
            raise RegistryError(f"{path}: shop #{number} lacks {', '.join(missing)}")
        shop = Shop(
            shop_code=str(entry["shop_code"]),
            platform=str(entry["platform"]),
            shop_name=str(entry["shop_name"]),
            timezone=str(entry.get("timezone") or default_timezone),
            currency=str(entry.get("currency") or "CNY"),
            sync=str(entry.get("sync") or "exports"),
        )
        if shop.sync not in SYNC_MODES:
            raise RegistryError(f"{path}: shop {shop.shop_code} has sync {shop.sync!r} (one of {', '.join(SYNC_MODES)})")
        if shop.platform not in platforms:
            raise RegistryError(f"{path}: shop {shop.shop_code} has unknown platform {shop.platform!r} (one of {', '.join(platforms)})")
        if shop.shop_code in shops:
            raise RegistryError(f"{path}: shop_code {shop.shop_code} is listed twice")
        shops[shop.shop_code] = shop
    return shops


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    table: str | None  # raw table it feeds; None when the location names no known export
    platform: str | None = None
    shop_code: str | None = None
    problem: str | None = None  # why it cannot load, known before reading it

    def stat(self) -> tuple[int, int]:
        info = self.path.stat()
        return info.st_size, info.st_mtime_ns


@dataclass
class LandingScan:
    """Every export file below a landing folder, grouped by the raw table it feeds, oldest first."""

    root: Path
    shops: dict[str, Shop]
    by_table: dict[str, list[LandingFile]] = field(default_factory=dict)
    misplaced: list[LandingFile] = field(default_factory=list)
    default_timezone: str = DEFAULT_TIMEZONE  # of files no shop's timezone applies to (ERP files)

    def files_for(self, table: str) -> list[LandingFile]:
        return self.by_table.get(table, [])


def _known_problem(path: Path, platform: str, shop_code: str | None, shops: dict[str, Shop]) -> str | None:
    """Why a file in an export location cannot load, known before reading it."""
    temporary = next((why for pattern, why in TEMPORARY_FILES.items() if fnmatch.fnmatch(path.name.lower(), pattern)), None)
    if temporary:
        return temporary
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return f"unsupported file type {path.suffix!r}: export as CSV or XLSX"
    if shop_code is not None and shop_code not in shops:
        return f"shop {shop_code!r} is not registered in {SHOPS_FILE}"
    if shop_code is not None and shops[shop_code].platform != platform:
        return f"shop {shop_code!r} is registered as a {shops[shop_code].platform} shop, not {platform}"
    return None


def scan_landing(landing: Path, mappings: dict[str, ExportMapping], platforms: tuple[str, ...],
                 default_timezone: str = DEFAULT_TIMEZONE) -> LandingScan:
    shops = load_shops(landing, platforms, default_timezone)
    by_table: dict[str, list[LandingFile]] = defaultdict(list)
    misplaced: list[LandingFile] = []
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts) or relative.as_posix() == SHOPS_FILE:
            continue
        parts = relative.parts
        if parts[0] == ERP and len(parts) == 3:
            platform, shop_code, kind = ERP, None, parts[1]
        elif parts[0] in platforms and len(parts) == 4:
            platform, shop_code, kind = parts[0], parts[1], parts[2]
        else:
            misplaced.append(LandingFile(path, relative.as_posix(), None, problem=(
                "not an export location: expected <platform>/<shop_code>/<kind>/<file> or erp/<kind>/<file>"
            )))
            continue
        table = f"{platform}_{kind}"
        if table not in mappings:
            misplaced.append(LandingFile(path, relative.as_posix(), None, problem=f"unknown export kind {kind!r} for {platform}"))
            continue
        problem = _known_problem(path, platform, shop_code, shops)
        by_table[table].append(LandingFile(path, relative.as_posix(), table, None if platform == ERP else platform, shop_code, problem))
    for files in by_table.values():  # first delivered first: an earlier copy wins over a re-delivery
        files.sort(key=lambda f: (_mtime_or_zero(f.path), f.relative_path))
    return LandingScan(landing, shops, dict(by_table), misplaced, default_timezone)


def _mtime_or_zero(path: Path) -> int:
    """A file that vanished or cannot be stat'ed sorts first; reading it then tells what is wrong."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def pending_files(landing: Path, processed: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Export files whose (size, mtime) differ from when they were last processed, or that are new.

    Cheap enough for a sensor tick: a directory walk and a stat per file, no reading.
    """
    pending = []
    for path in sorted(p for p in landing.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES):
        relative = path.relative_to(landing).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue
        info = path.stat()
        if processed.get(relative) != (info.st_size, info.st_mtime_ns):
            pending.append((relative, info.st_size, info.st_mtime_ns))
    return pending


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quarantine(file: LandingFile, quarantine_dir: Path, reason: str) -> Path:
    """Keep a copy of a rejected file, with the reason beside it; the landing copy stays.

    A file that cannot be read cannot be copied either: its reason says so, and the original stays.
    """
    target = quarantine_dir / file.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(file.path, target)
    except OSError as error:
        if stops_the_step(error):
            raise
        reason += f"\n(no copy here: the file could not be read: {error.strerror or type(error).__name__})"
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
