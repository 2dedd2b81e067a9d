"""SQLite storage for workshops: one database file holds one series and everything said in it.

Durability rules the rest of the app relies on:

* every write is committed before the caller acknowledges anything to a participant
  (``synchronous=FULL`` in WAL mode, so a commit survives a power cut); a write is one
  transaction, or a savepoint inside a batch (:meth:`Store.transaction`, used by
  :mod:`app.commit` to commit many participants' writes with one fsync);
* the schema is versioned with ``PRAGMA user_version`` and migrated forward on open;
* secrets the participant holds (resume tokens, join keys) are stored only as SHA-256
  digests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from app import instance_lock, sample
from app.model import (
    Attendance,
    GroupKind,
    GroupRound,
    Organisation,
    Participant,
    Phase,
    PhaseKind,
    Reflection,
    Role,
    Series,
    Session,
    SurveyItem,
    SurveyKind,
    VoteScope,
)
from app.workshop_db import BUSY_MS, RosterTaken, WorkshopStore

SCHEMA_VERSION = 7
DB_NAME = "tankesmedja.sqlite3"  # the workshop database's file name in a data folder

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

# Version 2: the live session — phase state, group rounds, reflections, survey.
_SCHEMA_V2 = """
ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN survey TEXT NOT NULL DEFAULT '[]';
CREATE TABLE group_rounds (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    phase_index INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('mixed', 'municipality')),
    created_at  REAL NOT NULL,
    UNIQUE (session_id, phase_index)
);
CREATE TABLE group_members (
    round_id       INTEGER NOT NULL REFERENCES group_rounds(id) ON DELETE CASCADE,
    group_no       INTEGER NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    late           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (round_id, participant_id)
);
CREATE TABLE group_info (
    round_id INTEGER NOT NULL REFERENCES group_rounds(id) ON DELETE CASCADE,
    group_no INTEGER NOT NULL,
    locked   INTEGER NOT NULL DEFAULT 0,
    link     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, group_no)
);
CREATE TABLE reflections (
    id             TEXT PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    phase_index    INTEGER NOT NULL,
    round_id       INTEGER REFERENCES group_rounds(id) ON DELETE SET NULL,
    group_no       INTEGER,
    organisation_id INTEGER NOT NULL,
    text           TEXT NOT NULL,
    revision       INTEGER NOT NULL DEFAULT 0,
    withdrawn      INTEGER NOT NULL DEFAULT 0,
    hidden         INTEGER NOT NULL DEFAULT 0,
    highlighted    INTEGER NOT NULL DEFAULT 0,
    created_at     REAL NOT NULL,
    updated_at     REAL NOT NULL
);
CREATE INDEX reflections_session ON reflections(session_id, phase_index);
CREATE TABLE survey_answers (
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    item           TEXT NOT NULL,
    value          INTEGER,
    text           TEXT NOT NULL DEFAULT '',
    updated_at     REAL NOT NULL,
    PRIMARY KEY (session_id, participant_id, item)
);
"""

# Version 3: workshop files — a session's roster of pre-registered participants, who pick
# their own name on joining (``claimed_by``). Attendance may be unknown (NULL).
_SCHEMA_V3 = """
CREATE TABLE roster (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    external_id     TEXT NOT NULL,
    name            TEXT NOT NULL,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    role            TEXT NOT NULL CHECK (role IN ('elected', 'official')),
    attendance      TEXT CHECK (attendance IN ('in_room', 'remote')),
    function        TEXT NOT NULL DEFAULT '',
    position        INTEGER NOT NULL,
    claimed_by      TEXT UNIQUE REFERENCES participants(id) ON DELETE SET NULL,
    UNIQUE (session_id, external_id)
);
CREATE INDEX roster_session ON roster(session_id);
"""

# Version 4: join keys. The page makes a random key for each join and sends it again with a
# join whose ``joined`` it never got (a cut, a crash); its digest finds the participant the
# first join made. A key outlives its participant's erasure (``participant_id`` NULL), so a
# join still carrying it brings nobody back.
_SCHEMA_V4 = """
CREATE TABLE join_keys (
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key_digest     TEXT NOT NULL,
    participant_id TEXT UNIQUE REFERENCES participants(id) ON DELETE SET NULL,
    PRIMARY KEY (session_id, key_digest)
);
"""

# Version 5: dot votes of prioritise phases (see app.votes). ``votes`` holds each person's
# dots per card; ``vote_ops`` the client-made id of every vote message applied, so a resend
# changes nothing and nobody can reuse another's id; ``vote_closed`` the phases whose voting
# the facilitator closed early. Votes go with their card or their voter (cascades).
_SCHEMA_V5 = """
CREATE TABLE votes (
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    phase_index    INTEGER NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    card_id        TEXT NOT NULL REFERENCES reflections(id) ON DELETE CASCADE,
    dots           INTEGER NOT NULL CHECK (dots > 0),
    updated_at     REAL NOT NULL,
    PRIMARY KEY (session_id, phase_index, participant_id, card_id)
);
CREATE INDEX votes_card ON votes(card_id);
CREATE TABLE vote_ops (
    id             TEXT PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE
);
CREATE TABLE vote_closed (
    session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    phase_index INTEGER NOT NULL,
    PRIMARY KEY (session_id, phase_index)
);
"""

# Version 6: rehearsal participants. The console's rehearsal joins simulated people over the
# real server; they are marked when stored, so every export leaves them out and one step
# removes them all.
_SCHEMA_V6 = """
ALTER TABLE participants ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0;
"""

# Version 7: an optional e-mail address per roster entry, for a video tool's breakout-room
# pre-assignment (app.export.rooms). It goes with its entry when that is erased.
_SCHEMA_V7 = """
ALTER TABLE roster ADD COLUMN email TEXT NOT NULL DEFAULT '';
"""

_MIGRATIONS: tuple[str, ...] = (
    _SCHEMA_V1,
    _SCHEMA_V2,
    _SCHEMA_V3,
    _SCHEMA_V4,
    _SCHEMA_V5,
    _SCHEMA_V6,
    _SCHEMA_V7,
)


class StoreError(Exception):
    """The database file cannot be used (unreadable, not a Tankesmedja file, too new)."""


class WorkshopInUse(StoreError):
    """Another running Tankesmedja has the workshop open for writing (:mod:`app.instance_lock`)."""


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` for reading only, also on read-only media.

    A WAL database needs its ``-shm`` file to be read; where that cannot be made (a
    read-only folder, after the writer closed cleanly and removed it) the file is opened
    as immutable, which is right there: nobody can be writing it.
    """
    if not path.is_file():
        raise sqlite3.OperationalError("no such file")
    uri = path.absolute().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    try:
        db.execute("PRAGMA user_version").fetchone()
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db.close()
        wal = Path(f"{path}-wal")
        if wal.is_file() and wal.stat().st_size > 0:
            # Not closed cleanly, and the log cannot be read here: reading the file alone
            # would silently leave out what the log holds.
            raise sqlite3.OperationalError(
                "the workshop was not closed cleanly and its log cannot be read from here;"
                " copy the folder to a disk you can write to, or open it in the app first"
            ) from None
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
    return db


class NotYours(Exception):
    """A client-made id names a row of another participant or another session."""


class VoteIdTaken(Exception):
    """A vote message's client-made id was used by another participant or session."""


class VoteOverBudget(Exception):
    """A vote would give a participant more dots in a phase than it allows."""


class JoinKeyErased(Exception):
    """The join key's participant has been erased on request (GDPR)."""


def digest(secret: str) -> str:
    """Return the hex SHA-256 digest under which a participant's secret is stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _phase_to_json(p: Phase) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": p.kind.value,
        "title": p.title,
        "minutes": p.minutes,
        "prompt": p.prompt,
    }
    if p.kind == PhaseKind.PRIORITISE:
        data.update(dots=p.dots, per_card=p.per_card, scope=p.scope.value, open_votes=p.open_votes)
    return data


def _program_to_json(program: tuple[Phase, ...]) -> str:
    return json.dumps([_phase_to_json(p) for p in program], ensure_ascii=False)


def _phase_from_json(p: dict[str, Any]) -> Phase:
    return Phase(
        PhaseKind(p["kind"]),
        p["title"],
        int(p["minutes"]),
        p.get("prompt", ""),
        dots=int(p.get("dots", 3)),
        per_card=int(p.get("per_card", 2)),
        scope=VoteScope(p.get("scope", VoteScope.MUNICIPALITY.value)),
        open_votes=bool(p.get("open_votes", False)),
    )


def _program_from_json(text: str) -> tuple[Phase, ...]:
    return tuple(_phase_from_json(p) for p in json.loads(text))


def _survey_to_json(items: tuple[SurveyItem, ...]) -> str:
    return json.dumps(
        [{"key": i.key, "kind": i.kind.value, "text": i.text} for i in items], ensure_ascii=False
    )


def _survey_from_json(text: str) -> tuple[SurveyItem, ...]:
    return tuple(SurveyItem(i["key"], SurveyKind(i["kind"]), i["text"]) for i in json.loads(text))


class Store(WorkshopStore):
    """A workshop database. Use one instance per thread; SQLite connections are not shared.

    Editing the workshop (roster, organisations, sessions, erasure, backup) is in
    :class:`app.workshop_db.WorkshopStore`.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """Open (creating if needed) the database at ``path`` and migrate it.

        With ``read_only`` (exports) the file is only read: nothing is created, migrated or
        locked, and a file on read-only media or in a folder we may not write works. A
        writer holds the workshop's instance lock (:mod:`app.instance_lock`) while open.
        The schema version is checked before anything is written, so a file this version
        refuses is left byte for byte as it was.

        Raises:
            StoreError: if the file is not a usable Tankesmedja database, or another
                running Tankesmedja has it open (:class:`WorkshopInUse`).
        """
        self.path = Path(path)
        self.read_only = read_only
        self._lock: str | None = None
        try:
            if read_only:
                self._db = _connect_read_only(self.path)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._lock = instance_lock.acquire(self.path)
                # isolation_level=None: we issue BEGIN/COMMIT ourselves so a transaction
                # covers exactly one logical write, and nothing stays open between calls.
                self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._check_version()
            self._db.execute("PRAGMA foreign_keys = ON")
            if not read_only:
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            if not read_only:
                self._migrate()
        except instance_lock.WorkshopInUse as exc:
            raise WorkshopInUse(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            self._give_up()
            raise StoreError(f"{self.path}: {exc}") from exc
        except OSError as exc:
            self._give_up()
            raise StoreError(f"{self.path}: {exc.strerror or exc}") from exc
        except BaseException:
            self._give_up()
            raise

    def _give_up(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
        if self._lock is not None:
            instance_lock.release(self._lock)
            self._lock = None

    def _check_version(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by a newer Tankesmedja (schema {version}); update the app"
            )
        if version == 0 and self._db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            # Another program's database (ours always carries a schema version): refused
            # before the migrations would add our tables to it.
            raise StoreError(f"{self.path}: not a Tankesmedja workshop (another program's file)")
        if self.read_only and version < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: made by an older Tankesmedja (schema {version}); open it in "
                "the console once to update it"
            )

    def close(self) -> None:
        """Close the connection (all writes are already committed).

        A compaction that an export kept from finishing (after an erasure) is finished
        first, so erased words do not stay in the write-ahead log.
        """
        if self.compaction_owed and not self.read_only:
            self.compact()
        self._db.close()
        if self._lock is not None:
            instance_lock.release(self._lock)
            self._lock = None

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open on this connection."""
        return self._db.in_transaction

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Read one state of the file inside, whatever other connections commit meanwhile.

        An export reads while the room server keeps writing: without this, a card could be
        read whose author was not yet in the participant list read a moment before.
        """
        self._db.execute("BEGIN")  # deferred: a WAL read snapshot from the first read on
        try:
            yield
        finally:
            self._db.execute("ROLLBACK")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction around several writes: the store's own methods nest inside it.

        Each nested write becomes a savepoint, so a write that raises is rolled back alone
        and the others still commit together (see :mod:`app.commit`).
        """
        return self._tx()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self._db.in_transaction:
            # Inside a batch: a savepoint, so this write can fail without the others.
            self._db.execute("SAVEPOINT write")
            try:
                yield self._db
            except BaseException:
                # Some errors (disk full, I/O) make SQLite end the whole transaction; then
                # there is no savepoint left to roll back to, and the batch fails as a whole.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK TO write")
                    self._db.execute("RELEASE write")
                raise
            self._db.execute("RELEASE write")
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("COMMIT")
        except BaseException:
            # Disk full or an I/O error may have ended the transaction inside SQLite already;
            # a failed COMMIT may have left it open. Either way the connection must be usable
            # for the next write.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
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
            survey = _survey_to_json(sample.sample_survey())
            db.executemany(
                "INSERT INTO sessions (series_id, number, theme, subtitle, program, survey)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (series_id, i + 1, theme, subtitle, program, survey)
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
                r["id"],
                r["number"],
                r["theme"],
                r["subtitle"],
                _program_from_json(r["program"]),
                _survey_from_json(r["survey"]),
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

    def add_participant(
        self,
        participant: Participant,
        resume_token: str,
        roster_id: int | None = None,
        join_key: str | None = None,
    ) -> None:
        """Insert a participant in one committed transaction.

        With ``roster_id`` the same transaction claims that roster entry for them; with
        ``join_key`` it records the key's digest, so :meth:`rejoin` finds them by it.

        Raises:
            RosterTaken: if the entry is claimed already or gone (nothing is stored then).
        """
        with self._tx() as db:
            db.execute(
                "INSERT INTO participants (id, session_id, name, organisation_id, role,"
                " attendance, function, resume_digest, joined_at, rehearsal)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    int(participant.rehearsal),
                ),
            )
            if roster_id is not None:
                claimed = db.execute(
                    "UPDATE roster SET claimed_by = ? WHERE id = ? AND session_id = ?"
                    " AND claimed_by IS NULL",
                    (participant.id, roster_id, participant.session_id),
                ).rowcount
                if not claimed:
                    raise RosterTaken(roster_id)
            if join_key is not None:
                db.execute(
                    "INSERT INTO join_keys (session_id, key_digest, participant_id)"
                    " VALUES (?, ?, ?)",
                    (participant.session_id, digest(join_key), participant.id),
                )

    def rejoin(self, session_id: int, join_key: str, resume_token: str) -> Participant | None:
        """Return the participant an earlier join of this session with ``join_key`` made.

        Only the digest of a resume token is stored, so the token that join's ``joined``
        carried (and that never arrived) cannot be sent again: the participant gets
        ``resume_token`` instead, committed before this returns, and the old one stops
        working. Returns None if no join of the session had this key.

        Raises:
            JoinKeyErased: if the key's participant has been erased (nothing is changed).
        """
        row = self._db.execute(
            "SELECT participant_id FROM join_keys WHERE session_id = ? AND key_digest = ?",
            (session_id, digest(join_key)),
        ).fetchone()
        if row is None:
            return None
        if row["participant_id"] is None:
            raise JoinKeyErased
        with self._tx() as db:
            db.execute(
                "UPDATE participants SET resume_digest = ? WHERE id = ?",
                (digest(resume_token), row["participant_id"]),
            )
            found = db.execute(
                "SELECT * FROM participants WHERE id = ?", (row["participant_id"],)
            ).fetchone()
        return _participant(found)

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

    def participant_count(self, session_id: int) -> int:
        """Return how many participants the session has."""
        row = self._db.execute(
            "SELECT count(*) FROM participants WHERE session_id = ?", (session_id,)
        ).fetchone()
        return int(row[0])

    def participants(self, session_id: int) -> list[Participant]:
        """Return the session's participants in the order they joined."""
        return [
            _participant(r)
            for r in self._db.execute(
                "SELECT * FROM participants WHERE session_id = ? ORDER BY joined_at, id",
                (session_id,),
            )
        ]

    # -- live session -----------------------------------------------------------------

    def set_program(self, session_id: int, program: tuple[Phase, ...]) -> None:
        """Replace a session's program."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET program = ? WHERE id = ?",
                (_program_to_json(program), session_id),
            )

    def set_survey(self, session_id: int, survey: tuple[SurveyItem, ...]) -> None:
        """Replace a session's survey items."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET survey = ? WHERE id = ?", (_survey_to_json(survey), session_id)
            )

    def phase_state(self, session_id: int) -> dict[str, object]:
        """Return the session's saved phase state (JSON object; empty if never started)."""
        row = self._db.execute("SELECT state FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return dict(json.loads(row["state"])) if row else {}

    def set_phase_state(self, session_id: int, state: dict[str, object]) -> None:
        """Save the session's phase state."""
        with self._tx() as db:
            db.execute(
                "UPDATE sessions SET state = ? WHERE id = ?", (json.dumps(state), session_id)
            )

    def save_round(self, rnd: GroupRound) -> GroupRound:
        """Insert or replace the groups of a session's phase; return it with its id."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM group_rounds WHERE session_id = ? AND phase_index = ?",
                (rnd.session_id, rnd.phase_index),
            ).fetchone()
            if row is None:
                round_id = db.execute(
                    "INSERT INTO group_rounds (session_id, phase_index, kind, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (rnd.session_id, rnd.phase_index, rnd.kind.value, time.time()),
                ).lastrowid
            else:
                round_id = row["id"]
                db.execute(
                    "UPDATE group_rounds SET kind = ? WHERE id = ?", (rnd.kind.value, round_id)
                )
                db.execute("DELETE FROM group_members WHERE round_id = ?", (round_id,))
                db.execute("DELETE FROM group_info WHERE round_id = ?", (round_id,))
            db.executemany(
                "INSERT INTO group_members (round_id, group_no, participant_id, position, late)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (round_id, g, pid, pos, int(pid in rnd.late))
                    for g, members in enumerate(rnd.groups)
                    for pos, pid in enumerate(members)
                ],
            )
            db.executemany(
                "INSERT INTO group_info (round_id, group_no, locked, link) VALUES (?, ?, ?, ?)",
                [(round_id, g, int(g in rnd.locked), rnd.link(g)) for g in range(len(rnd.groups))],
            )
        assert round_id is not None
        return GroupRound(
            round_id,
            rnd.session_id,
            rnd.phase_index,
            rnd.kind,
            rnd.groups,
            rnd.locked,
            rnd.links,
            rnd.late,
        )

    def add_late_member(
        self, round_id: int, group_no: int, position: int, participant_id: str, *, new_group: bool
    ) -> None:
        """Add one late joiner to a stored round (``new_group``: they start a new group).

        A row that is there already is kept: the round was saved whole (with this joiner)
        while this write waited for its commit.
        """
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO group_members"
                " (round_id, group_no, participant_id, position, late) VALUES (?, ?, ?, ?, 1)",
                (round_id, group_no, participant_id, position),
            )
            if new_group:
                db.execute(
                    "INSERT OR IGNORE INTO group_info (round_id, group_no, locked, link)"
                    " VALUES (?, ?, 0, '')",
                    (round_id, group_no),
                )

    def delete_round(self, session_id: int, phase_index: int) -> None:
        """Forget the groups of a session's phase."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM group_rounds WHERE session_id = ? AND phase_index = ?",
                (session_id, phase_index),
            )

    def rounds(self, series_id: int) -> list[GroupRound]:
        """Return every group round of the series, oldest session and phase first."""
        found = []
        for r in self._db.execute(
            "SELECT g.* FROM group_rounds g JOIN sessions s ON s.id = g.session_id"
            " WHERE s.series_id = ? ORDER BY s.number, g.phase_index",
            (series_id,),
        ):
            members = self._db.execute(
                "SELECT group_no, participant_id, late FROM group_members WHERE round_id = ?"
                " ORDER BY group_no, position",
                (r["id"],),
            ).fetchall()
            info = self._db.execute(
                "SELECT group_no, locked, link FROM group_info WHERE round_id = ?"
                " ORDER BY group_no",
                (r["id"],),
            ).fetchall()
            count = max([m["group_no"] + 1 for m in members] + [len(info)], default=0)
            groups: list[list[str]] = [[] for _ in range(count)]
            for m in members:
                groups[m["group_no"]].append(m["participant_id"])
            links = [""] * count
            for i in info:
                links[i["group_no"]] = i["link"]
            found.append(
                GroupRound(
                    r["id"],
                    r["session_id"],
                    r["phase_index"],
                    GroupKind(r["kind"]),
                    tuple(tuple(g) for g in groups),
                    frozenset(i["group_no"] for i in info if i["locked"]),
                    tuple(links),
                    frozenset(m["participant_id"] for m in members if m["late"]),
                )
            )
        return found

    def reflection(self, reflection_id: str) -> Reflection | None:
        """Return one reflection by its client-made id, or None."""
        row = self._db.execute(
            "SELECT * FROM reflections WHERE id = ?", (reflection_id,)
        ).fetchone()
        return None if row is None else _reflection(row)

    def reflections(self, session_id: int) -> list[Reflection]:
        """Return a session's reflections (withdrawn ones too) in the order written."""
        return [
            _reflection(r)
            for r in self._db.execute(
                "SELECT * FROM reflections WHERE session_id = ? ORDER BY created_at, id",
                (session_id,),
            )
        ]

    def put_reflection(self, r: Reflection) -> Reflection:
        """Insert a participant's card, or update it if this revision is newer; return the row.

        Idempotent by construction: the client-made id is the primary key, and an older or
        equal revision of a stored card changes nothing. Moderation (hidden, highlighted) is
        the facilitator's and is set only by :meth:`set_moderation`, so an edit that was on
        its way while the card was hidden cannot show it again. The row returned is what is
        stored now, which is what memory must hold (two tabs can race with one revision).

        The id is made by the page and seen by every group member, so it proves nothing: a
        card belongs to its author and its session, and a write naming another person's
        (or another session's) card changes nothing.

        Raises:
            NotYours: if a card with this id belongs to someone else or another session.
        """
        with self._tx() as db:
            owner = db.execute(
                "SELECT participant_id, session_id FROM reflections WHERE id = ?", (r.id,)
            ).fetchone()
            if owner is not None and (owner[0], owner[1]) != (r.participant_id, r.session_id):
                raise NotYours(r.id)
            db.execute(
                "INSERT INTO reflections (id, session_id, participant_id, phase_index, round_id,"
                " group_no, organisation_id, text, revision, withdrawn, hidden, highlighted,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET text = excluded.text,"
                " revision = excluded.revision, withdrawn = excluded.withdrawn,"
                " updated_at = excluded.updated_at"
                " WHERE excluded.revision > reflections.revision"
                " AND reflections.participant_id = excluded.participant_id"
                " AND reflections.session_id = excluded.session_id",
                (
                    r.id,
                    r.session_id,
                    r.participant_id,
                    r.phase_index,
                    r.round_id,
                    r.group_no,
                    r.organisation_id,
                    r.text,
                    r.revision,
                    int(r.withdrawn),
                    int(r.hidden),
                    int(r.highlighted),
                    r.created_at,
                    r.updated_at,
                ),
            )
            row = db.execute("SELECT * FROM reflections WHERE id = ?", (r.id,)).fetchone()
            if row["withdrawn"]:
                db.execute("DELETE FROM votes WHERE card_id = ?", (r.id,))  # dots go back
        return _reflection(row)

    def set_moderation(self, reflection_id: str, *, hidden: bool, highlighted: bool) -> None:
        """Hide or highlight a card (the facilitator's moderation), leaving its text alone."""
        with self._tx() as db:
            db.execute(
                "UPDATE reflections SET hidden = ?, highlighted = ? WHERE id = ?",
                (int(hidden), int(highlighted), reflection_id),
            )
            if hidden:
                db.execute("DELETE FROM votes WHERE card_id = ?", (reflection_id,))  # dots back

    def survey_answers(self, session_id: int) -> list[tuple[str, str, int | None, str]]:
        """Return (participant id, item, value, text) for every stored survey answer."""
        return [
            (r["participant_id"], r["item"], r["value"], r["text"])
            for r in self._db.execute(
                "SELECT participant_id, item, value, text FROM survey_answers"
                " WHERE session_id = ? ORDER BY participant_id, item",
                (session_id,),
            )
        ]

    def put_survey_answers(
        self, session_id: int, participant_id: str, answers: dict[str, int | str]
    ) -> None:
        """Store a participant's answers (replacing earlier answers to the same items)."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "INSERT INTO survey_answers (session_id, participant_id, item, value, text,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id,"
                " participant_id, item) DO UPDATE SET value = excluded.value,"
                " text = excluded.text, updated_at = excluded.updated_at",
                [
                    (
                        session_id,
                        participant_id,
                        item,
                        value if isinstance(value, int) else None,
                        value if isinstance(value, str) else "",
                        now,
                    )
                    for item, value in answers.items()
                ],
            )

    # -- votes (rules in app.votes) ------------------------------------------------------

    def votes(self, session_id: int) -> list[tuple[int, str, str, int]]:
        """Return (phase index, participant id, card id, dots) for every vote of a session."""
        return [
            (r["phase_index"], r["participant_id"], r["card_id"], r["dots"])
            for r in self._db.execute(
                "SELECT phase_index, participant_id, card_id, dots FROM votes"
                " WHERE session_id = ? ORDER BY updated_at, card_id",
                (session_id,),
            )
        ]

    def vote_ops(self, session_id: int) -> dict[str, str]:
        """Return the applied vote message ids of a session, each with its participant."""
        return {
            r["id"]: r["participant_id"]
            for r in self._db.execute(
                "SELECT id, participant_id FROM vote_ops WHERE session_id = ?", (session_id,)
            )
        }

    def put_vote(
        self,
        op_id: str,
        session_id: int,
        phase_index: int,
        participant_id: str,
        card_id: str,
        dots: int,
        budget: int,
    ) -> dict[str, int] | None:
        """Set a participant's dots on one card, once per client-made ``op_id``.

        Returns the participant's dots per card in the phase as stored now, or None when
        this ``op_id`` was applied before (a resend: nothing changes).

        Raises:
            VoteIdTaken: if ``op_id`` belongs to another participant or session.
            VoteOverBudget: if the participant would hold more than ``budget`` dots in the
                phase (checked here, inside the transaction, so two messages committed in
                one batch cannot both spend the last dot).
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT session_id, participant_id FROM vote_ops WHERE id = ?", (op_id,)
            ).fetchone()
            if row is not None:
                if row["session_id"] != session_id or row["participant_id"] != participant_id:
                    raise VoteIdTaken(op_id)
                return None
            spent = db.execute(
                "SELECT COALESCE(SUM(dots), 0) FROM votes WHERE session_id = ?"
                " AND phase_index = ? AND participant_id = ? AND card_id != ?",
                (session_id, phase_index, participant_id, card_id),
            ).fetchone()[0]
            if spent + dots > budget:
                raise VoteOverBudget(op_id)
            db.execute(
                "INSERT INTO vote_ops (id, session_id, participant_id) VALUES (?, ?, ?)",
                (op_id, session_id, participant_id),
            )
            key = (session_id, phase_index, participant_id, card_id)
            if dots:
                db.execute(
                    "INSERT INTO votes (session_id, phase_index, participant_id, card_id, dots,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id,"
                    " phase_index, participant_id, card_id) DO UPDATE SET dots = excluded.dots,"
                    " updated_at = excluded.updated_at",
                    (*key, dots, time.time()),
                )
            else:
                db.execute(
                    "DELETE FROM votes WHERE session_id = ? AND phase_index = ?"
                    " AND participant_id = ? AND card_id = ?",
                    key,
                )
            return {
                r["card_id"]: r["dots"]
                for r in db.execute(
                    "SELECT card_id, dots FROM votes WHERE session_id = ? AND phase_index = ?"
                    " AND participant_id = ?",
                    (session_id, phase_index, participant_id),
                )
            }

    def closed_votes(self, session_id: int) -> set[int]:
        """Return the phases whose voting the facilitator closed before the phase ended."""
        return {
            r[0]
            for r in self._db.execute(
                "SELECT phase_index FROM vote_closed WHERE session_id = ?", (session_id,)
            )
        }

    def set_votes_closed(self, session_id: int, phase_index: int, closed: bool) -> None:
        """Close (or reopen) the voting of a prioritise phase."""
        with self._tx() as db:
            if closed:
                db.execute(
                    "INSERT OR IGNORE INTO vote_closed (session_id, phase_index) VALUES (?, ?)",
                    (session_id, phase_index),
                )
            else:
                db.execute(
                    "DELETE FROM vote_closed WHERE session_id = ? AND phase_index = ?",
                    (session_id, phase_index),
                )

    def integrity_ok(self) -> bool:
        """Return True when SQLite's integrity check finds nothing wrong."""
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _reflection(row: sqlite3.Row) -> Reflection:
    return Reflection(
        id=row["id"],
        session_id=row["session_id"],
        participant_id=row["participant_id"],
        phase_index=row["phase_index"],
        round_id=row["round_id"],
        group_no=row["group_no"],
        organisation_id=row["organisation_id"],
        text=row["text"],
        revision=row["revision"],
        withdrawn=bool(row["withdrawn"]),
        hidden=bool(row["hidden"]),
        highlighted=bool(row["highlighted"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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
        rehearsal=bool(row["rehearsal"]),
    )
