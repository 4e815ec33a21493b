"""Broken and odd export files: each is rejected whole (named, kept, quarantined) or loads; the other files never notice.

Reader level, every case of `bad_export_corpus` goes alone through what a
run does with one file (the landing scan's verdict, then the reader inside the
per-file boundary). End to end, one module-scoped pair of real `ecomops run`s
(a generated landing built clean, and the same landing plus every corpus file)
shows that the other files' raw rows and every KPI are unchanged, and each
case's file is in the ledger, in the run's output and still on disk.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from bad_export_corpus import CASES, CORPUS_PREFIX, PDD_ORDERS, PDD_REFUNDS, TAOBAO_ORDERS, Case, Source, lines

from demo_data import generate
from ingestion.landing import LandingFile, LandingScan, scan_landing
from ingestion.mapping import PACKAGED_MAPPINGS, load_mappings
from ingestion.parse import FileContext, parse_export, raw_arrow_schema
from ingestion.rejection import RejectedFile, stops_the_step, within_file_boundary
from ingestion.source import _process

BIN = Path(sys.executable).parent
FIRST_DAY = "2026-10-01"  # the generator's default start
REJECTED = [c for c in CASES if c.reason is not None]
LOADED = [c for c in CASES if c.reason is None]
LINEAGE = {"_source_file", "_file_hash", "_file_mtime", "_extra"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """5 shops x 3 days of real exports: the material every case is made from, and the clean landing."""
    landing = tmp_path_factory.mktemp("bad_files") / "landing"
    generate(landing, shops=5, days=3)
    return landing


@pytest.fixture(scope="module")
def source(generated) -> Source:
    return lambda relative: (generated / relative).read_bytes()


def _resolve(value, source: Source):
    return value(source) if callable(value) else value


def outcome(landing: Path, relative: str) -> pa.Table | RejectedFile:
    """What a run makes of one landing file: the scan's verdict on where it lies, then the reader in the boundary."""
    mappings = load_mappings()
    scan = scan_landing(landing, mappings.by_table, mappings.platforms)
    files = {f.relative_path: f for f in [*scan.misplaced, *(f for fs in scan.by_table.values() for f in fs)]}
    file = files[relative]
    if file.problem:
        return RejectedFile(relative, file.problem)
    context = FileContext(file.path, relative, "hash", 0, file.platform, file.shop_code)
    try:
        return within_file_boundary(relative, lambda: parse_export(context, mappings.by_table[file.table]))
    except RejectedFile as rejection:
        return rejection


def _landing_with(tmp_path: Path, generated: Path, files: dict[str, bytes]) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy2(generated / "shops.yaml", landing / "shops.yaml")
    for relative, data in files.items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(data)
    return landing


@pytest.fixture(scope="module")
def personal_values(generated) -> set[str]:
    """Receiver names, phones and addresses of the exports the cases are made from."""
    values = set()
    for relative in (PDD_ORDERS, TAOBAO_ORDERS):
        table = outcome(generated, relative)
        for column in ("receiver_name", "receiver_phone", "receiver_address"):
            values |= {v for v in table[column].to_pylist() if v}
    assert len(values) > 100
    return values


def _canonical(table: pa.Table) -> list[dict]:
    return table.drop_columns([n for n in table.column_names if n in LINEAGE]).to_pylist()


@pytest.mark.parametrize("case", REJECTED, ids=lambda c: c.id)
def test_reader_rejects_the_broken_file_saying_why(case: Case, tmp_path, generated, source, personal_values):
    landing = _landing_with(tmp_path, generated, {case.path: case.make(source)})
    result = outcome(landing, case.path)
    assert isinstance(result, RejectedFile), f"{case.id} loaded {result.num_rows} rows instead of being rejected"
    assert case.reason in result.reason, str(result)
    assert result.row == _resolve(case.row, source) or case.row is None, str(result)
    assert str(result).startswith(case.path)
    quoted = [value for value in personal_values if value in str(result)]
    assert not quoted, f"the reason quotes personal data: {quoted[:2]}"


@pytest.mark.parametrize("case", LOADED, ids=lambda c: c.id)
def test_reader_loads_the_odd_but_real_export(case: Case, tmp_path, generated, source):
    landing = _landing_with(tmp_path, generated, {case.path: case.make(source)})
    result = outcome(landing, case.path)
    assert isinstance(result, pa.Table), str(result)
    table_name = "_".join(case.path.split("/")[0:3:2])
    assert result.schema == raw_arrow_schema(load_mappings().by_table[table_name])
    if case.same_rows_as:
        assert _canonical(result) == _canonical(outcome(generated, case.same_rows_as))
    if case.rows is not None:
        assert result.num_rows == _resolve(case.rows, source)
    if case.expect:
        assert case.expect(result)


def test_the_issue_cases_are_in_the_corpus():
    ids = {c.id for c in CASES}
    assert {"nul_bytes_in_header", "cell_of_3_mb"} <= ids
    assert len(REJECTED) >= 20


# --- what stops the step: the machine, not the file ---------------------------------------------------


@pytest.mark.parametrize(("error", "stops"), [
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EROFS, "Read-only file system"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (MemoryError(), True),
    (pa.ArrowMemoryError("malloc failed"), True),
    (KeyboardInterrupt(), True),
    (PermissionError(errno.EACCES, "Permission denied"), False),
    (IsADirectoryError(errno.EISDIR, "Is a directory"), False),
    (KeyError("goods_total"), False),
    (pa.ArrowInvalid("CSV parse error"), False),
    (UnicodeDecodeError("gb18030", b"\x81", 0, 1, "incomplete multibyte sequence"), False),
    (ValueError("anything else"), False),
])
def test_only_failures_of_the_machine_stop_the_step(error, stops):
    assert stops_the_step(error) is stops


def test_an_unforeseen_error_becomes_the_files_rejection_without_its_text():
    def read():
        {"known": 1}["receiver 张三 13800000000"]

    with pytest.raises(RejectedFile) as rejection:
        within_file_boundary("pdd/pdd01/orders/x.csv", read)
    assert "unexpected KeyError in test_bad_files.py:read" in str(rejection.value)
    assert "13800000000" not in str(rejection.value)


def test_a_file_that_cannot_be_read_is_rejected_saying_so():
    def read():
        raise PermissionError(errno.EACCES, "Permission denied")

    with pytest.raises(RejectedFile, match="cannot read the file: Permission denied"):
        within_file_boundary("pdd/pdd01/orders/x.csv", read)


def test_a_full_disk_is_not_the_files_fault():
    def read():
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        within_file_boundary("pdd/pdd01/orders/x.csv", read)


def test_an_ascii_head_then_gbk_text_reads_as_gbk(tmp_path):
    """A mapping with ASCII headers (an ERP's English export) and Chinese cells only past the first MiB."""
    mappings = tmp_path / "mappings"
    shutil.copytree(PACKAGED_MAPPINGS, mappings)
    products = mappings / "erp/products.yaml"
    products.write_text(products.read_text(encoding="utf-8").replace("[商家编码]", "[商家编码, sku]")
                        .replace("[商品名称]", "[商品名称, name]"), encoding="utf-8")
    ascii_rows = "".join(f"SKU-{i:06d},plain name {i}\n" for i in range(60_000))
    path = tmp_path / "products.csv"
    path.write_bytes(f"sku,name\n{ascii_rows}SKU-X,纯棉T恤\n".encode("gbk"))
    assert path.stat().st_size > 1 << 20
    table = parse_export(FileContext(path, "erp/products/products.csv", "hash", 0), load_mappings(mappings).by_table["erp_products"])
    assert table.num_rows == 60_001 and table["product_name"][-1].as_py() == "纯棉T恤"


def test_quiet_days_exports_all_load_though_their_bytes_are_equal(landing, source):
    """Header-only exports are the same bytes every day without refunds: none is a duplicate of another."""
    header_only = lines(source(PDD_REFUNDS))[0] + b"\r\n"
    for day in ("20261001", "20261002"):
        landing.write(f"pdd/pdd01/refunds/售后列表_{day}.csv", header_only)
    report = landing.load()
    assert [(o["status"], o["rows"]) for o in report.outcomes] == [("loaded", 0), ("loaded", 0)]
    assert landing.count("pdd_refunds") == 0


def test_a_file_gone_since_the_scan_is_skipped_not_rejected(tmp_path):
    mapping = load_mappings().by_table["pdd_orders"]
    gone = LandingFile(tmp_path / "gone.csv", "pdd/pdd01/orders/gone.csv", "pdd_orders", "pdd", "pdd01")
    scan = LandingScan(tmp_path, {}, {}, [])
    assert _process(gone, None, mapping, scan, {}, tmp_path / "quarantine") is None
    assert not (tmp_path / "quarantine").exists()


# --- end to end: one clean run, one with every corpus file ---------------------------------------------


@dataclass
class Run:
    root: Path
    landing: Path
    stdout: str
    returncode: int

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    def rows(self, sql: str, *params) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


def _ecomops_run(root: Path, landing: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMOPS_")}
    env.update({
        "DAGSTER_HOME": str(root / "dagster_home"),
        "ECOMOPS_LANDING": str(landing),
        "ECOMOPS_WAREHOUSE": str(root / "warehouse.duckdb"),
        "ECOMOPS_SERVING": str(root / "serving.duckdb"),
        "ECOMOPS_QUARANTINE": str(root / "quarantine"),
        "ECOMOPS_FIRST_BUSINESS_DATE": FIRST_DAY,
        "ECOMOPS_BUYER_SALT": "test-salt",
    })
    (root / "dagster_home").mkdir(parents=True)
    result = subprocess.run([str(BIN / "ecomops"), "run"], cwd=root, env=env, capture_output=True, text=True, timeout=1200)
    return Run(root, landing, result.stdout, result.returncode)


@pytest.fixture(scope="module")
def runs(generated, source, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bad_files_runs")
    clean_landing = root / "clean" / "landing"
    shutil.copytree(generated, clean_landing)
    clean = _ecomops_run(root / "clean", clean_landing)

    corpus_landing = root / "corpus" / "landing"
    shutil.copytree(generated, corpus_landing)
    written = {}
    mtime = (generated / PDD_ORDERS).stat().st_mtime_ns
    for case in (c for c in CASES if c.end_to_end):
        path = corpus_landing / case.path
        path.parent.mkdir(parents=True, exist_ok=True)
        written[case.path] = case.make(source)
        path.write_bytes(written[case.path])
        os.utime(path, ns=(mtime, mtime))
    return {"clean": clean, "corpus": _ecomops_run(root / "corpus", corpus_landing), "written": written}


def _raw_tables(run: Run) -> list[str]:
    return [t for (t,) in run.rows("select table_name from information_schema.tables where table_schema = 'raw' "
                                   "and table_name not like '\\_dlt%' escape '\\' order by 1")]


def test_both_runs_succeed(runs):
    for name in ("clean", "corpus"):
        assert runs[name].returncode == 0, f"{name} run failed:\n{runs[name].stdout[-3000:]}"


def test_the_other_files_raw_rows_are_unchanged(runs):
    clean, corpus = runs["clean"], runs["corpus"]
    assert _raw_tables(clean) == _raw_tables(corpus)
    for table in _raw_tables(clean):
        if "_api_" in table:  # platform sync's tables, created empty by the landing: no file reaches them
            assert clean.rows(f"select count(*) from raw.{table}") == corpus.rows(f"select count(*) from raw.{table}") == [(0,)]
            continue
        if table == "ingest_files":
            sql = "select _source_file, status, rows, reason from raw.ingest_files"
        else:
            sql = (f"select _source_file, count(*), bit_xor(hash(columns(* exclude (_dlt_load_id)))) "
                   f"from raw.{table} group by _source_file")
        sql = f"select * from ({sql}) where _source_file not like '%{CORPUS_PREFIX}%' order by all"
        assert clean.rows(sql) == corpus.rows(sql), f"raw.{table} differs"
    assert clean.rows("select count(*) from raw.pdd_orders")[0][0] > 0


def _same_values(left: tuple, right: tuple) -> bool:
    """Equal, doubles to the last bits a parallel sum's order changes between two builds of the same rows."""
    return len(left) == len(right) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) if isinstance(a, float) and isinstance(b, float) else a == b
        for a, b in zip(left, right)
    )


def test_every_kpi_is_unchanged(runs):
    sql = "select columns(* exclude (_built_at)) from marts.kpi_shop_daily order by date, shop_code"
    clean, corpus = runs["clean"].rows(sql), runs["corpus"].rows(sql)
    assert len(clean) == 15  # 5 shops x 3 days
    assert len(corpus) == len(clean)
    differing = [(a, b) for a, b in zip(clean, corpus) if not _same_values(a, b)]
    assert not differing, f"{len(differing)} KPI rows differ, e.g. {differing[0]}"


def _ledger(run: Run, relative: str) -> tuple:
    rows = run.rows("select status, rows, reason, error_row from raw.ingest_files where _source_file = ?", relative)
    assert len(rows) == 1, f"expected one ledger row for {relative}, got {rows}"
    return rows[0]


@pytest.mark.parametrize("case", [c for c in REJECTED if c.end_to_end], ids=lambda c: c.id)
def test_a_rejected_file_is_named_kept_and_quarantined(case: Case, runs, source):
    corpus = runs["corpus"]
    status, _, reason, error_row = _ledger(corpus, case.path)
    assert status == "rejected" and case.reason in reason
    assert case.row is None or error_row == _resolve(case.row, source)
    assert f"  - {case.path}" in corpus.stdout
    assert (corpus.landing / case.path).read_bytes() == runs["written"][case.path]
    assert (corpus.quarantine / case.path).read_bytes() == runs["written"][case.path]
    note = (corpus.quarantine / case.path).with_name(Path(case.path).name + ".reason.txt")
    assert note.read_text(encoding="utf-8").strip() == reason


@pytest.mark.parametrize("case", [c for c in LOADED if c.end_to_end], ids=lambda c: c.id)
def test_an_odd_export_loads_in_the_run(case: Case, runs, source):
    status, rows, reason, _ = _ledger(runs["corpus"], case.path)
    assert status == "loaded", reason
    expected = _resolve(case.rows, source) if case.rows is not None else _ledger(runs["clean"], case.same_rows_as)[1]
    assert rows == expected
