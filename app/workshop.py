"""Workshop files: one SQLite file per workshop, created, copied and checked safely.

A workshop is one SQLite database holding one series with its organisations, sessions and
everything said in them (see :mod:`app.store`). Files made by the console end in
``.tankesmedja``; ``.sqlite3`` (the data folder's ``tankesmedja.sqlite3``) is opened too, as
the format is the same. Every write here is atomic: a new file or a copy is built as a
temporary file in the target folder and renamed over the target only when complete, so a
failure (full disk, a cancelled copy) never leaves a half file under the chosen name.

Also here: planning a roster import (the CSV read by :mod:`app.roster` mapped onto the
series' organisations), so the console only shows results. Nothing here imports Qt.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app import instance_lock, sample
from app.atomic import atomic_path
from app.i18n import tr
from app.model import Organisation
from app.room import Room
from app.roster import RosterRow
from app.store import Store
from app.workshop_db import RosterEntry

SUFFIX = ".tankesmedja"
SUFFIXES: tuple[str, ...] = (SUFFIX, ".sqlite3")
_SQLITE_MAGIC = b"SQLite format 3\x00"


class WorkshopFileError(Exception):
    """A file that cannot be used as a workshop; ``code`` names why (for translation)."""

    def __init__(self, code: str, path: Path, detail: str = "") -> None:
        super().__init__(f"{path}: {code}{f' ({detail})' if detail else ''}")
        self.code = code
        self.path = path
        self.detail = detail


def with_suffix(path: Path) -> Path:
    """Return ``path`` ending in a workshop suffix (``.tankesmedja`` added if it has none)."""
    path = Path(path)
    return path if path.suffix.lower() in SUFFIXES else path.with_name(path.name + SUFFIX)


def check_workshop(path: Path) -> None:
    """Check that ``path`` is an existing SQLite file, before the console switches to it.

    Raises:
        WorkshopFileError: ``missing`` (no such file), ``unreadable`` or ``not_workshop``.
    """
    path = Path(path)
    if not path.is_file():
        raise WorkshopFileError("missing", path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise WorkshopFileError("unreadable", path, exc.strerror or str(exc)) from exc
    if head != _SQLITE_MAGIC:
        raise WorkshopFileError("not_workshop", path)


def _drop_stale_log(target: Path) -> None:
    # A -wal file left beside the old target belongs to the old file: SQLite would replay it
    # into the new one on opening. The old file is being replaced, so its log goes too.
    for suffix in ("-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{target}{suffix}")


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[None]:
    """Hold ``path``'s instance lock while it is replaced: never under a running app's feet.

    Raises:
        WorkshopFileError: ``in_use`` when another running Tankesmedja has it open.
    """
    try:
        handle = instance_lock.acquire(path)
    except instance_lock.WorkshopInUse as exc:
        raise WorkshopFileError("in_use", path, str(exc)) from None
    try:
        yield
    finally:
        instance_lock.release(handle)


def create_workshop(
    path: Path, *, template: bool = True, name: str = "", first_theme: str = ""
) -> Path:
    """Create a new workshop file atomically; return its path (with the suffix).

    Args:
        path: Where to create it; an existing file there is replaced (the console asks first).
        template: Start from the sample series (Fyrbodal's organisations, three sessions).
        name: Without the template: the series' name.
        first_theme: Without the template: the theme of its one session.

    An empty series has no organisations yet (add them in the editor or by importing a
    roster) and one session with the standard program and survey.

    Raises:
        OSError: if the folder cannot be written.
        ValueError: without the template, for an empty name.
    """
    path = with_suffix(path)
    if not template and not name.strip():
        raise ValueError("a new series needs a name")
    with _replacing(path), atomic_path(path) as tmp:
        store = Store(tmp)
        try:
            if template:
                store.ensure_sample()
            else:
                series_id = store.create_series(" ".join(name.split()))
                session_id = store.add_session(series_id, first_theme.strip() or "1")
                store.set_program(session_id, sample.sample_program())
                store.set_survey(session_id, sample.sample_survey())
        finally:
            store.close()  # the last connection: the log is merged and removed
        _drop_stale_log(path)
    return path


def save_copy(
    store: Store, target: Path, progress: Callable[[int, int, int], object] | None = None
) -> Path:
    """Copy the open workshop to ``target`` atomically (SQLite's online backup); return it.

    The copy is a consistent snapshot even while participants write: it runs on the store's
    own thread, between two of their messages. A failure leaves no file at ``target`` (nor
    a temporary one beside it), and an existing file there untouched.

    Raises:
        WorkshopFileError: ``same_file`` when ``target`` is the open workshop itself,
            ``in_use`` when another running Tankesmedja has it open.
        OSError, sqlite3.Error: if the copy cannot be written.
    """
    target = with_suffix(target)
    if target.exists() and target.resolve() == store.path.resolve():
        raise WorkshopFileError("same_file", target)
    with _replacing(target), atomic_path(target) as tmp:
        store.backup(tmp, progress)
        _drop_stale_log(target)
    return target


def save_as(
    room: Room, target: Path, progress: Callable[[int, int, int], object] | None = None
) -> Path:
    """Save the open workshop as ``target`` and go on working in the copy; return its path.

    The copy and the switch happen between two participants' messages (the loop does
    nothing else meanwhile), so no write lands in the old file after the snapshot. Ids,
    the room token and resume tokens are the same in the copy: nobody connected notices.

    Raises:
        WorkshopFileError, OSError, sqlite3.Error: see :func:`save_copy` (then nothing
            changed: the room keeps the file it had).
    """
    path = save_copy(room.store, target, progress)
    old, room.store = room.store, Store(path)
    old.close()
    return path


# -- roster import ---------------------------------------------------------------------------


def organisation_key(name: str) -> str:
    """Return how organisation names are compared: case and spacing do not matter."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class RosterPlan:
    """A roster file mapped onto the series' organisations, before anything is stored.

    Attributes:
        entries: The rows that can be stored, in file order.
        unknown: Organisation names not in the series, each with the lines naming it.
        unnamed: Lines without a name (a name picker needs one).
    """

    entries: tuple[RosterEntry, ...]
    unknown: dict[str, list[int]] = field(default_factory=dict)
    unnamed: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every row can be imported."""
        return not self.unknown and not self.unnamed


def plan_roster(
    rows: Sequence[RosterRow], organisations: Sequence[Organisation], session_id: int
) -> RosterPlan:
    """Map roster rows onto ``organisations`` (case-insensitively) for a session."""
    by_key = {organisation_key(o.name): o.id for o in organisations}
    entries: list[RosterEntry] = []
    unknown: dict[str, list[int]] = {}
    unnamed: list[int] = []
    for row in rows:
        if not row.name.strip():
            unnamed.append(row.line)
        org_id = by_key.get(organisation_key(row.municipality))
        if org_id is None:
            shown = " ".join(row.municipality.split())
            # One entry per organisation however it is spelt, listed as first written.
            shown = next(
                (k for k in unknown if organisation_key(k) == organisation_key(shown)), shown
            )
            unknown.setdefault(shown, []).append(row.line)
            continue
        entries.append(
            RosterEntry(
                id=0,
                session_id=session_id,
                external_id=row.id,
                name=" ".join(row.name.split()),
                organisation_id=org_id,
                role=row.role,
                attendance=row.attendance,
                email=row.email,
            )
        )
    return RosterPlan(tuple(entries), unknown, tuple(unnamed))


def plan_problems(plan: RosterPlan) -> list[str]:
    """Return a roster plan's problems as line-numbered texts."""
    problems = [tr("roster_unnamed", line=line) for line in plan.unnamed]
    for name, lines in plan.unknown.items():
        problems.append(tr("roster_unknown_org", name=name, lines=", ".join(str(n) for n in lines)))
    return problems
