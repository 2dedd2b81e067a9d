"""Online sessions through a real relay on loopback: sshd + Caddy + the tunnel (issue 15).

The path participants at home take: wss://workshop.test:PORT (Caddy, TLS with its internal
CA) → 127.0.0.1:relay_port on the 'relay' (sshd's reverse-forwarded port) → the SSH link →
the laptop's room server. Clients connect to Caddy from their own loopback addresses
(127.0.1.x) so each remote participant has an address of their own, as on the internet.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.room import Room
from app.store import Store
from room_server import server as server_module
from room_server.server import RoomServer
from room_server.tunnel import (
    Tunnel,
    TunnelProblem,
    TunnelSettings,
    TunnelState,
    TunnelStatus,
    pinned_keys,
)

from .conftest import Client
from .relay import HOST, Relay, need_relay_tools
from .test_hardening import join_form

MIXED = 1


@pytest.fixture
def relay(tmp_path: Path) -> Any:
    need_relay_tools()
    r = Relay(tmp_path / "relay")
    r.prepare()
    r.start_sshd()
    r.start_caddy()
    yield r
    r.stop()


@pytest.fixture
async def online(
    room: Room, relay: Relay, tmp_path: Path
) -> AsyncIterator[tuple[RoomServer, Tunnel, list[TunnelStatus]]]:
    srv = RoomServer(room, "127.0.0.1", 0)
    await srv.start()
    srv.set_public_url(relay.public_url)
    seen: list[TunnelStatus] = []
    tunnel = Tunnel(
        settings_for(relay, tmp_path),
        srv.port,
        on_status=seen.append,
        backoff=(0.2, 0.5, 1.0),
    )
    tunnel.start()
    await wait_for(lambda: tunnel.status.state == TunnelState.UP, relay)
    yield srv, tunnel, seen
    await tunnel.stop()
    await srv.stop()


def settings_for(relay: Relay, tmp_path: Path) -> TunnelSettings:
    return TunnelSettings(
        relay_host="127.0.0.1",
        public_url=relay.public_url,
        key_file=relay.key_file,
        known_hosts=tmp_path / "config" / "known_hosts",
        user=relay.user,
        ssh_port=relay.ssh_port,
        relay_port=relay.relay_port,
    )


async def wait_for(condition: Callable[[], bool], relay: Relay, seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.02)
    assert condition(), relay.log()


async def remote(relay: Relay, index: int, **extra: Any) -> Client:
    """A participant at home: wss to the relay's public name, from an address of their own."""
    ws = await connect(
        f"wss://{HOST}:{relay.https_port}/ws",
        proxy=None,
        ssl=relay.ssl_context(),
        host="127.0.0.1",
        port=relay.https_port,
        local_addr=(f"127.0.{1 + index // 250}.{1 + index % 250}", 0),
        origin=relay.public_url,  # type: ignore[arg-type]
        open_timeout=30,
        **extra,
    )
    return Client(ws)


async def join(client: Client, room: Room, name: str) -> dict[str, Any]:
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome", timeout=20)
    await client.send(join_form(room, name, attendance="remote"))
    return await client.recv_type("joined", timeout=20)


async def test_a_participant_joins_over_wss_through_the_tunnel(
    online: tuple[RoomServer, Tunnel, list[TunnelStatus]], relay: Relay, room: Room, store: Store
) -> None:
    server, tunnel, seen = online
    # First contact pinned the relay's key and reported its fingerprint.
    assert seen[0].state == TunnelState.CONNECTING
    up = next(s for s in seen if s.state == TunnelState.UP)
    assert up.pinned_now and up.fingerprint and up.fingerprint.startswith("SHA256:")
    host_key = asyncssh.read_public_key(str(relay.root / "host_key.pub"))
    assert up.fingerprint == host_key.get_fingerprint()
    assert [
        k.get_fingerprint()
        for k in pinned_keys(tunnel.settings.known_hosts, "127.0.0.1", relay.ssh_port)
    ] == [up.fingerprint]
    client = await remote(relay, 0)
    joined = await join(client, room, "Hemma Hansson")
    assert joined["participant"]["name"] == "Hemma Hansson"
    assert [p.name for p in store.participants(room.session.id)] == ["Hemma Hansson"]
    # The server counts the participant's own address (Caddy's X-Forwarded-For, believed
    # from the tunnel's end), not the tunnel's 127.0.0.1.
    assert {c.address for c in server._clients} == {"127.0.1.1"}
    await client.close()
