"""Peak resident memory of a process and its children, sampled from /proc: for the benchmarks (Linux only).

`getrusage` reports the largest single child, not what a run holds at once (dbt runs as a subprocess of the
run's process), so a thread samples the summed RSS of the whole process tree a few times a second.

    python bench/peak_memory.py -- COMMAND ...    # runs COMMAND, then prints its peak RSS
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
INTERVAL_SECONDS = 0.2


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc/<pid>/stat (the parent is the field after the command's closing paren)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # ended meanwhile
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    return parents


def tree(root: int) -> list[int]:
    """`root` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


@dataclass
class PeakMemory:
    """Samples the process trees of `roots` until stopped: the peak of their summed RSS, and of the largest process;
    `samples` keeps (epoch seconds, summed RSS) so a peak can be found within any step's start and end."""

    roots: list[int]
    peak_bytes: int = 0
    peak_process_bytes: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        sizes = [rss_bytes(pid) for root in self.roots for pid in tree(root)]
        self.samples.append((time.time(), sum(sizes)))
        self.peak_bytes = max(self.peak_bytes, sum(sizes))
        self.peak_process_bytes = max(self.peak_process_bytes, max(sizes, default=0))

    def peak_between(self, start: float, end: float) -> int:
        """The peak summed RSS sampled between two epoch times (a step's start and end), or just before a step
        shorter than the sampling interval."""
        before = [size for at, size in self.samples if at < start][-1:]
        return max([size for at, size in self.samples if start <= at <= end] or before or [0])

    def _loop(self) -> None:
        while not self._stop.wait(INTERVAL_SECONDS):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def gb(size: int) -> str:
    return f"{size / 2**30:.2f} GB"


def main() -> None:
    command = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    process = subprocess.Popen(command)
    with PeakMemory([process.pid]) as peak:
        returncode = process.wait()
    print(f"peak RSS, process tree: {gb(peak.peak_bytes)}; largest process: {gb(peak.peak_process_bytes)}",
          file=sys.stderr)
    raise SystemExit(returncode)


if __name__ == "__main__":
    main()
