"""The one rejection type, and the per-file boundary that turns whatever goes wrong with one file into it.

A file is rejected whole; the run goes on with the other files. Only failures
that are about the machine rather than the file stop the step: they would
fail every other file too, or come out differently on a retry.
"""

from __future__ import annotations

import errno
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# OSErrors of the machine, not of one file: a full or read-only disk, a quota, a lost network share.
STEP_STOPPING_ERRNOS = frozenset({
    errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ENOMEM, errno.EIO, errno.ESTALE, errno.ETIMEDOUT,
    errno.ENOTCONN, errno.ECONNRESET, errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ENETUNREACH,
})


class RejectedFile(Exception):
    """A file that cannot be loaded as a whole; the message names file, row and column."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None):
        self.file, self.reason, self.row, self.column = file, reason, row, column
        where = "".join(
            [f", row {row}" if row is not None else "", f", column {column}" if column is not None else ""]
        )
        super().__init__(f"{file}{where}: {reason}")


def stops_the_step(error: BaseException) -> bool:
    """Whether an error is about the machine (stop the step; a retry may pass) rather than about one file."""
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, OSError):
        return error.errno in STEP_STOPPING_ERRNOS
    return not isinstance(error, Exception)  # KeyboardInterrupt, SystemExit


def _where_raised(error: BaseException) -> str:
    """The innermost frame of our own code (file:function:line): a pointer for a bug report, no file content."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) != Path(__file__)]
    ours = [f for f in frames if Path(f.filename).parent == Path(__file__).parent] or frames
    if not ours:
        return "an unknown place"
    frame = ours[-1]
    return f"{Path(frame.filename).name}:{frame.name}:{frame.lineno}"


def unforeseen(error: Exception, file: str) -> RejectedFile:
    """A rejection for an error no reader check foresaw. Its text is left out: it may quote the file's rows."""
    if isinstance(error, OSError):  # this one file cannot be opened or read (permissions, a broken link ...)
        return RejectedFile(file, f"cannot read the file: {error.strerror or type(error).__name__}")
    return RejectedFile(
        file,
        f"the file could not be read: unexpected {type(error).__name__} in {_where_raised(error)} "
        "(please report it with the file's reason and, if you can, a copy without personal data)",
    )


def within_file_boundary(file: str, read: Callable[[], T]) -> T:
    """Run one file's reading; anything it raises is that file's RejectedFile unless it stops the step."""
    try:
        return read()
    except RejectedFile:
        raise
    except Exception as error:
        if stops_the_step(error):
            raise
        raise unforeseen(error, file) from error
