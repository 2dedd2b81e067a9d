"""The SQLite store on real files: seeding, persistence across reopen, refusing bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.model import Attendance, Role
from app.protocol import Join
from app.room import CODE_ALPHABET, CODE_LENGTH, Room
from app.store import SCHEMA_VERSION, Store, StoreError, digest


def test_sample_workshop_is_seeded_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    series = store.ensure_sample()
    assert series.name == "Tankesmedja Fyrbodal 2020"
    assert len(series.organisations) == 11
    assert series.organisations[-1].name == "Fyrbodals kommunalförbund"
    assert [s.theme for s in series.sessions] == ["UTBLICK", "INBLICK", "TILLSAMMANS"]
    assert [p.kind.value for p in series.sessions[0].program] == [
        "inspiration",
        "mixed_groups",
        "municipality",
        "survey",
        "closing",
    ]
    again = store.ensure_sample()
    assert again == series
    store.close()


def test_room_code_token_and_participants_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    room = Room(store)
    token, code = room.room_token, room.room_code
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    result = room.join(
        Join("Åsa Öberg", room.series.organisations[0].id, Role.OFFICIAL, Attendance.REMOTE, "")
    )
    store.close()  # the process ends here; nothing else is flushed

    reopened = Room(Store(path))
    assert (reopened.room_token, reopened.room_code) == (token, code)
    [p] = reopened.participants()
    assert (p.name, p.role, p.attendance) == ("Åsa Öberg", Role.OFFICIAL, Attendance.REMOTE)
    assert reopened.resume(result.resume_token) == p
    assert reopened.store.integrity_ok()
    reopened.store.close()


def test_resume_tokens_are_stored_only_as_digests(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    room = Room(Store(path))
    result = room.join(
        Join("A", room.series.organisations[0].id, Role.ELECTED, Attendance.IN_ROOM, "")
    )
    room.store.close()
    raw = path.read_bytes() + (
        path.with_name(path.name + "-wal").read_bytes()
        if path.with_name(path.name + "-wal").exists()
        else b""
    )
    assert result.resume_token.encode() not in raw
    db = sqlite3.connect(path)
    assert db.execute("SELECT resume_digest FROM participants").fetchone()[0] == digest(
        result.resume_token
    )
    db.close()


def test_each_session_has_its_own_room(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    first = Room(store, 1)
    second = Room(store, 2)
    assert first.room_token != second.room_token
    # The last opened session is the one a plain restart opens.
    assert Room(store).session.number == 2
    with pytest.raises(ValueError, match="no session number 9"):
        Room(store, 9)
    store.close()


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    with pytest.raises(StoreError, match="w.sqlite3"):
        Store(path)
    assert path.read_bytes().startswith(b"this is a spreadsheet")


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
