"""Integrity across sessions, instances and hostile peers (issue 13).

Each test drives the public surface (the WebSocket protocol, HTTP, the ``tankesmedja``
command) and checks what must not change on disk, in the log and on other pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from app.room import Room
from app.store import Store
from room_server.server import RoomServer

from .conftest import Client

MIXED = 1  # the sample program's mixed-group phase


async def _joined(server: RoomServer, room: Room, name: str) -> Client:
    client = Client(
        await connect(
            f"ws://127.0.0.1:{server.port}/ws",
            proxy=None,
            origin=server.origin,  # type: ignore[arg-type]
        )
    )
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(
        {
            "type": "join",
            "name": name,
            "organisation_id": room.series.organisations[1].id,
            "role": "official",
            "attendance": "in_room",
        }
    )
    await client.recv_type("joined")
    return client


async def _answer(client: Client) -> dict[str, Any]:
    while True:
        message = await client.recv()
        if message["type"] in ("ack", "error"):
            return message


async def _serve(room: Room) -> RoomServer:
    server = RoomServer(room, "127.0.0.1", 0)
    await server.start()
    return server


# -- 1. a card belongs to its author and its session ------------------------------------------


async def test_a_card_of_an_earlier_session_cannot_be_rewritten_or_withdrawn(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "w.sqlite3")
    try:
        first = Room(store, 1)
        first.live.start(MIXED)
        server = await _serve(first)
        anna = await _joined(server, first, "Anna")
        await anna.send(
            {
                "type": "reflect",
                "id": "card-anna-1",
                "phase": MIXED,
                "text": "Annas ord",
                "revision": 1,
            }
        )
        assert (await _answer(anna))["type"] == "ack"
        await anna.close()
        await server.stop()

        second = Room(store, 2)
        second.live.start(MIXED)
        server = await _serve(second)
        try:
            mallory = await _joined(server, second, "Mallory")
            await mallory.send(
                {
                    "type": "reflect",
                    "id": "card-anna-1",
                    "phase": MIXED,
                    "text": "ersatt",
                    "revision": 9,
                }
            )
            answer = await _answer(mallory)
            assert answer["type"] == "error" and answer["code"] == "not_yours", answer
            await mallory.send({"type": "withdraw", "id": "card-anna-1", "revision": 10})
            answer = await _answer(mallory)
            assert answer["type"] == "error" and answer["code"] == "not_yours", answer
            await mallory.close()
        finally:
            await server.stop()
        card = store.reflection("card-anna-1")
        assert card is not None
        assert (card.text, card.revision, card.withdrawn) == ("Annas ord", 1, False)
        assert card.session_id == first.session.id
        assert [r.id for r in store.reflections(second.session.id)] == []
    finally:
        store.close()
