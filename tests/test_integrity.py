"""Integrity across sessions, instances and hostile peers (issue 13).

Each test drives the public surface (the WebSocket protocol, HTTP, the ``tankesmedja``
command) and checks what must not change on disk, in the log and on other pages.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from app.room import Room
from app.store import Store
from room_server.server import RoomServer

from .conftest import Client
from .test_hardening import raw_http

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


# -- 5. a malformed handshake gets a 4xx and at most one log line ------------------------------


def _handshake(port: int, extra: bytes, host: bytes | None = None) -> bytes:
    host = host if host is not None else b"Host: 127.0.0.1:%d\r\n" % port
    return (
        b"GET /ws HTTP/1.1\r\n" + host + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extra
        + b"\r\n"
    )


@pytest.mark.parametrize(
    "extra, host",
    [
        (b"Origin: {o}\r\nOrigin: {o}\r\n", None),
        (b"Origin: {o}\r\nOrigin: http://evil.example\r\n", None),
        (b"Origin: {o}\r\n", b"Host: 127.0.0.1\r\nHost: evil.example\r\n"),
        (b"Origin: {o}\r\nSec-WebSocket-Key: eHh4eHh4eHh4eHh4eHh4eA==\r\n", None),
        (b"Origin: {o}\r\nSec-WebSocket-Version: 13\r\n", None),
        (b"Origin: {o}\r\nUpgrade: websocket\r\n", None),
    ],
    ids=[
        "two-origins",
        "origin-and-foreign",
        "two-hosts",
        "two-keys",
        "two-versions",
        "two-upgrades",
    ],
)
async def test_repeated_handshake_headers_get_a_4xx_and_no_traceback(
    server: RoomServer,
    room: Room,
    caplog: pytest.LogCaptureFixture,
    extra: bytes,
    host: bytes | None,
) -> None:
    caplog.set_level(logging.INFO)
    origin = server.origin.encode()
    request = _handshake(server.port, extra.replace(b"{o}", origin), host)
    status, _, _ = await raw_http(server.port, request)
    assert 400 <= status < 500, status
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1
    # The room still works afterwards.
    client = await _joined(server, room, "Efter")
    await client.close()


async def test_repeated_host_header_on_the_page_gets_a_4xx(
    server: RoomServer, caplog: pytest.LogCaptureFixture
) -> None:
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    status, _, _ = await raw_http(server.port, request)
    assert 400 <= status < 500, status
    assert not [r for r in caplog.records if r.exc_info]
