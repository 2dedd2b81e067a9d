"""Erasing one person on request (GDPR) and deleting a whole session leave no trace in the file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import websockets

from app.live import PhaseStatus
from app.model import Attendance, Participant, Role
from app.operations import clear_session
from app.protocol import Join, Reflect, SurveyAnswers, parse
from app.room import ParticipantRemoved, Room, RosterChanged
from app.store import Store
from app.workshop_db import RosterEntry

from .conftest import Client

MIXED, SURVEY = 1, 3
SECRET_NAME = "Zebulon Quarkström"
SECRET_CARD = "Hemligt kort om XYZZY-projektet"
SECRET_ANSWER = "Mitt öppna svar PLUGH"
KEPT_CARD = "Ett kort som ska finnas kvar"


def file_bytes(path: Path) -> bytes:
    """The database file and whatever log files lie beside it."""
    data = b""
    for suffix in ("", "-wal", "-journal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            data += part.read_bytes()
    return data


def traces(path: Path, *needles: str) -> list[str]:
    data = file_bytes(path)
    return [n for n in needles if n.encode("utf-8") in data]


def join(room: Room, name: str, org: int, roster_id: int | None = None) -> Participant:
    result = room.join(Join(name, org, Role.OFFICIAL, Attendance.IN_ROOM, "", roster_id))
    room.attach(result.participant.id)
    return result.participant


def card(room: Room, who: Participant, cid: str, text: str) -> None:
    message = parse(json.dumps({"type": "reflect", "id": cid, "phase": MIXED, "text": text}))
    assert isinstance(message, Reflect)
    room.live.reflect(who, message)


def busy_session(room: Room) -> tuple[Participant, list[Participant]]:
    """A session in its survey with groups, cards and answers; returns (secret, others)."""
    orgs = room.series.organisations
    room.store.replace_roster(
        room.session.id,
        [RosterEntry(0, room.session.id, "z1", SECRET_NAME, orgs[0].id, Role.ELECTED, None)],
    )
    entry = room.store.roster(room.session.id)[0]
    secret = join(room, "", 0, roster_id=entry.id)
    others = [join(room, f"Person {i}", orgs[(i + 1) % len(orgs)].id) for i in range(7)]
    live = room.live
    live.start(MIXED, now=1000.0)
    live.make_groups(size=4)
    card(room, secret, "secret-card-1", SECRET_CARD)
    card(room, others[0], "kept-card-1", KEPT_CARD)
    live.start(SURVEY, now=2000.0)
    for who, text in ((secret, SECRET_ANSWER), (others[0], "Annat svar")):
        answers = SurveyAnswers(f"survey-{who.id[:8]}", {"perspective": 4, "takeaway": text})
        live.answer_survey(who, answers)
    return secret, others


def test_erasing_a_participant_leaves_no_trace_even_in_free_pages(tmp_path: Path) -> None:
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    secret, others = busy_session(room)
    events: list[Any] = []
    room.subscribe(events.append)
    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER)  # the check can see them

    assert room.erase_participant(secret.id) is True

    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER, secret.id) == []
    db = sqlite3.connect(path)
    try:
        for table, column in (
            ("participants", "id"),
            ("reflections", "participant_id"),
            ("survey_answers", "participant_id"),
            ("group_members", "participant_id"),
            ("roster", "claimed_by"),
        ):
            count = db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (secret.id,))
            assert count.fetchone()[0] == 0, table
        assert db.execute("SELECT COUNT(*) FROM roster").fetchone()[0] == 0  # held the name
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    # Everyone else's data stays, in the file and live.
    assert traces(path, KEPT_CARD, "Person 3", "Annat svar") == [
        KEPT_CARD,
        "Person 3",
        "Annat svar",
    ]
    live = room.live
    assert secret.id not in {p.id for p in room.participants()}
    assert all(c.participant_id != secret.id for c in live.cards())
    assert all(secret.id not in g for g in live.round(MIXED).groups)  # type: ignore[union-attr]
    assert sum(len(g) for g in live.round(MIXED).groups) == len(others)  # type: ignore[union-attr]
    assert live.survey_results().respondents == 1
    assert any(isinstance(e, ParticipantRemoved) for e in events)
    assert any(isinstance(e, RosterChanged) for e in events)
    # An undo cannot bring them back either.
    while live.can_undo():
        live.undo()
    assert all(secret.id not in g for g in live.round(MIXED).groups)  # type: ignore[union-attr]
    room.store.close()
    again = Room(Store(path))
    assert secret.id not in {p.id for p in again.participants()}
    again.store.close()


def test_erasing_a_person_is_one_operation_with_one_event(tmp_path: Path) -> None:
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    secret, others = busy_session(room)
    events: list[Any] = []
    room.subscribe(events.append)

    assert room.erase_participant(secret.id) is True

    # One event for the whole erasure (the parts' own changes are not announced one by one):
    # the room server and the console follow it.
    assert events == [ParticipantRemoved((secret.id,))]
    assert isinstance(events[0], RosterChanged)  # the claimed roster name went too
    assert all(secret.id not in g for g in room.live.round(MIXED).groups)  # type: ignore[union-attr]
    assert len(room.participants()) == len(others)
    room.store.close()


def test_an_erasure_failing_half_way_erases_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    secret, others = busy_session(room)
    groups_before = room.live.round(MIXED)
    cards_before = room.live.cards()
    events: list[Any] = []
    room.subscribe(events.append)

    def fail(_rnd: object) -> None:
        # The people's rows are deleted already, in the same transaction: they must come back.
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(room.store, "save_round", fail)
    try:
        room.erase_participant(secret.id)
    except sqlite3.OperationalError:
        pass
    else:  # pragma: no cover - the failure must reach the caller
        raise AssertionError("the erasure did not fail")
    monkeypatch.undo()

    # Nothing half-written: the file still holds them and all they wrote, memory is as it
    # was, and no event claimed an erasure.
    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER) == [
        SECRET_NAME,
        SECRET_CARD,
        SECRET_ANSWER,
    ]
    assert secret.id in {p.id for p in room.store.participants(room.session.id)}
    assert room.participant(secret.id) is not None
    assert room.live.round(MIXED) == groups_before
    assert room.live.cards() == cards_before
    assert events == []
    reopened = Room(Store(path))
    assert any(secret.id in g for g in reopened.live.round(MIXED).groups)  # type: ignore[union-attr]
    reopened.store.close()
    # The same erasure, without the fault, goes through.
    assert room.erase_participant(secret.id) is True
    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER) == []
    assert len(room.participants()) == len(others)
    room.store.close()


def test_an_export_reading_during_an_erasure_postpones_compaction_not_the_console(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    secret, _others = busy_session(room)
    reader = Store(path)  # an export's connection, in the middle of reading its snapshot
    with reader.read_snapshot():
        reader.participants(room.session.id)
        # Not five seconds twice under the reader's feet: a short wait, then it is owed.
        assert room.erase_participant(secret.id) is True
        assert room.store.compaction_owed
        assert secret.id not in {p.id for p in room.participants()}
    reader.close()
    room.store.close()  # the owed compaction is done on the way out
    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER) == []
    again = Room(Store(path))
    assert not again.store.compaction_owed
    again.store.close()


def test_without_compaction_the_text_would_linger(tmp_path: Path) -> None:
    """The check above means something: a plain DELETE leaves the text in the file."""
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    secret, _ = busy_session(room)
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("DELETE FROM participants WHERE id = ?", (secret.id,))
    db.commit()
    db.close()
    assert SECRET_CARD in traces(path, SECRET_CARD)
    room.store.close()


def test_erasing_someone_of_another_session(tmp_path: Path) -> None:
    path = tmp_path / "w.tankesmedja"
    store = Store(path)
    first = Room(store, 1)
    secret = join(first, SECRET_NAME, first.series.organisations[0].id)
    second = Room(store, 2)  # the console moved on to session 2
    numbers = {p.id: n for n, p in store.series_participants(second.series.id)}
    assert numbers[secret.id] == 1
    assert second.erase_participant(secret.id) is True
    assert traces(path, SECRET_NAME) == []
    assert store.series_participants(second.series.id) == []
    store.close()


def test_erasing_an_unclaimed_roster_name(tmp_path: Path) -> None:
    path = tmp_path / "w.tankesmedja"
    room = Room(Store(path))
    org = room.series.organisations[0].id
    room.import_roster([RosterEntry(0, room.session.id, "z", SECRET_NAME, org, Role.ELECTED, None)])
    assert room.roster_payload()[0]["name"] == SECRET_NAME
    assert room.erase_roster_entry(room.roster_payload()[0]["id"]) is True
    assert room.roster_payload() == []
    assert traces(path, SECRET_NAME) == []
    room.store.close()


def test_deleting_a_whole_session_keeps_its_theme_and_program(tmp_path: Path) -> None:
    path = tmp_path / "w.tankesmedja"
    store = Store(path)
    room = Room(store)
    secret, _ = busy_session(room)
    token = room.room_token
    session = room.session
    other = Room(store, 2)
    kept = join(other, "Kvar I Träff Två", other.series.organisations[1].id)

    store.clear_session(session.id)

    assert traces(path, SECRET_NAME, SECRET_CARD, SECRET_ANSWER, KEPT_CARD, token) == []
    assert store.participants(session.id) == []
    assert store.reflections(session.id) == []
    assert store.survey_answers(session.id) == []
    assert store.roster(session.id) == []
    assert [r for r in store.rounds(room.series.id) if r.session_id == session.id] == []
    assert store.phase_state(session.id) == {}
    assert store.session_has_data(session.id) is False
    # The session itself stays in the series, with its theme, program and survey.
    again = Room(store, session.number)
    assert (again.session.theme, again.session.program) == (session.theme, session.program)
    assert again.live.clock.status == PhaseStatus.WAITING
    assert again.room_token != token  # old links die with the data
    # Another session is untouched.
    assert [p.id for p in store.participants(other.session.id)] == [kept.id]
    store.close()


async def test_erased_participants_page_is_disconnected_and_others_updated(
    room: Room, open_client: Any
) -> None:
    orgs = room.series.organisations
    clients: list[Client] = []
    ids = []
    tokens = []
    for i in range(3):
        client = await open_client()
        await client.send({"type": "hello", "room_token": room.room_token})
        await client.recv_type("welcome")
        name = SECRET_NAME if i == 0 else f"Person {i}"
        await client.send(
            {
                "type": "join",
                "name": name,
                "organisation_id": orgs[i].id,
                "role": "official",
                "attendance": "in_room",
            }
        )
        joined = await client.recv_type("joined")
        ids.append(joined["participant"]["id"])
        tokens.append(joined["resume_token"])
        await client.recv_type("state")
        clients.append(client)
    room.live.start(MIXED)
    room.live.make_groups(size=3)
    for client in clients[1:]:
        state = await client.recv_type("state")
        while not state["group"] or len(state["group"]["members"]) != 3:
            state = await client.recv_type("state")

    # Their card goes in through the server's batch writer, on its own connection.
    await clients[0].send(
        {"type": "reflect", "id": "secret-0001", "phase": MIXED, "text": SECRET_CARD}
    )
    assert (await clients[0].recv_type("ack"))["id"] == "secret-0001"
    assert traces(room.store.path, SECRET_CARD) == [SECRET_CARD]

    room.erase_participant(ids[0])
    # Gone from the file and its log, while the server and its writer are still running.
    assert traces(room.store.path, SECRET_NAME, SECRET_CARD) == []

    state = await clients[1].recv_type("state")
    assert SECRET_NAME not in json.dumps(state, ensure_ascii=False)
    assert len(state["group"]["members"]) == 2
    try:
        while True:
            await clients[0].recv()
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4001
    # Its resume token is void now.
    again = await open_client()
    await again.send({"type": "hello", "room_token": room.room_token, "resume_token": tokens[0]})
    assert (await again.recv_type("error"))["code"] == "bad_resume"


async def test_clearing_the_running_session_closes_every_page_and_old_links_die(
    room: Room, open_client: Any
) -> None:
    orgs = room.series.organisations
    old_token = room.room_token
    joined = await open_client()
    await joined.send({"type": "hello", "room_token": old_token})
    await joined.recv_type("welcome")
    await joined.send(
        {
            "type": "join",
            "name": SECRET_NAME,
            "organisation_id": orgs[0].id,
            "role": "official",
            "attendance": "in_room",
        }
    )
    resume_token = (await joined.recv_type("joined"))["resume_token"]
    waiting = await open_client()  # on the join form, not joined yet
    await waiting.send({"type": "hello", "room_token": old_token})
    await waiting.recv_type("welcome")

    clear_session(room, room.session.number)

    for client in (joined, waiting):
        try:
            while True:
                await client.recv()
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4001
    # The same server goes on with the empty session: old links and places are void, the
    # new token lets people in.
    again = await open_client()
    await again.send({"type": "hello", "room_token": old_token, "resume_token": resume_token})
    assert (await again.recv_type("error"))["code"] == "bad_token"
    fresh = await open_client()
    await fresh.send({"type": "hello", "room_token": room.room_token})
    assert (await fresh.recv_type("welcome"))["type"] == "welcome"
    assert room.participants() == []
