"""Dot voting in a prioritise phase: the core on a real SQLite file, then real clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.model import Participant, Phase, PhaseKind, VoteScope
from app.protocol import ErrorCode, Join, ProtocolError, Vote, parse
from app.room import Room
from app.store import Store

from .conftest import Client
from .test_live import reflect

MUNI, PRIO = 2, 3  # the municipality phase and the prioritise phase inserted after it


def with_vote(room: Room, **settings: Any) -> None:
    program = list(room.live.program)
    program.insert(PRIO, Phase(PhaseKind.PRIORITISE, "Prioritera", 10, "", **settings))
    room.live.set_program(program)


def people(room: Room, orgs: list[int], per_org: int) -> dict[int, list[Participant]]:
    found: dict[int, list[Participant]] = {}
    for o in orgs:
        org = room.series.organisations[o]
        for i in range(per_org):
            p = room.join(Join(f"{org.name} {i}", org.id, _role(i), _in_room(), "")).participant
            room.attach(p.id)
            found.setdefault(o, []).append(p)
    return found


def _role(i: int) -> Any:
    from app.model import Role

    return Role.ELECTED if i % 2 else Role.OFFICIAL


def _in_room() -> Any:
    from app.model import Attendance

    return Attendance.IN_ROOM


def vote(room: Room, who: Participant, vid: str, card: str, dots: int, phase: int = PRIO) -> None:
    message = parse(
        json.dumps({"type": "vote", "id": vid, "phase": phase, "card": card, "dots": dots})
    )
    assert isinstance(message, Vote)
    room.live.vote(who, message)


def refused(code: ErrorCode, *args: Any) -> None:
    with pytest.raises(ProtocolError) as err:
        vote(*args)
    assert err.value.code == code


@pytest.fixture
def day(room: Room) -> tuple[Room, dict[int, list[Participant]]]:
    """Uddevalla (7) and Tanum (5), three each, reflect by municipality; voting starts."""
    with_vote(room)
    group = people(room, [7, 5], 3)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for o, members in group.items():
        for i, p in enumerate(members):
            reflect(room, p, f"card-{o}-{i}", f"Kort {i} från {o}", phase=MUNI)
    room.live.start(PRIO)
    return room, group


def stored_votes(store: Store, room: Room) -> list[tuple[int, str, str, int]]:
    other = Store(store.path)  # a second connection: only committed rows are seen
    try:
        return sorted(other.votes(room.session.id))
    finally:
        other.close()


def test_dots_on_own_group_cards_are_stored_and_counted(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    room, group = day
    anna, bo, cia = group[7]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    vote(room, anna, "vote-0002", "card-7-2", 1)
    vote(room, bo, "vote-0003", "card-7-1", 1)
    assert stored_votes(store, room) == sorted(
        [
            (PRIO, anna.id, "card-7-1", 2),
            (PRIO, anna.id, "card-7-2", 1),
            (PRIO, bo.id, "card-7-1", 1),
        ]
    )
    votes = room.live.votes
    assert votes.remaining(PRIO, anna.id) == 0 and votes.remaining(PRIO, bo.id) == 2
    # Moving a dot: setting a card to fewer dots gives them back.
    vote(room, anna, "vote-0004", "card-7-1", 1)
    assert votes.remaining(PRIO, anna.id) == 1
    ranking = votes.ranking(PRIO)
    uddevalla = next(g for g in ranking if g.organisation_id == room.series.organisations[7].id)
    assert [(r.card.id, r.dots, r.voters) for r in uddevalla.cards] == [
        ("card-7-1", 2, 2),
        ("card-7-2", 1, 1),
        ("card-7-0", 0, 0),
    ]
    # The other municipality's cards are its own ballot.
    assert {c.id for c in votes.ballot(PRIO, group[5][0])} == {f"card-5-{i}" for i in range(3)}


def test_bad_votes_are_refused_and_nothing_is_stored(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    room, group = day
    anna, bo, _ = group[7]
    refused(ErrorCode.OTHER_GROUP, room, anna, "vote-0001", "card-5-0", 1)
    refused(ErrorCode.CARD_UNAVAILABLE, room, anna, "vote-0002", "no-such-card", 1)
    refused(ErrorCode.TOO_MANY_DOTS, room, anna, "vote-0003", "card-7-0", 3)  # per card: 2
    refused(ErrorCode.NO_VOTING, room, anna, "vote-0004", "card-7-0", 1, MUNI)
    vote(room, anna, "vote-0005", "card-7-0", 2)
    refused(ErrorCode.TOO_MANY_DOTS, room, anna, "vote-0006", "card-7-1", 2)  # 3 dots in all
    # An id another participant used is theirs.
    refused(ErrorCode.NOT_YOURS, room, bo, "vote-0005", "card-7-1", 1)
    # Replay: the same message again is acknowledged and changes nothing.
    vote(room, anna, "vote-0005", "card-7-0", 2)
    vote(room, anna, "vote-0007", "card-7-0", 0)
    vote(room, anna, "vote-0005", "card-7-0", 2)  # an old message arriving late
    assert room.live.votes.mine(PRIO, anna.id) == {}
    room.live.moderate("card-7-1", hidden=True)
    refused(ErrorCode.CARD_UNAVAILABLE, room, bo, "vote-0008", "card-7-1", 1)
    room.live.votes.close(PRIO)
    refused(ErrorCode.VOTING_CLOSED, room, bo, "vote-0009", "card-7-2", 1)
    room.live.votes.close(PRIO, False)
    vote(room, bo, "vote-0010", "card-7-2", 1)
    room.live.next_phase()
    refused(ErrorCode.VOTING_CLOSED, room, bo, "vote-0011", "card-7-0", 1)
    assert stored_votes(store, room) == [(PRIO, bo.id, "card-7-2", 1)]


def test_hiding_a_card_returns_its_dots_and_erasure_removes_votes(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    room, group = day
    anna, bo, cia = group[7]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    vote(room, bo, "vote-0002", "card-7-1", 1)
    vote(room, bo, "vote-0003", "card-7-2", 2)
    room.live.moderate("card-7-1", hidden=True)
    assert room.live.votes.remaining(PRIO, anna.id) == 3
    assert room.live.votes.mine(PRIO, bo.id) == {"card-7-2": 2}
    assert stored_votes(store, room) == [(PRIO, bo.id, "card-7-2", 2)]
    # Unhiding does not bring dots back that may have been spent elsewhere since.
    room.live.moderate("card-7-1", hidden=False)
    assert room.live.votes.remaining(PRIO, anna.id) == 3
    vote(room, anna, "vote-0004", "card-7-2", 1)
    # Erasing Bo removes his votes; erasing Cia (author of card-7-2) removes its votes too.
    assert room.erase_participant(bo.id)
    assert stored_votes(store, room) == [(PRIO, anna.id, "card-7-2", 1)]
    assert room.erase_participant(cia.id)
    assert stored_votes(store, room) == []
    assert room.live.votes.tally(PRIO) == {}
    assert room.live.votes.remaining(PRIO, anna.id) == 3


def test_hiding_a_card_in_a_vote_is_one_change_event(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    room, group = day
    anna, bo, _cia = group[7]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    vote(room, bo, "vote-0002", "card-7-1", 1)
    seen: list[tuple[object, int]] = []
    # Whoever follows the one event reads the votes as they are after it: dots given back.
    room.subscribe(lambda e: seen.append((e, room.live.votes.remaining(PRIO, anna.id))))
    room.live.moderate("card-7-1", hidden=True)
    assert [type(e).__name__ for e, _ in seen] == ["ReflectionChanged"]
    event, remaining = seen[0]
    assert event.moderated and event.visibility_changed  # type: ignore[attr-defined]
    assert remaining == 3
    assert stored_votes(store, room) == []


def test_votes_survive_a_restart_and_a_replay_after_it(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    room, group = day
    anna = group[7][0]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    again = Room(Store(store.path))
    assert again.live.votes.mine(PRIO, anna.id) == {"card-7-1": 2}
    # Restarted (same clock): the resend of an applied id still changes nothing.
    vote(again, anna, "vote-0001", "card-7-1", 2)
    assert again.live.votes.remaining(PRIO, anna.id) == 1
    assert again.live.program[PRIO].kind == PhaseKind.PRIORITISE
    again.store.close()


def test_counts_are_secret_until_the_vote_closes_unless_open(
    day: tuple[Room, dict[int, list[Participant]]],
) -> None:
    room, group = day
    anna, bo, cia = group[7]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    vote(room, bo, "vote-0002", "card-7-0", 1)
    vote(room, cia, "vote-0003", "card-7-1", 1)
    state = room.live.state_message(bo)
    assert {c["id"] for c in state["cards"]} == {"card-7-0", "card-7-1", "card-7-2"}
    assert state["vote"]["counts"] is None and state["vote"]["remaining"] == 2
    assert state["vote"]["mine"] == {"card-7-0": 1} and state["vote"]["open"] is True
    room.live.votes.close(PRIO)
    state = room.live.state_message(bo)
    assert state["vote"]["open"] is False
    assert [(t["id"], t["dots"]) for t in state["vote"]["top"]] == [
        ("card-7-1", 3),
        ("card-7-0", 1),
    ]
    # Open voting: counts while voting.
    program = list(room.live.program)
    from dataclasses import replace

    program[PRIO] = replace(program[PRIO], open_votes=True)
    room.live.set_program(program)
    room.live.votes.close(PRIO, False)
    state = room.live.state_message(bo)
    assert state["vote"]["counts"] == {"card-7-1": 3, "card-7-0": 1}
    assert state["vote"]["top"] == []


def test_mixed_and_highlighted_scopes(room: Room) -> None:
    with_vote(room, scope=VoteScope.MIXED, dots=5, per_card=5)
    group = people(room, [7, 5, 3], 2)
    room.live.start(1)
    rnd = room.live.make_groups(1, size=3)
    everyone = [p for ps in group.values() for p in ps]
    for i, p in enumerate(everyone):
        reflect(room, p, f"mixed-card-{i}", f"Blandat {i}", phase=1)
    room.live.start(PRIO)
    first = everyone[0]
    mates = set(rnd.groups[rnd.group_of(first.id)])
    ballot = {c.participant_id for c in room.live.votes.ballot(PRIO, first)}
    assert ballot == mates
    stranger = next(p for p in everyone if p.id not in mates)
    stranger_card = f"mixed-card-{everyone.index(stranger)}"
    refused(ErrorCode.OTHER_GROUP, room, first, "vote-0001", stranger_card, 1)
    # Room-wide vote on highlighted cards.
    program = list(room.live.program)
    from dataclasses import replace

    program[PRIO] = replace(program[PRIO], scope=VoteScope.HIGHLIGHTED)
    room.live.set_program(program)
    room.live.moderate(stranger_card, highlighted=True)
    assert [c.id for c in room.live.votes.ballot(PRIO, first)] == [stranger_card]
    vote(room, first, "vote-0002", stranger_card, 5)
    assert room.live.votes.tally(PRIO) == {stranger_card: (5, 1)}


def test_program_settings_of_a_prioritise_phase_are_stored(room: Room, store: Store) -> None:
    with_vote(room, dots=5, per_card=1, scope=VoteScope.MIXED, open_votes=True)
    again = Store(store.path)
    try:
        session = again.series().sessions[0]  # type: ignore[union-attr]
    finally:
        again.close()
    phase = session.program[PRIO]
    assert (phase.kind, phase.dots, phase.per_card, phase.scope, phase.open_votes) == (
        PhaseKind.PRIORITISE,
        5,
        1,
        VoteScope.MIXED,
        True,
    )


# -- real clients against the real server ------------------------------------------------


async def join_client(client: Client, room: Room, name: str, org: int) -> dict[str, Any]:
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(
        {
            "type": "join",
            "name": name,
            "organisation_id": room.series.organisations[org].id,
            "role": "elected",
            "attendance": "in_room",
        }
    )
    joined = await client.recv_type("joined")
    await client.recv_type("state")
    return joined


async def both(client: Client, *kinds: str) -> dict[str, dict[str, Any]]:
    """Receive until one message of each kind has arrived (in whatever order)."""
    got: dict[str, dict[str, Any]] = {}
    while len(got) < len(kinds):
        message = await client.recv()
        assert message["type"] != "error", message
        if message["type"] in kinds:
            got.setdefault(message["type"], message)
    return got


async def next_state(client: Client, phase: int) -> dict[str, Any]:
    while True:
        state = await client.recv_type("state")
        if state["phase"] and state["phase"]["index"] == phase:
            return state


async def test_real_clients_vote_with_limits_replays_and_reconnect(
    room: Room, store: Store, open_client: Any
) -> None:
    with_vote(room)
    anna, bo, tanum = await open_client(), await open_client(), await open_client()
    joined = await join_client(anna, room, "Anna", 7)
    await join_client(bo, room, "Bo", 7)
    await join_client(tanum, room, "Tove", 5)
    # Two from Tanum: someone alone from an organisation would join another's group.
    await join_client(await open_client(), room, "Tage", 5)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for n, client in enumerate((anna, bo, tanum)):
        await next_state(client, MUNI)
        await client.send(
            {"type": "reflect", "id": f"card-000{n}", "phase": MUNI, "text": f"Idé {n}"}
        )
        assert (await client.recv_type("ack"))["id"] == f"card-000{n}"
    room.live.start(PRIO)
    state = await next_state(anna, PRIO)
    assert {c["id"] for c in state["cards"]} == {"card-0000", "card-0001"}
    assert state["vote"] == {
        "dots": 3,
        "per_card": 2,
        "remaining": 3,
        "mine": {},
        "open": True,
        "counts": None,
        "top": [],
    }

    message = {"type": "vote", "id": "vote-a-0001", "phase": PRIO, "card": "card-0001", "dots": 2}
    await anna.send(message)
    got = await both(anna, "ack", "state")
    assert got["ack"] == {"type": "ack", "id": "vote-a-0001", "revision": 0}
    assert stored_votes(store, room) == [(PRIO, joined["participant"]["id"], "card-0001", 2)]
    assert got["state"]["vote"]["remaining"] == 1

    async def error_for(client: Client, **fields: Any) -> dict[str, Any]:
        await client.send({"type": "vote", "phase": PRIO, **fields})
        return await client.recv_type("error")

    err = await error_for(anna, id="vote-a-0002", card="card-0002", dots=1)
    assert (err["code"], err["ref"]) == ("other_group", "vote-a-0002")
    err = await error_for(anna, id="vote-a-0003", card="card-0000", dots=2)
    assert err["code"] == "too_many_dots"
    err = await error_for(bo, id="vote-a-0001", card="card-0000", dots=1)
    assert err["code"] == "not_yours"
    err = await error_for(anna, id="vote-a-0004", card="card-0000", dots=-1)
    assert (err["code"], err["field"]) == ("bad_field", "dots")

    # Reconnect mid-vote: the page resends its outbox (the vote already acked), and the
    # state it gets back shows its dots; nothing is counted twice.
    await anna.close()
    again = await open_client()
    await again.send(
        {"type": "hello", "room_token": room.room_token, "resume_token": joined["resume_token"]}
    )
    await again.recv_type("joined")
    state = await again.recv_type("state")
    assert state["vote"]["mine"] == {"card-0001": 2} and state["vote"]["remaining"] == 1
    await again.send(message)
    assert (await again.recv_type("ack"))["id"] == "vote-a-0001"
    assert stored_votes(store, room) == [(PRIO, joined["participant"]["id"], "card-0001", 2)]

    # Closing: everyone in the group sees the top three; later votes are refused.
    room.live.votes.close(PRIO)
    state = await next_state(bo, PRIO)
    assert state["vote"]["open"] is False
    assert state["vote"]["top"] == [{"id": "card-0001", "text": "Idé 1", "dots": 2}]
    err = await error_for(bo, id="vote-b-0001", card="card-0000", dots=1)
    assert err["code"] == "voting_closed"
    other = await next_state(tanum, PRIO)
    assert other["vote"]["top"] == [] and [c["id"] for c in other["cards"]] == ["card-0002"]


def test_old_database_gets_the_vote_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE votes; DROP TABLE vote_ops; DROP TABLE vote_closed;")
    db.execute("ALTER TABLE participants DROP COLUMN rehearsal")  # version 6's, not 4's
    db.execute("ALTER TABLE roster DROP COLUMN email")  # version 7's
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()
    store = Store(path)
    try:
        store.ensure_sample()
        assert store.votes(store.series().sessions[0].id) == []  # type: ignore[union-attr]
    finally:
        store.close()


async def test_rehearsal_bots_vote_within_their_dots(room: Room, server: Any) -> None:
    import asyncio

    from tankesmedja.rehearsal.bots import rehearse

    from .test_e2e_session import drained, make_groups

    with_vote(room)
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{server.port}"
    bots = await rehearse(url, room.room_token, 16, seed=5, stop=stop, think=(0.0, 0.02))
    try:
        live = room.live
        live.start(MUNI)
        await make_groups(room)
        await asyncio.gather(*(b.wait_acted(MUNI, 5.0) for b in bots))
        await drained(bots)
        live.start(PRIO)
        await asyncio.gather(*(b.wait_acted(PRIO, 5.0) for b in bots))
        await drained(bots)
        assert all(not b.refused for b in bots), [b.refused for b in bots]
        rows = room.store.votes(room.session.id)
        spent: dict[str, int] = {}
        for _phase, pid, card_id, dots in rows:
            spent[pid] = spent.get(pid, 0) + dots
            card = live.card(card_id)
            assert card is not None and live.votes.group_key(PRIO, live.room.participant(pid)) == (
                live.votes.group_key(PRIO, live.room.participant(card.participant_id))
            )
        assert spent and all(1 <= n <= 3 for n in spent.values())
        assert sum(d for d, _v in live.votes.tally(PRIO).values()) == sum(spent.values())
    finally:
        stop.set()


def test_withdrawing_a_card_returns_its_dots(
    day: tuple[Room, dict[int, list[Participant]]], store: Store
) -> None:
    from app.protocol import Withdraw

    room, group = day
    anna, bo, _ = group[7]
    vote(room, anna, "vote-0001", "card-7-1", 2)
    vote(room, anna, "vote-0002", "card-7-0", 1)
    room.live.start(MUNI)  # the facilitator reopens the municipality phase: Bo withdraws
    room.live.withdraw(bo, Withdraw("card-7-1", 1))
    assert room.live.votes.mine(PRIO, anna.id) == {"card-7-0": 1}
    assert stored_votes(store, room) == [(PRIO, anna.id, "card-7-0", 1)]
    room.live.start(PRIO)
    assert room.live.votes.remaining(PRIO, anna.id) == 2
    refused(ErrorCode.CARD_UNAVAILABLE, room, anna, "vote-0003", "card-7-1", 1)
