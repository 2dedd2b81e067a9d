"""Picking one's own name from the imported roster, over the real room server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from app.model import Attendance, Role
from app.protocol import ErrorCode, Join, ProtocolError, parse
from app.room import Room
from app.roster import parse_roster
from app.store import Store
from app.workshop import plan_roster
from app.workshop_db import RosterEntry

from .conftest import Client

ROSTER = (
    "\ufeffID;Namn;Kommun;Roll;Närvaro\n"
    "u1;Åsa Öberg;uddevalla;Förtroendevald;På distans\n"
    "t1;Bo Ek;TANUM;tjänsteperson;på plats\n"
    "a1;Cilla <b>Ö</b>;Åmål;official;in_room\n"
)


def import_roster(room: Room) -> dict[str, RosterEntry]:
    plan = plan_roster(parse_roster(ROSTER), room.series.organisations, room.session.id)
    assert plan.ok
    assert room.import_roster(list(plan.entries)) == (3, 0)
    return {e.external_id: e for e in room.store.roster(room.session.id)}


async def enter(client: Client, room: Room) -> dict[str, Any]:
    await client.send({"type": "hello", "room_token": room.room_token})
    return await client.recv_type("welcome")


def org_id(room: Room, name: str) -> int:
    return next(o.id for o in room.series.organisations if o.name == name)


async def test_pick_own_name_then_second_claim_is_roster_taken(
    room: Room, store: Store, open_client: Any
) -> None:
    entries = import_roster(room)
    first, second = await open_client(), await open_client()
    welcome = await enter(first, room)
    await enter(second, room)
    # Unclaimed names only, sorted by name, with the organisation to show beside them.
    assert welcome["roster"] == [
        {"id": entries["t1"].id, "name": "Bo Ek", "organisation_id": org_id(room, "Tanum")},
        {"id": entries["a1"].id, "name": "Cilla <b>Ö</b>", "organisation_id": org_id(room, "Åmål")},
        {"id": entries["u1"].id, "name": "Åsa Öberg", "organisation_id": org_id(room, "Uddevalla")},
    ]

    # The form's own name, organisation and role are ignored: the roster entry counts.
    await first.send(
        {
            "type": "join",
            "roster_id": entries["u1"].id,
            "name": "Someone Else",
            "organisation_id": org_id(room, "Tanum"),
            "role": "official",
            "attendance": "in_room",
        }
    )
    joined = await first.recv_type("joined")
    me = joined["participant"]
    assert (me["name"], me["organisation"], me["role"]) == ("Åsa Öberg", "Uddevalla", "elected")
    assert me["attendance"] == "remote"  # the roster said so; the form's value is ignored
    assert store.roster_entry(entries["u1"].id).claimed_by == me["id"]  # type: ignore[union-attr]

    # Whoever is still on the join form sees the name go.
    update = await second.recv_type("roster")
    assert entries["u1"].id not in {r["id"] for r in update["roster"]}
    assert len(update["roster"]) == 2

    await second.send({"type": "join", "roster_id": entries["u1"].id})
    error = await second.recv_type("error")
    assert (error["code"], error["field"]) == ("roster_taken", "roster_id")
    assert len(store.participants(room.session.id)) == 1  # nothing stored for the refusal

    # The same connection can then pick a free name (attendance from the form if sent).
    await second.send({"type": "join", "roster_id": entries["t1"].id, "attendance": "remote"})
    other = (await second.recv_type("joined"))["participant"]
    assert (other["name"], other["attendance"]) == ("Bo Ek", "in_room")

    late = await open_client()
    assert [r["id"] for r in (await enter(late, room))["roster"]] == [entries["a1"].id]


async def test_two_phones_claiming_the_same_name_at_once(room: Room, open_client: Any) -> None:
    entries = import_roster(room)
    phones = [await open_client() for _ in range(4)]
    for phone in phones:
        await enter(phone, room)
    await asyncio.gather(*(p.send({"type": "join", "roster_id": entries["a1"].id}) for p in phones))
    outcomes = []
    for phone in phones:
        while True:
            message = await phone.recv()
            if message["type"] in ("joined", "error"):
                outcomes.append(message.get("code", "joined"))
                break
    assert sorted(outcomes) == ["joined", "roster_taken", "roster_taken", "roster_taken"]
    assert [p.name for p in room.participants()] == ["Cilla <b>Ö</b>"]


async def test_a_roster_join_sent_again_with_its_key_is_joined_not_roster_taken(
    room: Room, store: Store, open_client: Any
) -> None:
    entries = import_roster(room)
    pick = {"type": "join", "roster_id": entries["u1"].id, "join_key": "u" * 32}
    lost = await open_client()
    await enter(lost, room)
    await lost.send(pick)
    first = (await lost.recv_type("joined"))["participant"]
    lost.ws.transport.abort()  # as if that `joined` had never arrived
    # The name is claimed now, by this very person: the repeat with the key gets them back.
    page = await open_client()
    welcome = await enter(page, room)
    assert entries["u1"].id not in {r["id"] for r in welcome["roster"]}
    await page.send(pick)
    again = await page.recv_type("joined")
    assert again["resumed"] is True and again["participant"] == first
    # Anyone else picking the name (another key, or none) is still refused.
    other = await open_client()
    await enter(other, room)
    await other.send({**pick, "join_key": "v" * 32})
    assert (await other.recv_type("error"))["code"] == "roster_taken"
    await other.send({"type": "join", "roster_id": entries["u1"].id})
    assert (await other.recv_type("error"))["code"] == "roster_taken"
    assert [p.id for p in store.participants(room.session.id)] == [first["id"]]
    claimed = store.roster_entry(entries["u1"].id)
    assert claimed is not None and claimed.claimed_by == first["id"]


async def test_unknown_or_other_sessions_roster_id_is_roster_taken(
    room: Room, store: Store, open_client: Any
) -> None:
    import_roster(room)
    other_session = room.series.sessions[1]
    store.replace_roster(
        other_session.id,
        [
            RosterEntry(
                0,
                other_session.id,
                "x",
                "Annan Träff",
                room.series.organisations[0].id,
                Role.ELECTED,
                Attendance.IN_ROOM,
            )
        ],
    )
    foreign = store.roster(other_session.id)[0].id
    client = await open_client()
    await enter(client, room)
    for roster_id in (foreign, 999_999):
        await client.send({"type": "join", "roster_id": roster_id})
        assert (await client.recv_type("error"))["code"] == "roster_taken"


def test_entry_without_attendance_takes_the_forms(room: Room, store: Store) -> None:
    org = room.series.organisations[2]
    store.replace_roster(
        room.session.id,
        [RosterEntry(0, room.session.id, "n1", "Nils", org.id, Role.ELECTED, None)],
    )
    entry = store.roster(room.session.id)[0]
    result = room.join(Join("", 0, Role.OFFICIAL, Attendance.REMOTE, "IT-chef", entry.id))
    p = result.participant
    assert (p.name, p.organisation_id, p.role, p.attendance, p.function) == (
        "Nils",
        org.id,
        Role.ELECTED,
        Attendance.REMOTE,
        "IT-chef",
    )
    with pytest.raises(ProtocolError) as caught:
        room.join(Join("", 0, Role.OFFICIAL, Attendance.REMOTE, "", entry.id))
    assert caught.value.code == ErrorCode.ROSTER_TAKEN


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        ({"roster_id": "7"}, "roster_id"),
        ({"roster_id": 0}, "roster_id"),
        ({"roster_id": True}, "roster_id"),
        ({"roster_id": 2**40}, "roster_id"),
        ({"roster_id": 3, "attendance": "moon"}, "attendance"),
        ({"roster_id": 3, "function": "x" * 400}, "function"),
    ],
)
def test_roster_join_validation(frame: dict[str, Any], field: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(json.dumps({"type": "join", **frame}))
    assert (caught.value.code, caught.value.field) == (ErrorCode.BAD_FIELD, field)


def test_roster_join_needs_no_name_and_ignores_a_bad_one() -> None:
    message = parse(json.dumps({"type": "join", "roster_id": 5, "name": 42}))
    assert isinstance(message, Join)
    assert (message.roster_id, message.attendance) == (5, Attendance.IN_ROOM)
