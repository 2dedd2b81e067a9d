"""SQLite storage for workshops: one database file holds one series and everything said in it.

Durability rules the rest of the app relies on:

* every write is one transaction, committed before the caller acknowledges anything to a
  participant (``synchronous=FULL`` in WAL mode, so a commit survives a power cut);
* the schema is versioned with ``PRAGMA user_version`` and migrated forward on open;
* secrets the participant holds (resume tokens) are stored only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app import sample
from app.model import (
    Attendance,
    Organisation,
    Participant,
    Phase,
    PhaseKind,
    Role,
    Series,
    Session,
)

SCHEMA_VERSION = 1

_SCHEMA_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE series (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE organisations (
    id        INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL,
    UNIQUE (series_id, name)
);
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    series_id  INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    theme      TEXT NOT NULL,
    subtitle   TEXT NOT NULL DEFAULT '',
    program    TEXT NOT NULL DEFAULT '[]',
    room_token TEXT,
    room_code  TEXT,
    UNIQUE (series_id, number)
);
CREATE TABLE participants (
    id              TEXT PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    role            TEXT NOT NULL CHECK (role IN ('elected', 'official')),
    attendance      TEXT NOT NULL CHECK (attendance IN ('in_room', 'remote')),
    function        TEXT NOT NULL DEFAULT '',
    resume_digest   TEXT NOT NULL UNIQUE,
    joined_at       REAL NOT NULL
);
CREATE INDEX participants_session ON participants(session_id);
"""

_MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1,)


class StoreError(Exception):
    """The database file cannot be used (unreadable, not a Tankesmedja file, too new)."""


def digest(secret: str) -> str:
    """Return the hex SHA-256 digest under which a participant's secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _program_to_json(program: tuple[Phase, ...]) -> str:
    return json.dumps(
        [
            {"kind": p.kind.value, "title": p.title, "minutes": p.minutes, "prompt": p.prompt}
            for p in program
        ],
        ensure_ascii=False,
    )


def _program_from_json(text: str) -> tuple[Phase, ...]:
    return tuple(
        Phase(PhaseKind(p["kind"]), p["title"], int(p["minutes"]), p.get("prompt", ""))
        for p in json.loads(text)
    )


class Store:
    """A workshop database. Use one instance per thread; SQLite connections are not shared."""

    def __init__(self, path: Path) -> None:
        """Open (creating if needed) the database at ``path`` and migrate it.

        Raises:
            StoreError: if the file is not a usable Tankesmedja database.
        """
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so a transaction covers
            # exactly one logical write, and nothing stays open between calls.
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"{self.path}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        """Close the connection (all writes are already committed)."""
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by a newer Tankesmedja (schema {version}); update the app"
            )
        for number in range(version, SCHEMA_VERSION):
            with self._tx() as db:
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    # -- workshop structure ------------------------------------------------------------

    def ensure_sample(self) -> Series:
        """Seed the sample workshop if the database holds no series yet; return the series."""
        existing = self.series()
        if existing is not None:
            return existing
        with self._tx() as db:
            series_id = db.execute(
                "INSERT INTO series (name) VALUES (?)", (sample.SERIES_NAME,)
            ).lastrowid
            db.executemany(
                "INSERT INTO organisations (series_id, name, position) VALUES (?, ?, ?)",
                [(series_id, name, i) for i, name in enumerate(sample.ORGANISATIONS)],
            )
            program = _program_to_json(sample.sample_program())
            db.executemany(
                "INSERT INTO sessions (series_id, number, theme, subtitle, program)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (series_id, i + 1, theme, subtitle, program)
                    for i, (theme, subtitle) in enumerate(sample.THEMES)
                ],
            )
        series = self.series()
        assert series is not None  # just written in a committed transaction
        return series

    def series(self) -> Series | None:
        """Return the database's series with its organisations and sessions, or None."""
        row = self._db.execute("SELECT id, name FROM series ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        orgs = tuple(
            Organisation(r["id"], r["name"])
            for r in self._db.execute(
                "SELECT id, name FROM organisations WHERE series_id = ? ORDER BY position, id",
                (row["id"],),
            )
        )
        sessions = tuple(
            Session(
                r["id"], r["number"], r["theme"], r["subtitle"], _program_from_json(r["program"])
            )
            for r in self._db.execute(
                "SELECT * FROM sessions WHERE series_id = ? ORDER BY number", (row["id"],)
            )
        )
        return Series(row["id"], row["name"], orgs, sessions)

    def get_meta(self, key: str) -> str | None:
        """Return a stored setting of this workshop, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting of this workshop."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def room_credentials(self, session_id: int) -> tuple[str | None, str | None]:
        """Return the session's (room token, room code), either None if not yet made."""
        row = self._db.execute(
            "SELECT room_token, room_code FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise KeyError(session_id)
        return row["room_token"], row["room_code"]

    def set_room_credentials(self, session_id: int, token: str, code: str) -> None:
        """Persist the session's room token and code (so a restart keeps the same QR)."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET room_token = ?, room_code = ? WHERE id = ?",
                (token, code, session_id),
            )

    # -- participants -----------------------------------------------------------------

    def add_participant(self, participant: Participant, resume_token: str) -> None:
        """Insert a participant in one committed transaction."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO participants (id, session_id, name, organisation_id, role,"
                " attendance, function, resume_digest, joined_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    participant.id,
                    participant.session_id,
                    participant.name,
                    participant.organisation_id,
                    participant.role.value,
                    participant.attendance.value,
                    participant.function,
                    digest(resume_token),
                    participant.joined_at or time.time(),
                ),
            )

    def update_participant(self, participant: Participant) -> None:
        """Change a participant's details (name, organisation, role, attendance, function)."""
        with self._tx() as db:
            db.execute(
                "UPDATE participants SET name = ?, organisation_id = ?, role = ?,"
                " attendance = ?, function = ? WHERE id = ?",
                (
                    participant.name,
                    participant.organisation_id,
                    participant.role.value,
                    participant.attendance.value,
                    participant.function,
                    participant.id,
                ),
            )

    def participant_by_resume(self, session_id: int, resume_token: str) -> Participant | None:
        """Return the participant of this session whose resume token this is, or None."""
        row = self._db.execute(
            "SELECT * FROM participants WHERE session_id = ? AND resume_digest = ?",
            (session_id, digest(resume_token)),
        ).fetchone()
        return None if row is None else _participant(row)

    def participants(self, session_id: int) -> list[Participant]:
        """Return the session's participants in the order they joined."""
        return [
            _participant(r)
            for r in self._db.execute(
                "SELECT * FROM participants WHERE session_id = ? ORDER BY joined_at, id",
                (session_id,),
            )
        ]

    def integrity_ok(self) -> bool:
        """Return True when SQLite's integrity check finds nothing wrong."""
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _participant(row: sqlite3.Row) -> Participant:
    return Participant(
        id=row["id"],
        session_id=row["session_id"],
        name=row["name"],
        organisation_id=row["organisation_id"],
        role=Role(row["role"]),
        attendance=Attendance(row["attendance"]),
        function=row["function"],
        joined_at=row["joined_at"],
    )
