"""One writer per workshop file: a second Tankesmedja on the same database is refused.

Two instances writing one file would each keep their own memory of the session (the phase,
the cards) and overwrite each other. The writer therefore holds an OS file lock on a small
file beside the database (``tankesmedja.sqlite3.lock``) for as long as it has the database
open: ``flock`` on POSIX, ``msvcrt.locking`` on Windows. The operating system drops such a
lock when its process ends, however it ends (``kill -9``, a crash, a power cut), so a lock
can never be left stuck. The file holds the owner's process id, for the message only.

Within one process the lock is counted: the room server's writer thread opens its own
connection to the file the console already has open, and that is the same instance.
Readers (exports) take no lock: reading beside a running session is safe.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from app.i18n import tr


class WorkshopInUse(Exception):
    """Another running Tankesmedja has this workshop file open for writing."""


_guard = threading.Lock()
_held: dict[str, tuple[int, int]] = {}  # lock file -> (descriptor, users in this process)


def lock_path(db_path: Path) -> Path:
    """Return the lock file that guards ``db_path``."""
    return db_path.with_name(db_path.name + ".lock")


def acquire(db_path: Path) -> str:
    """Take the writer's lock of ``db_path``; return a handle for :func:`release`.

    Raises:
        WorkshopInUse: if another process holds it (the message names that process).
        OSError: if the lock file cannot be created (e.g. a read-only folder).
    """
    path = lock_path(Path(db_path).absolute())
    key = os.path.realpath(path)
    with _guard:
        if key in _held:
            fd, users = _held[key]
            _held[key] = (fd, users + 1)
            return key
        fd = _lock(path, db_path)
        _held[key] = (fd, 1)
        return key


def release(handle: str) -> None:
    """Give back one use of a lock; the last one unlocks (and removes) the lock file."""
    with _guard:
        fd, users = _held.pop(handle, (-1, 0))
        if users > 1:
            _held[handle] = (fd, users - 1)
            return
        if fd < 0:
            return
        if sys.platform != "win32":
            # Removed while still locked: whoever opens the path afterwards gets a new file,
            # and :func:`_lock` checks that the file it locked is still the one at the path.
            try:
                os.unlink(handle)
            except OSError:
                pass
        os.close(fd)


def _lock(path: Path, db_path: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not _try_lock(fd):
                owner = _read_owner(fd)
                raise WorkshopInUse(tr("workshop_in_use", path=db_path, pid=owner or "?"))
            if sys.platform != "win32":
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(path))
                except FileNotFoundError:
                    same = False
                if not same:  # the previous owner removed it as we opened it: try again
                    os.close(fd)
                    continue
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode("ascii"))
            return fd
        except BaseException:
            os.close(fd)
            raise


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_owner(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):  # no pread on Windows
        return ""
    return text if text.isdigit() else ""
