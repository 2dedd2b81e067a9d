"""Hidden means hidden from everyone but the facilitator and the author (issue 16), live and
after a reload; showing it again brings it back; an erased author's cards leave the phones.

Real websockets clients against the real server on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from app.room import Room
from tests.conftest import Client
from tests.test_room_server import enter, join_form


async def member(open_client: Any, room: Room, name: str, org: int) -> tuple[Client, str, str]:
    client = await open_client()
    await enter(client, room)
    await client.send(join_form(room, name=name, organisation_id=room.series.organisations[org].id))
    joined = await client.recv_type("joined")
    return client, joined["participant"]["id"], joined["resume_token"]


async def card_message(client: Client, card_id: str) -> dict[str, Any]:
    while True:
        message = await client.recv_type("card")
        if message["card"]["id"] == card_id:
            return message["card"]


async def reloaded_cards(open_client: Any, room: Room, resume: str) -> list[dict[str, Any]]:
    """The cards a page gets when it is reloaded (a new connection resuming)."""
    client = await open_client()
    await enter(client, room, resume_token=resume)
    await client.recv_type("joined")
    state = await client.recv_type("state")
    await client.close()
    return state["cards"]


async def test_a_hidden_card_leaves_the_groups_phones_and_comes_back_when_shown(
    room: Room, open_client: Any
) -> None:
    author, author_id, author_resume = await member(open_client, room, "Anna Author", 0)
    other, _other_id, other_resume = await member(open_client, room, "Bo Other", 1)
    live = room.live
    live.start(1)
    live.make_groups(size=2)
    [group] = [g for g in live.round(1).groups if author_id in g]  # type: ignore[union-attr]
    assert len(group) == 2  # the two of them together
    for client in (author, other):
        await client.recv_type("state")

    await author.send({"type": "reflect", "id": "card-hide-0001", "phase": 1, "text": "Oj då"})
    await author.recv_type("ack")
    await card_message(author, "card-hide-0001")  # the author's page gets it back too
    assert (await card_message(other, "card-hide-0001"))["text"] == "Oj då"

    live.moderate("card-hide-0001", hidden=True)
    gone = await card_message(other, "card-hide-0001")
    assert gone["withdrawn"] is True and gone["text"] == "" and gone["author"] == ""
    own = await card_message(author, "card-hide-0001")
    assert own["hidden"] is True and own["mine"] is True and own["text"] == "Oj då"
    # After a reload too: not on the other's phone, on the author's marked hidden.
    assert await reloaded_cards(open_client, room, other_resume) == []
    [mine] = await reloaded_cards(open_client, room, author_resume)
    assert mine["hidden"] is True and mine["text"] == "Oj då"

    live.moderate("card-hide-0001", highlighted=True)  # not a visibility change: nothing sent
    live.moderate("card-hide-0001", hidden=False)  # undone
    back = await card_message(other, "card-hide-0001")
    assert back["text"] == "Oj då" and not back["withdrawn"] and "hidden" not in back
    [shown] = await reloaded_cards(open_client, room, other_resume)
    assert shown["id"] == "card-hide-0001" and shown["author"] == "Anna Author"


async def test_an_erased_authors_cards_leave_the_groups_phones(
    room: Room, open_client: Any
) -> None:
    author, author_id, _ = await member(open_client, room, "Anna Author", 0)
    other, _, _ = await member(open_client, room, "Bo Other", 1)
    room.live.start(1)
    room.live.make_groups(size=2)
    for client in (author, other):
        await client.recv_type("state")
    await author.send({"type": "reflect", "id": "card-gone-0001", "phase": 1, "text": "Mitt"})
    await author.recv_type("ack")
    await card_message(other, "card-gone-0001")

    room.erase_participant(author_id)
    state = await other.recv_type("state")  # the group changed: a new state, without the card
    assert state["cards"] == [] and [m["name"] for m in state["group"]["members"]] == ["Bo Other"]
