"""The encoded room-wide ``state`` (pieces encoded once per group) equals the built messages."""

from __future__ import annotations

import json
from pathlib import Path

from app.model import Attendance, Participant, Role
from app.protocol import Join, Withdraw
from app.room import Room
from app.store import Store
from tests.test_live import MIXED, MUNI, SURVEY, populate, reflect


def decoded(room: Room, people: list[Participant], now: float) -> dict[str, object]:
    frames = list(room.live.frames.state_frames(people, now))
    readers = [p.id for group, _ in frames for p in group]
    assert sorted(readers) == sorted(p.id for p in people)  # each person gets one message
    return {p.id: json.loads(data.decode("utf-8")) for group, data in frames for p in group}


def built(room: Room, people: list[Participant], now: float) -> dict[str, object]:
    # Through json and back, as a page reads it (tuples become lists, and so on).
    return {p.id: json.loads(json.dumps(m)) for p, m in room.live.state_messages(people, now)}


def test_encoded_states_equal_the_built_ones_in_every_kind_of_phase(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    people = populate(room, 14, remote_every=5)
    live = room.live
    late = room.join(
        Join("Utan grupp", room.series.organisations[0].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
    ).participant  # never connected: in no group
    everyone = [*people, late]
    # Before the start and in a phase without groups.
    assert decoded(room, everyone, 100.0) == built(room, everyone, 100.0)
    live.start(0, now=100.0)
    assert decoded(room, everyone, 130.0) == built(room, everyone, 130.0)
    live.start(MIXED, now=200.0)
    # Groups not made yet: everyone sees their own cards only.
    reflect(room, people[0], "kort-tidig", "Före grupperna")
    assert decoded(room, everyone, 210.0) == built(room, everyone, 210.0)
    live.make_groups(size=4)
    for n, who in enumerate(people[:10]):
        reflect(room, who, f"kort-{n:04d}", f'Tanke {n}: "citat", åäö \\ och <b>')
    reflect(room, late, "kort-sen1", "Eget kort")
    live.moderate("kort-0003", hidden=True)  # its author sees it marked, nobody else
    live.moderate("kort-0004", highlighted=True)
    states = decoded(room, everyone, 300.0)
    assert states == built(room, everyone, 300.0)
    # Each person finds themselves by the key ``joined`` gave them: one member entry, their
    # own cards by ``author_key``; the hidden card only for its author.
    author_of_hidden = live.card("kort-0003").participant_id  # type: ignore[union-attr]
    keys = {who.id: live.frames.public_key(who.id) for who in people}
    assert len(set(keys.values())) == len(people) and not set(keys) & set(keys.values())
    for who in people:
        state = states[who.id]
        assert isinstance(state, dict)
        members = state["group"]["members"]
        assert [m["key"] == keys[who.id] for m in members].count(True) == 1
        for card in state["cards"]:
            mine = live.card(card["id"]).participant_id == who.id  # type: ignore[union-attr]
            assert (card["author_key"] == keys[who.id]) == mine
        ids = {c["id"] for c in state["cards"]}
        assert ("kort-0003" in ids) == (who.id == author_of_hidden)
    # One message per group, written once: only the hidden card's author gets their own.
    frames = list(room.live.frames.state_frames(everyone, 300.0))
    groups = room.live.round(room.live.clock.index).groups  # type: ignore[union-attr]
    assert len(frames) == len(groups) + 1 + 1  # the groups, the hider, the late one alone
    assert [p.id for p in next(g for g, d in frames if b"kort-0003" in d)] == [author_of_hidden]
    assert [c["id"] for c in states[late.id]["cards"]] == ["kort-sen1"]  # type: ignore[index]
    assert states[late.id]["group"] is None  # type: ignore[index]
    # Municipality groups, then the survey (answers differ per person).
    live.start(MUNI, now=400.0)
    live.make_groups()
    reflect(room, people[1], "kort-kommun", "I kommungruppen", phase=MUNI)
    assert decoded(room, everyone, 410.0) == built(room, everyone, 410.0)
    live.start(SURVEY, now=500.0)
    assert decoded(room, everyone, 510.0) == built(room, everyone, 510.0)


def test_a_room_vote_encodes_each_ballot_and_each_persons_dots(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    people = populate(room, 8)
    live = room.live
    live.start(MIXED, now=100.0)
    live.make_groups(size=4)
    for n, who in enumerate(people):
        reflect(room, who, f"kort-{n:04d}", f"Tanke {n}")
        live.moderate(f"kort-{n:04d}", highlighted=True)
    live.start_room_vote("Vad är viktigast?", now=200.0)
    assert decoded(room, people, 220.0) == built(room, people, 220.0)
    assert all(state["vote"] is not None for state in decoded(room, people, 220.0).values())  # type: ignore[index]


def test_a_groups_cards_come_in_the_order_written_and_reach_a_late_joiner(
    tmp_path: Path,
) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    a, b, c = populate(room, 3)
    live = room.live
    live.start(MIXED, now=100.0)
    live.make_groups(size=3)
    reflect(room, a, "kort-0001", "Först")
    reflect(room, b, "kort-0002", "Sedan")
    reflect(room, a, "kort-0003", "Sist")
    reflect(room, c, "kort-0004", "Dragen tillbaka")
    live.withdraw(c, Withdraw("kort-0004", 1))
    order = ["kort-0001", "kort-0002", "kort-0003"]
    for who in (a, b, c):
        assert [x["id"] for x in decoded(room, [who], 110.0)[who.id]["cards"]] == order  # type: ignore[index]
    late = room.join(
        Join("Sen", room.series.organisations[0].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
    ).participant
    room.attach(late.id)  # placed in the only group there is
    reflect(room, late, "kort-0005", "Den sena")
    for who in (a, late):
        ids = [x["id"] for x in decoded(room, [who], 120.0)[who.id]["cards"]]  # type: ignore[index]
        assert ids == [*order, "kort-0005"]
