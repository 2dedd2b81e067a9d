"""Workshop files (new, save as, open), roster import planning and editing the workshop."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.model import Attendance, Role, SurveyItem, SurveyKind
from app.protocol import Join, SurveyAnswers
from app.room import Room
from app.roster import RosterError, read_roster
from app.store import Store
from app.workshop import (
    WorkshopFileError,
    check_workshop,
    create_workshop,
    plan_roster,
    save_copy,
    with_suffix,
)
from app.workshop_db import OrganisationInUse, SessionInUse

SURVEY = 3


def snapshot(path: Path) -> dict[str, object]:
    """Everything a workshop holds, read through a fresh connection."""
    store = Store(path)
    try:
        series = store.series()
        assert series is not None
        session = series.sessions[0]
        return {
            "series": series,
            "participants": store.participants(session.id),
            "reflections": store.reflections(session.id),
            "answers": store.survey_answers(session.id),
            "roster": store.roster(session.id),
            "credentials": store.room_credentials(session.id),
            "state": store.phase_state(session.id),
        }
    finally:
        store.close()


def folder_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_new_from_template_save_as_and_open_round_trip(tmp_path: Path) -> None:
    path = create_workshop(tmp_path / "Fyrbodal", template=True)
    assert path.name == "Fyrbodal.tankesmedja"
    assert folder_names(tmp_path) == ["Fyrbodal.tankesmedja"]  # no temp or log files left
    check_workshop(path)

    room = Room(Store(path))
    org = room.series.organisations[3]
    who = room.join(Join("Åsa <Öberg>", org.id, Role.ELECTED, Attendance.REMOTE, "KSO"))
    room.live.start(SURVEY)
    room.live.answer_survey(who.participant, SurveyAnswers("survey-1", {"perspective": 5}))

    (tmp_path / "copies").mkdir()
    copy = save_copy(room.store, tmp_path / "copies" / "kopia")
    assert copy.name == "kopia.tankesmedja"
    assert folder_names(tmp_path / "copies") == ["kopia.tankesmedja"]
    room.store.close()
    assert snapshot(copy) == snapshot(path)
    # The copy is a workshop on its own: the participant can resume there.
    reopened = Room(Store(copy))
    assert reopened.resume(who.resume_token) == who.participant
    assert reopened.room_token == room.room_token
    reopened.store.close()


def test_new_empty_series_with_a_name(tmp_path: Path) -> None:
    path = create_workshop(
        tmp_path / "ny.sqlite3", template=False, name="  Min  serie ", first_theme="Start"
    )
    assert path.name == "ny.sqlite3"
    room = Room(Store(path))
    assert room.series.name == "Min serie"
    assert room.series.organisations == ()
    assert [(s.number, s.theme) for s in room.series.sessions] == [(1, "Start")]
    assert room.live.program and room.live.survey  # the standard program to start from
    room.store.close()
    with pytest.raises(ValueError):
        create_workshop(tmp_path / "x", template=False, name="  ")


def test_a_failed_save_leaves_no_partial_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.tankesmedja")
    store.ensure_sample()
    # Enough data for the backup to take more than one step.
    session = store.series().sessions[0]  # type: ignore[union-attr]
    store.set_meta("padding", "x" * 500_000)
    target_dir = tmp_path / "out"
    target_dir.mkdir()

    def fail(status: int, remaining: int, total: int) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        save_copy(store, target_dir / "copy.tankesmedja", progress=fail)
    assert folder_names(target_dir) == []

    # An existing file under that name is left exactly as it was.
    old = target_dir / "copy.tankesmedja"
    old.write_bytes(b"the old file")
    with pytest.raises(OSError):
        save_copy(store, old, progress=fail)
    assert folder_names(target_dir) == ["copy.tankesmedja"]
    assert old.read_bytes() == b"the old file"
    # A folder that does not exist fails before writing anything.
    with pytest.raises(OSError):
        save_copy(store, tmp_path / "missing" / "c.tankesmedja")
    # And the open workshop cannot be saved over itself.
    with pytest.raises(WorkshopFileError) as caught:
        save_copy(store, store.path)
    assert caught.value.code == "same_file"
    assert store.participants(session.id) == []  # still usable
    store.close()


def test_save_over_a_file_with_a_stale_log_beside_it(tmp_path: Path) -> None:
    old = create_workshop(tmp_path / "old", template=False, name="Gammal")
    stale = Store(old)
    stale.rename_series(stale.series().id, "Ändrad")  # type: ignore[union-attr]
    # Simulate a crash: copy the log aside while the connection holds it, then restore it.
    wal = Path(f"{old}-wal")
    kept = wal.read_bytes() if wal.exists() else b""
    stale.close()
    if kept:
        wal.write_bytes(kept)
    store = Store(create_workshop(tmp_path / "new", template=True))
    save_copy(store, old)
    assert not Path(f"{old}-wal").exists()
    assert Store(old).series().name == "Tankesmedja Fyrbodal 2020"  # type: ignore[union-attr]
    store.close()


def test_check_workshop_refuses_what_is_not_one(tmp_path: Path) -> None:
    text = tmp_path / "notes.tankesmedja"
    text.write_text("hello")
    for path, code in ((tmp_path / "none.tankesmedja", "missing"), (text, "not_workshop")):
        with pytest.raises(WorkshopFileError) as caught:
            check_workshop(path)
        assert caught.value.code == code
    assert with_suffix(Path("a/b")) == Path("a/b.tankesmedja")
    assert with_suffix(Path("a/b.SQLITE3")) == Path("a/b.SQLITE3")


# -- roster import -----------------------------------------------------------------------------


def write_excel_roster(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "deltagare.csv"
    text = "ID;Namn;Kommun;Roll;Närvaro;Funktion\r\n" + "\r\n".join(lines) + "\r\n"
    path.write_bytes(text.encode("cp1252"))  # Excel on Swedish Windows
    return path


def test_roster_import_happy_path_and_reimport(tmp_path: Path, room: Room) -> None:
    path = write_excel_roster(
        tmp_path,
        [
            "1;Åsa Öberg;ÅMÅL;Förtroendevald;På plats;KSO",
            "2;Bo Ek; uddevalla ;tjänsteperson;på distans;",
            "3;Cissi;Fyrbodals  Kommunalförbund;official;in_room;",
        ],
    )
    plan = plan_roster(read_roster(path), room.series.organisations, room.session.id)
    assert plan.ok
    names = {o.id: o.name for o in room.series.organisations}
    assert [(e.name, names[e.organisation_id]) for e in plan.entries] == [
        ("Åsa Öberg", "Åmål"),
        ("Bo Ek", "Uddevalla"),
        ("Cissi", "Fyrbodals kommunalförbund"),
    ]
    assert room.import_roster(list(plan.entries)) == (3, 0)
    claimed = room.store.roster(room.session.id)[1]
    room.join(Join("", 0, Role.OFFICIAL, Attendance.IN_ROOM, "", claimed.id))
    # Import again (a corrected file): the claimed one is kept, not listed twice.
    assert room.import_roster(list(plan.entries)) == (2, 1)
    assert [e.name for e in room.store.roster(room.session.id)] == ["Åsa Öberg", "Bo Ek", "Cissi"]
    assert [r["name"] for r in room.roster_payload()] == ["Cissi", "Åsa Öberg"]


def test_roster_errors_point_at_lines_and_nothing_is_imported(tmp_path: Path, room: Room) -> None:
    path = write_excel_roster(
        tmp_path, ["1;Åsa;Åmål;Förtroendevald;På plats;", "2;Bo;Tanum;kung;På plats;"]
    )
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert caught.value.line == 3 and caught.value.code == "unknown_role"

    path = write_excel_roster(
        tmp_path,
        [
            "1;Åsa;Göteborg;Förtroendevald;På plats;",
            "2;;Tanum;official;remote;",
            "3;Cissi;göteborg;official;remote;",
            "4;Dan;Oslo;official;remote;",
        ],
    )
    plan = plan_roster(read_roster(path), room.series.organisations, room.session.id)
    assert not plan.ok
    assert plan.unknown == {"Göteborg": [2, 4], "Oslo": [5]}
    assert plan.unnamed == (3,)
    assert room.store.roster(room.session.id) == []


# -- editing the workshop ------------------------------------------------------------------------


def test_organisations_add_rename_reorder_and_refuse_removing_used_ones(room: Room) -> None:
    store = room.store
    series = room.series
    orgs = list(series.organisations)
    used = orgs[0]
    room.join(Join("Anna", used.id, Role.ELECTED, Attendance.IN_ROOM, ""))
    items: list[tuple[int | None, str]] = [(o.id, o.name) for o in reversed(orgs[1:])]
    items[0] = (items[0][0], "Fyrbodal (förbundet)")
    items.append((None, "Västra Götalandsregionen"))
    items.insert(0, (used.id, used.name))
    # Swapping two names in one go works (no clash on the unique name).
    items[1], items[2] = (items[1][0], items[2][1]), (items[2][0], items[1][1])

    with pytest.raises(OrganisationInUse) as caught:
        store.set_organisations(series.id, items[1:])
    assert caught.value.name == used.name
    with pytest.raises(ValueError):
        store.set_organisations(series.id, [*items, (None, "västra  götalandsregionen")])
    store.set_organisations(series.id, items)
    room.reload_series()
    welcome = room.welcome_message()
    assert [o["name"] for o in welcome["organisations"]] == [name for _, name in items]
    assert welcome["organisations"][0]["id"] == used.id
    # An unused organisation can go.
    store.set_organisations(series.id, items[:-1])
    room.reload_series()
    assert "Västra Götalandsregionen" not in [o.name for o in room.series.organisations]


def test_themes_and_sessions(room: Room) -> None:
    store = room.store
    series = room.series
    store.set_session_theme(room.session.id, " NY  BLICK ", "Digitalisering & skola")
    new_id = store.add_session(series.id, "FRAMÅT", "Nästa steg", like=room.session.id)
    room.reload_series()
    assert (room.session.theme, room.session.subtitle) == ("NY BLICK", "Digitalisering & skola")
    assert room.welcome_message()["session"]["theme"] == "NY BLICK"
    added = next(s for s in room.series.sessions if s.id == new_id)
    assert (added.number, added.program, added.survey) == (
        4,
        room.session.program,
        room.session.survey,
    )
    room.join(Join("Anna", series.organisations[0].id, Role.ELECTED, Attendance.IN_ROOM, ""))
    with pytest.raises(SessionInUse):
        store.remove_session(room.session.id)
    store.remove_session(new_id)
    assert len(store.series().sessions) == 3  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        store.set_session_theme(room.session.id, "  ", "")


def test_survey_edits_keep_answered_keys_and_reach_the_page(room: Room) -> None:
    live = room.live
    who = room.join(
        Join("Anna", room.series.organisations[0].id, Role.ELECTED, Attendance.IN_ROOM, "")
    )
    live.start(SURVEY)
    live.answer_survey(
        who.participant, SurveyAnswers("survey-1", {"perspective": 4, "takeaway": "Mycket"})
    )
    items = list(live.survey)
    perspective = items[0]
    edited = [
        SurveyItem("takeaway", SurveyKind.OPEN, "Vad tar du med dig? (omformulerad)"),
        SurveyItem(perspective.key, SurveyKind.LIKERT, perspective.text),
        SurveyItem("q7", SurveyKind.LIKERT, "Ny fråga om samverkan."),
    ]
    for bad in (
        edited[:1],  # an answered item left out
        [SurveyItem("perspective", SurveyKind.OPEN, "x"), *edited[:1]],  # kind changed
        [*edited, SurveyItem("q7", SurveyKind.OPEN, "twice")],
        [*edited, SurveyItem("bad key!", SurveyKind.OPEN, "x")],
        [*edited, SurveyItem("q8", SurveyKind.OPEN, "  ")],
    ):
        with pytest.raises(ValueError):
            live.set_survey(bad)
    live.set_survey(edited)
    state = live.state_message(who.participant)
    assert [(i["key"], i["text"]) for i in state["survey"]["items"]] == [
        (i.key, i.text) for i in edited
    ]
    assert state["survey"]["answers"] == {"perspective": 4, "takeaway": "Mycket"}
    assert room.store.series().sessions[0].survey == tuple(edited)  # type: ignore[union-attr]
    assert json.dumps(state, ensure_ascii=False)  # still a valid page message
    assert room.store.answered_items(room.session.id) == {"perspective": 1, "takeaway": 1}


def test_schema_migrates_a_version_2_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    from app import store as store_module

    for number in range(2):
        for statement in store_module._MIGRATIONS[number].split(";"):
            if statement.strip():
                db.execute(statement)
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
    assert store.roster(1) == []
    store.close()
    assert os.path.exists(path)


async def test_edits_reach_connected_pages(room: Room, open_client: Any) -> None:
    client = await open_client()
    await client.send({"type": "hello", "room_token": room.room_token})
    welcome = await client.recv_type("welcome")
    org = welcome["organisations"][0]["id"]
    await client.send(
        {
            "type": "join",
            "name": "Anna",
            "organisation_id": org,
            "role": "elected",
            "attendance": "in_room",
        }
    )
    await client.recv_type("joined")
    await client.recv_type("state")
    room.live.start(SURVEY)
    assert len((await client.recv_type("state"))["survey"]["items"]) == 6
    room.live.set_survey([SurveyItem("q1", SurveyKind.OPEN, "Bara en fråga nu?")])
    state = await client.recv_type("state")
    assert state["survey"]["items"] == [{"key": "q1", "kind": "open", "text": "Bara en fråga nu?"}]
    items = [(o.id, o.name) for o in room.series.organisations]
    items[0] = (items[0][0], "Bengtsfors kommun")
    room.store.set_organisations(room.series.id, items)
    room.reload_series()
    await client.recv_type("state")  # pages are refreshed
    again = await open_client()
    await again.send({"type": "hello", "room_token": room.room_token})
    assert (await again.recv_type("welcome"))["organisations"][0]["name"] == "Bengtsfors kommun"


def test_a_roster_reimported_with_e_mails_reaches_those_who_joined(
    tmp_path: Path, room: Room
) -> None:
    path = write_excel_roster(
        tmp_path, ["1;Åsa;Åmål;Förtroendevald;På plats;", "2;Bo;Tanum;tjänsteperson;på distans;"]
    )
    plan = plan_roster(read_roster(path), room.series.organisations, room.session.id)
    room.import_roster(list(plan.entries))
    first = room.store.roster(room.session.id)[0]
    room.attach(
        room.join(Join("", 0, Role.OFFICIAL, Attendance.IN_ROOM, "", first.id)).participant.id
    )
    with_mail = tmp_path / "med-epost.csv"
    with_mail.write_text(
        "ID;Namn;Kommun;Roll;Närvaro;E-post\n1;Åsa;Åmål;förtroendevald;på plats;asa@amal.example\n"
        "2;Bo;Tanum;tjänsteperson;på distans;bo@tanum.example\n",
        "utf-8",
    )
    plan = plan_roster(read_roster(with_mail), room.series.organisations, room.session.id)
    assert room.import_roster(list(plan.entries)) == (1, 1)
    emails = {e.name: e.email for e in room.store.roster(room.session.id)}
    assert emails == {"Åsa": "asa@amal.example", "Bo": "bo@tanum.example"}
    assert all("email" not in entry for entry in room.roster_payload())
    # Erasing the person erases their address with their roster entry.
    [claimed] = [e for e in room.store.roster(room.session.id) if e.claimed_by]
    assert room.erase_participant(claimed.claimed_by)
    assert [e.email for e in room.store.roster(room.session.id)] == ["bo@tanum.example"]


def test_a_version_5_file_gets_the_roster_e_mail_column(tmp_path: Path) -> None:
    from app import store as store_module

    path = tmp_path / "v5.sqlite3"
    db = sqlite3.connect(path)
    for schema in store_module._MIGRATIONS[:5]:
        db.executescript(schema)
    db.execute("INSERT INTO series (id, name) VALUES (1, 'S')")
    db.execute("INSERT INTO organisations (id, series_id, name, position) VALUES (1, 1, 'O', 0)")
    db.execute("INSERT INTO sessions (id, series_id, number, theme) VALUES (1, 1, 1, 'T')")
    db.execute(
        "INSERT INTO roster (session_id, external_id, name, organisation_id, role, position)"
        " VALUES (1, 'x1', 'Åsa', 1, 'elected', 0)"
    )
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    store = Store(path)
    try:
        [entry] = store.roster(1)
        assert (entry.external_id, entry.name, entry.email) == ("x1", "Åsa", "")
    finally:
        store.close()
