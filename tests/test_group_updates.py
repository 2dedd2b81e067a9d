"""Group edits reach only the pages they change: a late joiner does not re-send the whole room."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from app.live import GroupsChanged
from app.room import Room
from app.store import Store
from room_server import server as server_module
from room_server.server import RoomServer

from .conftest import Client
from .test_hardening import answer_to, join_form, joined_client, open_ws
from .ui_helpers import join

MIXED = 1


def test_edits_name_exactly_the_people_whose_group_changed(room: Room) -> None:
    events: list[GroupsChanged] = []
    room.live._emit = _tee(room.live._emit, events)  # type: ignore[method-assign]
    for n in range(18):
        join(room, f"Person {n}", n)
    live = room.live
    live.start(MIXED)
    first = live.make_groups(size=6)
    assert events[-1].affected is None  # new groups: every page

    mover = first.groups[0][0]
    live.move(mover, 1)
    assert events[-1].affected == frozenset(first.groups[0]) | frozenset(first.groups[1])

    live.set_locked(2, True)
    assert events[-1].affected == frozenset()  # pages do not show locks

    live.set_link(2, "https://meet.example/rum-3")
    assert events[-1].affected == frozenset(live.round().groups[2])  # type: ignore[union-attr]

    late = join(room, "Sen Ankomst", 3)  # connected: placed without moving anyone
    rnd = live.round()
    assert rnd is not None
    group = rnd.group_of(late)
    assert group is not None and group != 2  # a locked group is left alone
    assert events[-1].affected == frozenset(rnd.groups[group])

    live.undo()  # takes the link away again: that group's pages only
    after = live.round()
    assert after is not None and after.link(2) == ""
    assert after.group_of(late) == group  # undo does not drop the late joiner from the groups
    assert events[-1].affected == frozenset(after.groups[2])


def _tee(emit: Any, sink: list[GroupsChanged]) -> Any:
    def both(event: Any) -> None:
        if isinstance(event, GroupsChanged):
            sink.append(event)
        emit(event)

    return both


async def drain_until_pong(client: Client) -> list[str]:
    """Every message type a page receives before the answer to a ping sent now."""
    await client.send({"type": "ping"})
    seen = []
    while (message := await client.recv())["type"] != "pong":
        seen.append(message["type"])
    return seen


async def test_a_late_joiner_updates_only_their_new_group(server: RoomServer, room: Room) -> None:
    clients = [await joined_client(server, room, f"Person {n}") for n in range(12)]
    room.live.start(MIXED)
    rnd = room.live.make_groups(size=4)
    for client in clients:
        await client.recv_type("state")  # the phase
        await client.recv_type("state")  # the groups
        await drain_until_pong(client)

    late = await joined_client(server, room, "Sen Ankomst")
    late_state = await late.recv_type("state")
    members = {m["name"] for m in late_state["group"]["members"]}
    assert "Sen Ankomst" in members and len(members) >= 2
    placed = room.live.round()
    assert placed is not None and placed.groups != rnd.groups
    number = placed.group_of(late.joined["participant"]["id"])  # type: ignore[attr-defined]
    mates = set(placed.groups[number])  # type: ignore[index]
    updated = 0
    for client in clients:
        pid = client.joined["participant"]["id"]  # type: ignore[attr-defined]
        seen = await drain_until_pong(client)
        if pid in mates:
            assert "state" in seen  # the group they see now has the newcomer in it
            updated += 1
        else:
            assert "state" not in seen
    assert updated == len(mates) - 1
    for client in [*clients, late]:
        await client.close()


async def test_a_late_joiner_gets_one_state_after_joined_with_their_group_and_its_cards(
    server: RoomServer, room: Room
) -> None:
    clients = [await joined_client(server, room, f"Person {n}") for n in range(8)]
    room.live.start(MIXED)
    room.live.make_groups(size=4)
    for n, client in enumerate(clients):  # every card written (acked) before the late joiner
        card = {"type": "reflect", "id": f"kort-{n:04d}", "phase": MIXED, "text": f"Tanke {n}"}
        await client.send(card)
        assert (await answer_to(client))["type"] == "ack"
    room.live.moderate("kort-0000", hidden=True)  # nobody but its author sees it

    late = await open_ws(server)
    await late.send({"type": "hello", "room_token": room.room_token})
    await late.send(join_form(room, "Sen Ankomst"))
    await late.send({"type": "ping"})
    received = []
    while (message := await late.recv())["type"] != "pong":
        received.append(message)
    kinds = [m["type"] for m in received if m["type"] not in ("presence", "roster")]
    assert kinds == ["welcome", "joined", "state"]  # one state, and after joined
    (state,) = [m for m in received if m["type"] == "state"]
    pid = received[kinds.index("joined")]["participant"]["id"]
    placed = room.live.round()
    assert placed is not None
    number = placed.group_of(pid)
    assert number is not None
    names = {p.id: p.name for p in room.participants()}
    assert sorted(m["name"] for m in state["group"]["members"]) == sorted(
        names[m] for m in placed.groups[number]
    )
    authors = {c.id: c.participant_id for c in room.live.cards()}
    mates = set(placed.groups[number]) - {pid}
    expected = sorted(
        card_id for card_id, who in authors.items() if who in mates and card_id != "kort-0000"
    )
    assert expected and sorted(c["id"] for c in state["cards"]) == expected
    for client in [*clients, late]:
        await client.close()


def test_a_late_joiner_is_stored_with_one_row_and_survives_a_restart(room: Room) -> None:
    for n in range(12):
        join(room, f"Person {n}", n % 8)  # eight of the eleven organisations
    live = room.live
    live.start(MIXED)
    live.make_groups(size=4)
    live.set_locked(0, True)
    live.set_link(1, "https://meet.example/rum-2")
    late = [join(room, f"Sen {n}", n) for n in range(3)]
    rnd = live.round()
    assert rnd is not None and all(rnd.group_of(pid) not in (None, 0) for pid in late)
    # The municipality phase: someone from an organisation nobody else is from is never left
    # alone in a group of their own (issue 15): they join the group of those who came alone.
    live.start(MIXED + 1)
    municipal = live.make_groups()
    before = len(municipal.groups)
    newcomer = join(room, "Ensam Kommun", len(room.series.organisations) - 1)
    after = live.round()
    assert after is not None and len(after.groups) == before
    joined = after.group_of(newcomer)
    assert joined is not None and len(after.groups[joined]) >= 2
    orgs = {p.id: p.organisation_id for p in room.participants()}
    assert len({orgs[pid] for pid in after.groups[joined]}) > 1
    again = Room(Store(room.store.path))
    try:
        for phase in (MIXED, MIXED + 1):
            kept, live_round = again.live.round(phase), live.round(phase)
            assert kept is not None and live_round is not None
            assert (kept.groups, kept.late, kept.locked) == (
                live_round.groups,
                live_round.late,
                live_round.locked,
            )
            numbers = range(len(kept.groups))
            assert [kept.link(g) for g in numbers] == [live_round.link(g) for g in numbers]
    finally:
        again.store.close()


class _Cycle:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


async def test_a_big_rooms_heap_is_settled_after_a_phase_and_nothing_stays_frozen(
    server: RoomServer, room: Room, monkeypatch: Any
) -> None:
    monkeypatch.setattr(server_module, "SETTLE_HEAP_MIN", 2)
    first = await joined_client(server, room, "Person 1")
    room.live.start(0)
    await drain_until_pong(first)
    assert gc.get_freeze_count() == 0  # one person online: not a big room
    second = await joined_client(server, room, "Person 2")
    cycle = _Cycle()
    gone = weakref.ref(cycle)
    room.live.start(MIXED)
    await drain_until_pong(first)
    assert gc.get_freeze_count() > 0  # settled: what lives on is frozen
    del cycle  # garbage now, but frozen: no collection frees it until the next settling
    gc.collect()
    assert gone() is not None
    room.live.make_groups(size=2)
    await drain_until_pong(first)
    assert gone() is None  # the next settling collected it: a freeze leaks nothing
    await server.stop()
    assert gc.get_freeze_count() == 0  # the heap is the collector's again
    for client in (first, second):
        await client.close()
