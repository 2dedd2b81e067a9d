"""SQL for editing a workshop file: roster, organisations, sessions, erasure, backup.

:class:`WorkshopStore` is a mixin of :class:`app.store.Store` (it uses the store's connection
and its one-transaction-per-write helper); it lives in its own module so that the store's core
(participants, the live session) stays short. Everything here is called on the loop thread,
like every other store method.

Erasure (GDPR) is thorough on purpose: rows are deleted explicitly (not only by cascade), the
connection zeroes freed content (``secure_delete``), and :meth:`WorkshopStore.compact`
checkpoints the write-ahead log and runs ``VACUUM``, so a deleted name or card text does not
linger in free pages of the file or in its ``-wal`` file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.model import Attendance, Participant, Role

if TYPE_CHECKING:
    from app.model import Series

log = logging.getLogger(__name__)

BUSY_MS = 5000  # how long a write waits for another connection's transaction
COMPACT_BUSY_MS = 250  # ... and a compaction, which can be finished later instead

MAX_ORGANISATION_NAME = 80
MAX_THEME = 120


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """A pre-registered participant of a session (imported from a roster CSV).

    Attributes:
        id: The entry's id (0 before it is stored); the participant page sends it as
            ``roster_id`` when someone picks this name.
        session_id: The session the entry belongs to.
        external_id: The roster file's own id (unique per session; a re-import matches on it).
        name: Display name.
        organisation_id: One of the series' organisations.
        role: Elected or official.
        attendance: In the room or remote; None when the roster did not say.
        function: Optional function (e.g. IT-chef).
        claimed_by: The participant who picked this name when joining, or None.
        email: E-mail address from the roster ('' if none), for breakout-room files.
    """

    id: int
    session_id: int
    external_id: str
    name: str
    organisation_id: int
    role: Role
    attendance: Attendance | None
    function: str = ""
    claimed_by: str | None = None
    email: str = ""


class RosterTaken(Exception):
    """The roster entry is already claimed by someone (or no longer exists)."""


class OrganisationInUse(ValueError):
    """An organisation cannot be removed: participants or roster entries belong to it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} has participants or roster entries")
        self.name = name


class SessionInUse(ValueError):
    """A session cannot be removed from the series: it holds data (delete that first)."""


def _entry(row: sqlite3.Row) -> RosterEntry:
    return RosterEntry(
        id=row["id"],
        session_id=row["session_id"],
        external_id=row["external_id"],
        name=row["name"],
        organisation_id=row["organisation_id"],
        role=Role(row["role"]),
        attendance=Attendance(row["attendance"]) if row["attendance"] else None,
        function=row["function"],
        claimed_by=row["claimed_by"],
        email=row["email"],
    )


class WorkshopStore:
    """Workshop-editing methods of :class:`app.store.Store` (see the module docstring)."""

    _db: sqlite3.Connection
    path: Path
    compaction_owed = False  # a compaction could not finish: erased text may linger in the log

    if TYPE_CHECKING:

        def _tx(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def series(self) -> Series | None:
            """See :meth:`app.store.Store.series`."""

        def participants(self, session_id: int) -> list[Participant]:
            """See :meth:`app.store.Store.participants`."""

    # -- roster ---------------------------------------------------------------------------

    def roster(self, session_id: int, *, unclaimed: bool = False) -> list[RosterEntry]:
        """Return a session's roster in file order (only unclaimed entries if asked)."""
        sql = "SELECT * FROM roster WHERE session_id = ?"
        if unclaimed:
            sql += " AND claimed_by IS NULL"
        return [_entry(r) for r in self._db.execute(sql + " ORDER BY position, id", (session_id,))]

    def roster_entry(self, roster_id: int) -> RosterEntry | None:
        """Return one roster entry by id, or None."""
        row = self._db.execute("SELECT * FROM roster WHERE id = ?", (roster_id,)).fetchone()
        return None if row is None else _entry(row)

    def replace_roster(self, session_id: int, entries: Sequence[RosterEntry]) -> tuple[int, int]:
        """Replace a session's unclaimed roster entries; return (added, kept because claimed).

        Entries someone already picked stay as they are (matched on ``external_id``, so a
        corrected file imported again does not list them twice), except their e-mail address:
        a list re-imported with addresses added gives them to people who have already joined.
        """
        with self._tx() as db:
            claimed = {
                r["external_id"]
                for r in db.execute(
                    "SELECT external_id FROM roster"
                    " WHERE session_id = ? AND claimed_by IS NOT NULL",
                    (session_id,),
                )
            }
            db.execute(
                "DELETE FROM roster WHERE session_id = ? AND claimed_by IS NULL", (session_id,)
            )
            fresh = [e for e in entries if e.external_id not in claimed]
            db.executemany(
                "UPDATE roster SET email = ? WHERE session_id = ? AND external_id = ?",
                [(e.email, session_id, e.external_id) for e in entries if e.external_id in claimed],
            )
            db.executemany(
                "INSERT INTO roster (session_id, external_id, name, organisation_id, role,"
                " attendance, function, position, email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        session_id,
                        e.external_id,
                        e.name,
                        e.organisation_id,
                        e.role.value,
                        e.attendance.value if e.attendance else None,
                        e.function,
                        position,
                        e.email,
                    )
                    for position, e in enumerate(entries)
                    if e.external_id not in claimed
                ],
            )
        return len(fresh), len(entries) - len(fresh)

    # -- series, organisations, sessions ---------------------------------------------------

    def create_series(self, name: str) -> int:
        """Insert a series without organisations or sessions; return its id."""
        with self._tx() as db:
            series_id = db.execute("INSERT INTO series (name) VALUES (?)", (name,)).lastrowid
        assert series_id is not None
        return series_id

    def rename_series(self, series_id: int, name: str) -> None:
        """Change the series' name.

        Raises:
            ValueError: for an empty name.
        """
        name = " ".join(name.split())
        if not name:
            raise ValueError("the series needs a name")
        with self._tx() as db:
            db.execute("UPDATE series SET name = ? WHERE id = ?", (name, series_id))

    def organisation_in_use(self, organisation_id: int) -> bool:
        """Return True if a participant, roster entry or card of any session belongs to it."""
        return any(
            self._db.execute(
                f"SELECT 1 FROM {table} WHERE organisation_id = ? LIMIT 1", (organisation_id,)
            ).fetchone()
            for table in ("participants", "roster", "reflections")
        )

    def set_organisations(self, series_id: int, items: Sequence[tuple[int | None, str]]) -> None:
        """Make the series' organisations exactly ``items``, in this order, in one transaction.

        Args:
            series_id: The series.
            items: ``(id, name)`` per organisation: an existing id to keep (and maybe rename),
                None to add one.

        Raises:
            ValueError: for an empty, too long or repeated name (case-insensitive) or an id
                not of this series.
            OrganisationInUse: when an organisation left out still has people.
        """
        cleaned = [(oid, " ".join(name.split())) for oid, name in items]
        seen: set[str] = set()
        for _oid, name in cleaned:
            if not name or len(name) > MAX_ORGANISATION_NAME:
                raise ValueError(
                    f"an organisation needs a name of 1–{MAX_ORGANISATION_NAME} characters"
                )
            if name.casefold() in seen:
                raise ValueError(f"{name!r} is listed twice")
            seen.add(name.casefold())
        with self._tx() as db:
            existing = {
                r["id"]: r["name"]
                for r in db.execute(
                    "SELECT id, name FROM organisations WHERE series_id = ?", (series_id,)
                )
            }
            kept = {oid for oid, _ in cleaned if oid is not None}
            if not kept <= set(existing):
                raise ValueError("an organisation of another series")
            for oid in sorted(set(existing) - kept):
                if self.organisation_in_use(oid):
                    raise OrganisationInUse(existing[oid])
                db.execute("DELETE FROM organisations WHERE id = ?", (oid,))
            # Park kept names first, so swapping two names does not trip UNIQUE (series, name).
            for oid in kept:
                db.execute("UPDATE organisations SET name = ? WHERE id = ?", (f"\x00{oid}", oid))
            for position, (oid, name) in enumerate(cleaned):
                if oid is None:
                    db.execute(
                        "INSERT INTO organisations (series_id, name, position) VALUES (?, ?, ?)",
                        (series_id, name, position),
                    )
                else:
                    db.execute(
                        "UPDATE organisations SET name = ?, position = ? WHERE id = ?",
                        (name, position, oid),
                    )

    def add_session(
        self, series_id: int, theme: str, subtitle: str = "", like: int | None = None
    ) -> int:
        """Append a session to the series; return its id.

        Args:
            series_id: The series.
            theme: The session's theme (e.g. UTBLICK).
            subtitle: Its subtitle.
            like: A session whose program and survey the new one starts with (None: empty).
        """
        with self._tx() as db:
            number = db.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM sessions WHERE series_id = ?",
                (series_id,),
            ).fetchone()[0]
            template = None
            if like is not None:
                template = db.execute(
                    "SELECT program, survey FROM sessions WHERE id = ?", (like,)
                ).fetchone()
            session_id = db.execute(
                "INSERT INTO sessions (series_id, number, theme, subtitle, program, survey)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    series_id,
                    number,
                    theme,
                    subtitle,
                    template["program"] if template else "[]",
                    template["survey"] if template else "[]",
                ),
            ).lastrowid
        assert session_id is not None
        return session_id

    def set_session_theme(self, session_id: int, theme: str, subtitle: str) -> None:
        """Change a session's theme and subtitle.

        Raises:
            ValueError: for an empty or too long theme.
        """
        theme, subtitle = " ".join(theme.split()), " ".join(subtitle.split())
        if not theme or len(theme) > MAX_THEME or len(subtitle) > MAX_THEME:
            raise ValueError(f"a session needs a theme of 1–{MAX_THEME} characters")
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET theme = ?, subtitle = ? WHERE id = ?",
                (theme, subtitle, session_id),
            )

    def session_has_data(self, session_id: int) -> bool:
        """Return True if anyone joined, was listed, wrote or answered in the session."""
        for table in ("participants", "roster", "reflections", "group_rounds", "survey_answers"):
            found = self._db.execute(
                f"SELECT 1 FROM {table} WHERE session_id = ? LIMIT 1", (session_id,)
            ).fetchone()
            if found:
                return True
        return False

    def remove_session(self, session_id: int) -> None:
        """Remove an empty session (theme, program, survey) from the series.

        Raises:
            SessionInUse: if the session holds data (delete its data first).
            ValueError: if it is the series' only session.
        """
        if self.session_has_data(session_id):
            raise SessionInUse(session_id)
        with self._tx() as db:
            others = db.execute(
                "SELECT COUNT(*) FROM sessions WHERE series_id ="
                " (SELECT series_id FROM sessions WHERE id = ?)",
                (session_id,),
            ).fetchone()[0]
            if others <= 1:
                raise ValueError("a series keeps at least one session")
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def answered_items(self, session_id: int) -> dict[str, int]:
        """Return how many answers each survey item key of a session has."""
        return {
            r["item"]: r["n"]
            for r in self._db.execute(
                "SELECT item, COUNT(*) AS n FROM survey_answers WHERE session_id = ? GROUP BY item",
                (session_id,),
            )
        }

    # -- erasure ----------------------------------------------------------------------------

    def series_participants(self, series_id: int) -> list[tuple[int, Participant]]:
        """Return (session number, participant) for everyone in every session of the series."""
        rows = self._db.execute(
            "SELECT id, number FROM sessions WHERE series_id = ? ORDER BY number", (series_id,)
        ).fetchall()
        return [(r["number"], p) for r in rows for p in self.participants(r["id"])]

    def erase_participant(self, participant_id: str) -> bool:
        """Delete a participant and everything they wrote or answered; True if they existed.

        Their reflections, survey answers, group memberships and the roster entry they
        claimed (it holds their name too) go in one transaction; then the file is compacted.
        """
        return self.erase_participants([participant_id]) > 0

    def erase_participants(self, participant_ids: Sequence[str], *, compact: bool = True) -> int:
        """Erase several participants as :meth:`erase_participant` does, in one transaction.

        With ``compact`` False the caller compacts (:meth:`compact`) once its own transaction,
        which this one then joins, has committed.

        Returns:
            How many of them existed.
        """
        self._db.execute("PRAGMA secure_delete = ON")
        found = 0
        with self._tx() as db:
            for participant_id in participant_ids:
                args = (participant_id,)
                db.execute("DELETE FROM survey_answers WHERE participant_id = ?", args)
                db.execute("DELETE FROM vote_ops WHERE participant_id = ?", args)
                db.execute("DELETE FROM votes WHERE participant_id = ?", args)
                db.execute("DELETE FROM reflections WHERE participant_id = ?", args)
                db.execute("DELETE FROM group_members WHERE participant_id = ?", args)
                db.execute("DELETE FROM roster WHERE claimed_by = ?", args)
                found += db.execute("DELETE FROM participants WHERE id = ?", args).rowcount
        if compact:
            self.compact()
        return found

    def erase_roster_entry(self, roster_id: int) -> bool:
        """Delete one roster entry (a name nobody claimed yet); True if it existed."""
        self._db.execute("PRAGMA secure_delete = ON")
        with self._tx() as db:
            found = db.execute("DELETE FROM roster WHERE id = ?", (roster_id,)).rowcount > 0
        self.compact()
        return found

    def clear_session(self, session_id: int, *, compact: bool = True) -> None:
        """Delete everything a session collected; its theme, program and survey stay.

        Participants, roster, cards, survey answers, groups and the phase state go; the room
        token and code are dropped too, so the next opening makes new ones and old links die.
        With ``compact`` False the caller compacts once its own transaction has committed.
        """
        self._db.execute("PRAGMA secure_delete = ON")
        with self._tx() as db:
            args = (session_id,)
            # join_keys before participants: deleting those would keep the keys as tombstones
            # (see app.store), needless once the room token and code are gone.
            for table in (
                "vote_ops",
                "votes",
                "vote_closed",
                "survey_answers",
                "reflections",
                "group_rounds",
                "roster",
                "join_keys",
            ):
                db.execute(f"DELETE FROM {table} WHERE session_id = ?", args)
            db.execute("DELETE FROM participants WHERE session_id = ?", args)
            db.execute(
                "UPDATE sessions SET state = '{}', room_token = NULL, room_code = NULL"
                " WHERE id = ?",
                args,
            )
        if compact:
            self.compact()

    def compact(self) -> bool:
        """Rewrite the file without free pages and empty the write-ahead log.

        Returns:
            False when another connection (e.g. an export running) kept the log from being
            emptied completely; the next compaction finishes the job.
        """
        # An export reading a snapshot keeps the log from being emptied; waiting the usual
        # five seconds for it (twice) would freeze the console, so wait briefly and leave the
        # rest owed: close() compacts again.
        self._db.execute(f"PRAGMA busy_timeout = {COMPACT_BUSY_MS}")
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            busy = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:  # busy: another connection is writing
            busy = 1
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        self.compaction_owed = bool(busy)
        if busy:
            log.warning("%s: the write-ahead log is still in use; compact again later", self.path)
        return busy == 0

    # -- copies -----------------------------------------------------------------------------

    def backup(
        self, target: Path, progress: Callable[[int, int, int], object] | None = None
    ) -> None:
        """Copy the whole database into ``target`` with SQLite's online backup.

        The copy is a consistent snapshot even while participants write. ``progress`` is
        sqlite3's backup callback (status, remaining, total pages); raising in it aborts.
        """
        destination = sqlite3.connect(target)
        try:
            self._db.backup(destination, pages=64 if progress else -1, progress=progress)
        finally:
            destination.close()
