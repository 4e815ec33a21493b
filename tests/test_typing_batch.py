"""Export files typed together in one batch (`parse.type_exports`) come out exactly as each one read alone.

The batch mixes a generated landing's exports with the broken and odd files of `bad_export_corpus` for the
same export: a file whose value does not convert is rejected with the reason, row and column that reading it
alone gives, and every other file loads the table it would alone, lineage (file, row) included, row by row.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from bad_export_corpus import CASES

from demo_data import generate
from ingestion.mapping import load_mappings
from ingestion.parse import FileContext, ReadExport, parse_export, read_mapped, type_exports
from ingestion.rejection import RejectedFile, within_file_boundary


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("typing_batch") / "landing"
    generate(landing, shops=5, days=3)
    return landing


def _context(landing: Path, path: Path, number: int) -> FileContext:
    relative = path.relative_to(landing).as_posix()
    platform, shop = relative.split("/")[:2]
    return FileContext(path, relative, f"hash-{number}", number * 1_000_000_000, platform, shop)


@pytest.mark.parametrize("folder, table", [("pdd/pdd01/orders", "pdd_orders"), ("taobao/tb01/orders", "taobao_orders")])
def test_a_batch_types_each_file_as_it_would_be_alone(folder, table, generated, tmp_path):
    mapping = load_mappings().by_table[table]
    landing = tmp_path / "landing"
    (landing / folder).mkdir(parents=True)
    source = lambda relative: (generated / relative).read_bytes()  # noqa: E731
    for path in sorted((generated / folder).iterdir()):
        (landing / folder / path.name).write_bytes(path.read_bytes())
    for case in CASES:
        if case.path.startswith(folder + "/"):
            (landing / case.path).write_bytes(case.make(source))

    reads: list[ReadExport] = []
    alone: list[pa.Table | RejectedFile] = []
    for number, path in enumerate(sorted((landing / folder).iterdir())):
        context = _context(landing, path, number)
        try:
            read = within_file_boundary(context.relative_path, lambda: read_mapped(context, mapping))
        except RejectedFile:
            continue  # rejected while reading, before any typing: the same with or without a batch
        reads.append(read)
        try:
            alone.append(within_file_boundary(context.relative_path, lambda: parse_export(context, mapping)))
        except RejectedFile as rejection:
            alone.append(rejection)

    together = type_exports(reads, mapping)

    typed_rejections = [r for r in alone if isinstance(r, RejectedFile)]
    assert typed_rejections and sum(isinstance(r, pa.Table) for r in alone) >= 3, "the batch must mix both kinds"
    for read, expected, result in zip(reads, alone, together):
        file = read.context.relative_path
        if isinstance(expected, RejectedFile):
            assert isinstance(result, RejectedFile), f"{file} loaded in a batch but is rejected alone: {expected}"
            assert (str(result), result.row, result.column) == (str(expected), expected.row, expected.column)
        else:
            assert isinstance(result, pa.Table), f"{file} rejected in a batch but loads alone: {result}"
            assert result.schema == expected.schema and result.equals(expected), file
            assert set(result["_source_file"].to_pylist()) <= {file}
            assert result["_source_row"].to_pylist() == expected["_source_row"].to_pylist()
