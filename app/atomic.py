"""Atomic file writes: a reader sees the old file or the whole new one, never half of one."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

# The temporary beside a target ``name`` is ``.<name>.<random>.part``: hidden, and recognisable
# by remove_temporaries() after a writer was killed before its cleanup could run.
_TEMP_SUFFIX = ".part"


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is fsynced and renamed onto it.

    On any error (including a full disk or an interrupted export) the temporary file is
    removed and ``target`` is left as it was.
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=_TEMP_SUFFIX, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(target: Path, writer: Callable[[BinaryIO], None]) -> None:
    """Write ``target`` atomically through ``writer``, which gets a binary file object."""
    with atomic_path(target) as tmp, open(tmp, "wb") as handle:
        writer(handle)


def remove_temporaries(folder: Path, name_prefix: str = "") -> list[Path]:
    """Remove the temporaries :func:`atomic_path` left in ``folder``; return what was removed.

    A writer that is killed outright (SIGKILL, or ``TerminateProcess`` on Windows) gets no
    chance to remove its temporary: the target itself is untouched, but a hidden ``.part``
    file stays behind. Call this only once that writer is known to be dead, or a live
    writer's temporary vanishes under it.

    Args:
        folder: The folder the dead writer wrote into (a missing folder is fine).
        name_prefix: Only temporaries of targets whose name starts with this.
    """
    removed = []
    for path in Path(folder).glob(f".{glob.escape(name_prefix)}*{_TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.is_file():
                path.unlink()
                removed.append(path)
    return removed


def _fsync_dir(folder: Path) -> None:
    # The rename itself must reach the disk too; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
