"""Shared fixtures: a real SQLite workshop in a temp dir and a real room server on 127.0.0.1."""

from __future__ import annotations

import asyncio
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
# …nor its log folder (platformdirs' user_log_dir is under XDG_STATE_HOME) or caches.
os.environ["XDG_STATE_HOME"] = os.path.join(_sandbox, "state")
os.environ["XDG_CACHE_HOME"] = os.path.join(_sandbox, "cache")

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app import i18n
from app.room import Room
from app.store import Store
from room_server.server import RoomServer
from scripts.chromium import CHROMIUM
from scripts.chromium import launch as launch_chromium


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's headless Chromium via Playwright: skips locally without it, fails in CI."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run must apt-get install chromium")
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await launch_chromium(pw)
        yield b
        await b.close()


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop that counts as running while qtbot processes Qt events."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # loop.stop() would call QApplication.exit(), which makes the next tests' event
        # processing return at once; mark the loop stopped without it, then close it.
        asyncio.events._set_running_loop(None)
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def swedish() -> Iterator[None]:
    """Every test starts (and leaves) the console's language at Swedish, the default."""
    i18n.set_language("sv")
    yield
    i18n.set_language("sv")


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
