"""Shared fixtures: a real SQLite workshop in a temp dir and a real room server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

# Qt widgets are tested offscreen; set before any test module imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests (and the console processes they start) must never read or write the user's real
# settings (QSettings) or data folder.
_sandbox = tempfile.mkdtemp(prefix="tankesmedja-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_sandbox, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_sandbox, "data")

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.room import Room
from app.store import Store
from room_server.server import RoomServer


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "workshop.sqlite3")
    yield s
    s.close()


@pytest.fixture
def room(store: Store) -> Room:
    return Room(store)


@pytest.fixture
async def server(room: Room) -> AsyncIterator[RoomServer]:
    srv = RoomServer(room, "127.0.0.1", 0)
    await srv.start()
    yield srv
    await srv.stop()


class Client:
    """A participant's device: a real websockets client speaking the JSON protocol."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        import asyncio

        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def recv_type(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """Receive until a message of ``kind`` arrives (skipping presence updates)."""
        while True:
            message = await self.recv(timeout)
            if message["type"] == kind:
                return message
            if message["type"] == "error" and kind != "error":
                raise AssertionError(f"expected {kind}, got error {message}")

    async def close(self) -> None:
        await self.ws.close()


@pytest.fixture
def ws_url(server: RoomServer) -> str:
    return f"ws://127.0.0.1:{server.port}/ws"


@pytest.fixture
async def open_client(ws_url: str) -> AsyncIterator[Any]:
    clients: list[Client] = []

    async def _open() -> Client:
        origin = ws_url.replace("ws://", "http://").removesuffix("/ws")
        client = Client(await connect(ws_url, proxy=None, origin=origin))  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield _open
    for client in clients:
        await client.close()
