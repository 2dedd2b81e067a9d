"""The console's core operations: one transaction each, all or nothing, one change event."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app import operations
from app.model import Attendance, Role, SurveyItem, SurveyKind
from app.operations import SessionEdit, WorkshopEdit, clear_session, edit_workshop
from app.protocol import Join, Reflect
from app.room import Room, RoomEvent, WorkshopChanged
from app.roster import RosterRow
from app.store import Store
from app.workshop import create_workshop


def workshop(tmp_path: Path) -> tuple[Path, Room, list[RoomEvent]]:
    path = create_workshop(tmp_path / "Fyrbodal", template=True)
    room = Room(Store(path))
    events: list[RoomEvent] = []
    room.subscribe(events.append)
    return path, room, events


def on_disk(path: Path) -> dict[str, object]:
    """The workshop as a fresh connection reads it from the file."""
    store = Store(path)
    try:
        series = store.series()
        assert series is not None
        return {
            "name": series.name,
            "organisations": [(o.id, o.name) for o in series.organisations],
            "sessions": [(s.id, s.number, s.theme, s.subtitle) for s in series.sessions],
            "survey": series.sessions[0].survey,
            "roster": [(e.name, e.organisation_id) for e in store.roster(series.sessions[0].id)],
        }
    finally:
        store.close()


def big_edit(room: Room) -> WorkshopEdit:
    """An edit touching every kind of write: name, organisations, sessions, survey."""
    orgs = [(o.id, o.name) for o in room.series.organisations]
    sessions = [SessionEdit(s.id, s.theme, s.subtitle) for s in room.series.sessions]
    first = sessions[0]
    return WorkshopEdit(
        series_name="Tankesmedja Fyrbodal 2021",
        organisations=(*orgs[:-1], (orgs[-1][0], "Fyrbodal (förbundet)"), (None, "Färgelanda")),
        sessions=(
            SessionEdit(first.session_id, "UTBLICK 2", "Ny undertitel"),
            *sessions[1:-1],
            SessionEdit(None, "EFTERBLICK", ""),
        ),
        removed_sessions=(sessions[-1].session_id,) if sessions[-1].session_id else (),
        survey=(*room.live.survey, SurveyItem("q99", SurveyKind.OPEN, "Något mer?")),
    )


def test_an_edit_is_stored_whole_and_announced_once(tmp_path: Path) -> None:
    path, room, events = workshop(tmp_path)
    edit = big_edit(room)
    edit_workshop(room, edit)
    stored = on_disk(path)
    assert stored["name"] == "Tankesmedja Fyrbodal 2021"
    assert [n for _i, n in stored["organisations"]][-2:] == ["Fyrbodal (förbundet)", "Färgelanda"]
    themes = [t for _i, _n, t, _s in stored["sessions"]]
    assert themes[0] == "UTBLICK 2" and themes[-1] == "EFTERBLICK"
    assert edit.removed_sessions[0] not in [i for i, *_ in stored["sessions"]]
    assert stored["survey"][-1].key == "q99"
    # The room's memory follows the file, and the console hears of it exactly once.
    assert room.series.name == "Tankesmedja Fyrbodal 2021"
    assert room.live.survey[-1].key == "q99"
    assert room.session.survey[-1].key == "q99"
    assert [e for e in events if isinstance(e, WorkshopChanged)] == [
        WorkshopChanged("edit", room.session.number)
    ]


@pytest.mark.parametrize("failing", ["set_session_theme", "add_session", "remove_session"])
def test_a_failure_mid_save_leaves_the_workshop_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path, room, events = workshop(tmp_path)
    before = on_disk(path)
    series_before, survey_before = room.series, room.live.survey
    edit = big_edit(room)

    def broken(*_args: object, **_kwargs: object) -> None:
        # The series' name and organisations are written by now, inside the transaction.
        assert room.store.series().name == "Tankesmedja Fyrbodal 2021"  # type: ignore[union-attr]
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(room.store, failing, broken)
    with pytest.raises(sqlite3.OperationalError):
        edit_workshop(room, edit)
    assert on_disk(path) == before  # nothing half-saved
    assert room.series == series_before and room.live.survey == survey_before
    assert not [e for e in events if isinstance(e, WorkshopChanged)]
    # The store is usable afterwards: the same edit, without the fault, goes through.
    monkeypatch.undo()
    edit_workshop(room, edit)
    assert on_disk(path)["name"] == "Tankesmedja Fyrbodal 2021"


def test_a_refused_edit_stores_nothing(tmp_path: Path) -> None:
    path, room, events = workshop(tmp_path)
    before = on_disk(path)
    edit = big_edit(room)
    bad = WorkshopEdit(
        edit.series_name,
        edit.organisations,
        edit.sessions,
        edit.removed_sessions,
        survey=(SurveyItem("q1", SurveyKind.OPEN, "a"), SurveyItem("q1", SurveyKind.OPEN, "b")),
    )
    with pytest.raises(ValueError):
        edit_workshop(room, bad)
    duplicate = WorkshopEdit("X", (*edit.organisations, (None, "Åmål")), edit.sessions)
    with pytest.raises(ValueError):
        edit_workshop(room, duplicate)
    assert on_disk(path) == before
    assert not [e for e in events if isinstance(e, WorkshopChanged)]


def rows() -> list[RosterRow]:
    return [
        RosterRow(2, "1", "Åsa Öberg", "Åmål", Role.ELECTED, Attendance.IN_ROOM),
        RosterRow(3, "2", "Per Persson", "Färgelanda", Role.OFFICIAL, Attendance.REMOTE),
    ]


def test_a_roster_with_a_new_organisation_is_one_operation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, room, events = workshop(tmp_path)
    before = on_disk(path)
    with pytest.raises(ValueError, match="Färgelanda"):
        operations.import_roster(room, rows())  # unknown organisation, not allowed to add
    # A failure after the organisation was added takes the organisation back too.
    monkeypatch.setattr(
        room.store, "replace_roster", lambda *_a: (_ for _ in ()).throw(sqlite3.OperationalError())
    )
    with pytest.raises(sqlite3.OperationalError):
        operations.import_roster(room, rows(), add_unknown=True)
    assert on_disk(path) == before
    monkeypatch.undo()
    assert operations.import_roster(room, rows(), add_unknown=True) == (2, 0)
    stored = on_disk(path)
    names = dict(stored["organisations"])
    assert [(n, names[o]) for n, o in stored["roster"]] == [
        ("Åsa Öberg", "Åmål"),
        ("Per Persson", "Färgelanda"),
    ]
    assert "Färgelanda" in [o.name for o in room.series.organisations]
    assert [e for e in events if isinstance(e, WorkshopChanged)] == [
        WorkshopChanged("roster", room.session.number)
    ]


def test_clearing_a_session_goes_through_the_core_and_is_announced(tmp_path: Path) -> None:
    path, room, events = workshop(tmp_path)
    org = room.series.organisations[0].id
    room.join(Join("Anna", org, Role.OFFICIAL, Attendance.IN_ROOM, ""))
    assert room.store.participants(room.session.id)
    clear_session(room, room.session.number)
    assert room.store.participants(room.session.id) == []
    assert [e for e in events if isinstance(e, WorkshopChanged)] == [
        WorkshopChanged("clear", room.session.number)
    ]
    with pytest.raises(ValueError):
        clear_session(room, 99)


def busy_room(room: Room) -> list[str]:
    """Five people in mixed groups, each with a card; returns their ids."""
    orgs = room.series.organisations
    ids = []
    for i in range(5):
        form = Join(f"Person {i}", orgs[i % len(orgs)].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
        pid = room.join(form).participant.id
        room.attach(pid)
        ids.append(pid)
    mixed = next(i for i, p in enumerate(room.live.program) if p.kind.value == "mixed_groups")
    room.live.start(mixed, now=1000.0)
    room.live.make_groups(size=3)
    for pid in ids:
        person = room.participant(pid)
        assert person is not None
        room.live.reflect(person, Reflect(f"card-{pid[:8]}", mixed, f"Kort av {pid[:4]}", 1))
    return ids


def test_clearing_the_running_session_starts_it_afresh_without_reopening(
    tmp_path: Path,
) -> None:
    path, room, events = workshop(tmp_path)
    before = busy_room(room)
    live, token, code = room.live, room.room_token, room.room_code

    clear_session(room, room.session.number)

    # One event, and the room (the same Room and Live the views hold) shows the empty session.
    assert events[-1:] == [WorkshopChanged("clear", room.session.number)]
    assert [e for e in events if isinstance(e, WorkshopChanged)] == events[-1:]
    assert room.live is live
    assert room.participants() == [] and live.cards() == [] and live.round() is None
    assert live.clock.index == -1 and not any(room.is_connected(pid) for pid in before)
    # Old links die: a new token and code, in memory and in the file.
    assert (room.room_token, room.room_code) != (token, code)
    assert not room.token_ok(token)
    reopened = Room(Store(path))
    assert (reopened.room_token, reopened.room_code) == (room.room_token, room.room_code)
    assert reopened.participants() == [] and reopened.live.cards() == []
    reopened.store.close()
    # The session goes on: people join again and write.
    again = busy_room(room)
    assert len(room.participants()) == len(again) == 5 and len(live.cards()) == 5
    room.store.close()


def test_clearing_the_running_session_failing_half_way_deletes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, room, events = workshop(tmp_path)
    ids = busy_room(room)
    token = room.room_token

    def fail(*_args: object) -> None:
        # Everything is deleted already, in the same transaction: it must all come back.
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(room.store, "set_room_credentials", fail)
    with pytest.raises(sqlite3.OperationalError):
        clear_session(room, room.session.number)
    monkeypatch.undo()

    assert [p.id for p in room.store.participants(room.session.id)] == ids
    assert len(room.store.reflections(room.session.id)) == len(ids)
    assert [p.id for p in room.participants()] == ids and room.room_token == token
    assert not [e for e in events if isinstance(e, WorkshopChanged)]
    reopened = Room(Store(path))
    assert reopened.room_token == token and reopened.live.round() is not None
    reopened.store.close()
    room.store.close()
