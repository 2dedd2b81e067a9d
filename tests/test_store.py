"""The SQLite store on real files: seeding, persistence across reopen, refusing bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app import store as store_module
from app.model import Attendance, Role
from app.protocol import ErrorCode, Join, ProtocolError
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


# -- join keys: a join sent again after its `joined` was lost --------------------------------


def keyed(room: Room, key: str, name: str = "Åsa Öberg", org: int | None = None) -> Join:
    org = room.series.organisations[0].id if org is None else org
    return Join(name, org, Role.OFFICIAL, Attendance.IN_ROOM, "", join_key=key)


def test_a_join_key_finds_its_participant_again_with_a_new_resume_token(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    room = Room(Store(path))
    events: list[object] = []
    room.subscribe(events.append)
    key = "k" * 32
    first = room.join(keyed(room, key))
    room.store.close()  # the `joined` never arrived; the server went down

    room = Room(Store(path))
    room.subscribe(events.append)
    # Sent again, even with the form changed meanwhile: it is the same join.
    again = room.join(keyed(room, key, name="Åsa Ö."))
    assert again.rejoined and not first.rejoined
    assert again.participant == first.participant
    assert again.resume_token != first.resume_token
    assert [p.id for p in room.participants()] == [first.participant.id]
    assert len(events) == 1  # one ParticipantJoined: the console lists the person once
    assert room.resume(again.resume_token) == first.participant
    assert room.resume(first.resume_token) is None  # only the newest token counts
    # Another key (or none: an older page) is another join.
    other = room.join(keyed(room, "m" * 32))
    plain = room.join(
        Join("Bo", room.series.organisations[1].id, Role.ELECTED, Attendance.REMOTE, "")
    )
    assert len({first.participant.id, other.participant.id, plain.participant.id}) == 3
    room.store.close()

    raw = path.read_bytes()
    assert key.encode() not in raw  # stored only as a digest, like resume tokens
    db = sqlite3.connect(path)
    assert db.execute("SELECT key_digest FROM join_keys ORDER BY rowid").fetchall() == [
        (digest(key),),
        (digest("m" * 32),),
    ]
    db.close()


def test_join_keys_are_per_session(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    first, second = Room(store, 1), Room(store, 2)
    key = "s" * 32
    one = first.join(keyed(first, key))
    two = second.join(keyed(second, key))
    assert not two.rejoined and two.participant.id != one.participant.id
    assert two.participant.session_id == second.session.id
    store.close()


def test_a_refused_join_stores_nothing_and_leaves_its_key_unused(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.sqlite3")
    room = Room(store)
    key = "r" * 32
    with pytest.raises(ProtocolError) as refused:
        room.join(keyed(room, key, org=999_999))
    assert refused.value.code == ErrorCode.UNKNOWN_ORGANISATION
    assert room.participants() == []
    assert store._db.execute("SELECT COUNT(*) FROM join_keys").fetchone()[0] == 0
    joined = room.join(keyed(room, key))  # corrected and sent again: a first join
    assert not joined.rejoined and [p.id for p in room.participants()] == [joined.participant.id]
    store.close()


def test_a_join_key_of_an_erased_participant_brings_nobody_back(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    room = Room(store)
    key = "e" * 32
    gone = room.join(keyed(room, key, name="Raderad Person"))
    room.erase_participant(gone.participant.id)

    with pytest.raises(ProtocolError) as refused:
        room.join(keyed(room, key, name="Raderad Person"))
    assert (refused.value.code, refused.value.field) == (ErrorCode.BAD_RESUME, "join_key")
    assert room.participants() == [] and store.participants(room.session.id) == []
    # A deliberate new join (the page makes a new key for it) is a new participant.
    back = room.join(keyed(room, "n" * 32, name="Ny Person"))
    assert [p.name for p in room.participants()] == ["Ny Person"]
    assert back.participant.id != gone.participant.id
    # Deleting the session's data takes the keys with it.
    store.clear_session(room.session.id)
    assert store._db.execute("SELECT COUNT(*) FROM join_keys").fetchone()[0] == 0
    store.close()
    assert b"Raderad Person" not in path.read_bytes()


def test_a_version_3_file_gets_join_keys_and_keeps_its_participants(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    for schema in store_module._MIGRATIONS[:3]:
        db.executescript(schema)
    db.execute("INSERT INTO series (id, name) VALUES (1, 'S')")
    db.execute("INSERT INTO organisations (id, series_id, name, position) VALUES (1, 1, 'O', 0)")
    db.execute("INSERT INTO sessions (id, series_id, number, theme) VALUES (1, 1, 1, 'T')")
    db.execute(
        "INSERT INTO participants (id, session_id, name, organisation_id, role, attendance,"
        " resume_digest, joined_at) VALUES ('p1', 1, 'Kvar', 1, 'elected', 'in_room', ?, 1)",
        (digest("old-token"),),
    )
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    [kept] = store.participants(1)
    assert kept.name == "Kvar" and store.participant_by_resume(1, "old-token") == kept
    assert store.rejoin(1, "x" * 32, "new-token") is None  # joined before keys: none found
    store.close()


def test_a_read_snapshot_does_not_see_later_commits(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    writer = Room(Store(path))
    org = writer.series.organisations[0].id
    writer.join(Join("Först", org, Role.OFFICIAL, Attendance.IN_ROOM, ""))
    reader = Store(path)
    with reader.read_snapshot():
        assert [p.name for p in reader.participants(writer.session.id)] == ["Först"]
        # The room server commits while an export is reading.
        writer.join(Join("Sedan", org, Role.ELECTED, Attendance.REMOTE, ""))
        assert [p.name for p in reader.participants(writer.session.id)] == ["Först"]
    assert len(reader.participants(writer.session.id)) == 2
    reader.close()
    writer.store.close()
