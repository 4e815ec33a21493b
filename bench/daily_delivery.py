"""Hold one generated day back and deliver it later: how tests and benchmarks stage a daily run.

Not part of the product: benchmarks import it from here, tests through pytest's `pythonpath` (pyproject.toml).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path


def _of_day(path: Path, stamp: str) -> bool:
    # The ERP cost price list is one file of every cost period, named for the day it was exported:
    # the seller had it before that day too. Every other file named for the day is that day's news.
    return stamp in path.name and path.parent.name != "cogs"


def hold_back_day(generated: Path, landing: Path, day: date, copy_function=shutil.copy2) -> list[Path]:
    """Copy a generated landing without the files of `day`; return those files, relative to `generated`.

    `copy_function=os.link` makes the copy hard links: a big landing is not written twice."""
    stamp = f"{day:%Y%m%d}"
    shutil.copytree(generated, landing, copy_function=copy_function,
                    ignore=lambda folder, names: [n for n in names if _of_day(Path(folder) / n, stamp)])
    return sorted(p.relative_to(generated) for p in generated.rglob("*") if p.is_file() and _of_day(p, stamp))


def deliver(generated: Path, landing: Path, files: list[Path]) -> None:
    """Copy held-back files (relative to `generated`) into the landing, keeping their modification times."""
    for relative in files:
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(generated / relative, landing / relative)
