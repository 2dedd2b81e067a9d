"""Behind a proxy or tunnel: limits per real participant, forged headers ignored, CSP (issue 15).

The real server on 127.0.0.1; other loopback addresses (127.0.0.2…, Linux routes all of 127/8
here) stand in for an untrusted device and for a proxy on another machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus

from app.room import Room
from app.store import Store
from room_server import server as server_module
from room_server.server import RoomServer, real_address, trusted_networks

from .conftest import Client
from .test_hardening import get, join_form, raw_http

TRUSTED = trusted_networks(["127.0.0.1", "::1", "10.0.0.0/8"])


def headers(*pairs: tuple[str, str]) -> Headers:
    h = Headers()
    for key, value in pairs:
        h[key] = value
    return h


# -- the helper ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "pairs", "expected"),
    [
        # A trusted proxy names the client.
        ("127.0.0.1", [("X-Forwarded-For", "198.51.100.7")], "198.51.100.7"),
        # The client wrote its own entry first; the proxy appended the real one: take that.
        ("127.0.0.1", [("X-Forwarded-For", "1.1.1.1, 198.51.100.7")], "198.51.100.7"),
        # Two trusted proxies in a row (10.0.0.5 in front of the tunnel's end).
        ("127.0.0.1", [("X-Forwarded-For", "203.0.113.9, 10.0.0.5")], "203.0.113.9"),
        # The header split over two lines counts as one list.
        (
            "127.0.0.1",
            [("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "203.0.113.9")],
            "203.0.113.9",
        ),
        # An untrusted peer's header is ignored, whatever it says.
        ("192.0.2.50", [("X-Forwarded-For", "198.51.100.7")], "192.0.2.50"),
        ("127.0.0.2", [("X-Forwarded-For", "198.51.100.7")], "127.0.0.2"),
        # No header from a trusted peer: the peer itself (the console's own rehearsal bots).
        ("127.0.0.1", [], "127.0.0.1"),
        # Garbage in the header: stop at the last proxy rather than believe it.
        ("127.0.0.1", [("X-Forwarded-For", "unknown")], "127.0.0.1"),
        ("127.0.0.1", [("X-Forwarded-For", "1.1.1.1, ../../etc")], "127.0.0.1"),
        # IPv6 and a mapped IPv4 peer.
        ("::ffff:127.0.0.1", [("X-Forwarded-For", "2001:db8::1")], "2001:db8::1"),
    ],
)
def test_real_address_from_x_forwarded_for(
    peer: str, pairs: list[tuple[str, str]], expected: str
) -> None:
    assert real_address(peer, headers(*pairs), TRUSTED) == expected


def test_real_address_from_forwarded() -> None:
    h = headers(("Forwarded", 'for=1.1.1.1, for="[2001:db8::7]:443";proto=https'))
    assert real_address("127.0.0.1", h, TRUSTED, "forwarded") == "2001:db8::7"
    h = headers(("Forwarded", "for=198.51.100.7;proto=https;by=10.0.0.5"))
    assert real_address("127.0.0.1", h, TRUSTED, "forwarded") == "198.51.100.7"
    # With Forwarded configured, an X-Forwarded-For the proxy passed through is not read.
    h = headers(("X-Forwarded-For", "6.6.6.6"), ("Forwarded", "for=198.51.100.7"))
    assert real_address("127.0.0.1", h, TRUSTED, "forwarded") == "198.51.100.7"
    assert real_address("192.0.2.1", h, TRUSTED, "forwarded") == "192.0.2.1"


def test_bad_trusted_proxy_or_header_is_refused(room: Room) -> None:
    with pytest.raises(ValueError):
        RoomServer(room, "127.0.0.1", 0, trusted_proxies=["not an address"])
    with pytest.raises(ValueError):
        RoomServer(room, "127.0.0.1", 0, forwarded_header="X-Real-IP")
    srv = RoomServer(room, "127.0.0.1", 0, trusted_proxies=["10.1.0.0/16"])
    assert ipaddress.ip_network("10.1.0.0/16") in srv.trusted_proxies


# -- against the real server -----------------------------------------------------------------


@pytest.fixture
async def proxied(room: Room) -> AsyncIterator[RoomServer]:
    """A server with 127.0.0.4 as a trusted proxy on 'another machine'."""
    srv = RoomServer(room, "127.0.0.1", 0, trusted_proxies=["127.0.0.4"])
    await srv.start()
    yield srv
    await srv.stop()


async def via(server: RoomServer, client_ip: str | None, local: str = "127.0.0.1") -> Client:
    extra: dict[str, Any] = {"local_addr": (local, 0)}
    if client_ip is not None:
        extra["additional_headers"] = {"X-Forwarded-For": client_ip}
    ws = await connect(
        f"ws://127.0.0.1:{server.port}/ws",
        proxy=None,
        origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
        **extra,
    )
    return Client(ws)


async def test_wrong_codes_from_one_remote_participant_do_not_lock_out_another(
    proxied: RoomServer, room: Room, store: Store
) -> None:
    # Both come through the tunnel's end (127.0.0.1), each named by the relay's proxy.
    for attempt in range(server_module.ENTRY_ATTEMPTS_PER_MINUTE + 1):
        typo = await via(proxied, "198.51.100.7")
        await typo.send({"type": "hello", "room_code": f"ZZZ-{attempt:03d}"})
        code = (await typo.recv())["code"]
        limited = attempt >= server_module.ENTRY_ATTEMPTS_PER_MINUTE
        assert code == ("rate_limited" if limited else "bad_code")
        await typo.close()
    other = await via(proxied, "203.0.113.9")
    await other.send({"type": "hello", "room_token": room.room_token})
    await other.recv_type("welcome")
    await other.send(join_form(room, "Greta"))
    assert (await other.recv_type("joined"))["participant"]["name"] == "Greta"
    # The typist is still held back, right token or not.
    again = await via(proxied, "198.51.100.7")
    await again.send({"type": "hello", "room_token": room.room_token})
    assert (await again.recv())["code"] == "rate_limited"
    await again.close()
    await other.close()
    # Through a proxy on another machine (127.0.0.4, trusted) too.
    far = await via(proxied, "203.0.113.10", local="127.0.0.4")
    await far.send({"type": "hello", "room_token": room.room_token})
    await far.recv_type("welcome")
    await far.close()


async def test_a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    proxied: RoomServer, room: Room
) -> None:
    proxied.max_per_address = 3
    # A device on the room's network (127.0.0.2, not a proxy) claims to be many people.
    mine = [await via(proxied, f"198.51.100.{i}", local="127.0.0.2") for i in range(3)]
    with pytest.raises(InvalidStatus) as capped:
        await via(proxied, "198.51.100.99", local="127.0.0.2")
    assert capped.value.response.status_code == 503
    # Its wrong codes count against its own address, not the ones it names.
    for attempt in range(server_module.ENTRY_ATTEMPTS_PER_MINUTE):
        await mine[0].send({"type": "hello", "room_code": f"ZZZ-{attempt:03d}"})
        assert (await mine[0].recv())["code"] == "bad_code"
    await mine[1].send({"type": "hello", "room_token": room.room_token})
    assert (await mine[1].recv())["code"] == "rate_limited"
    # The address it tried to frame is untouched, through the trusted proxy.
    framed = await via(proxied, "198.51.100.0")
    await framed.send({"type": "hello", "room_token": room.room_token})
    await framed.recv_type("welcome")
    for client in [*mine, framed]:
        await client.close()


async def test_the_connection_cap_counts_each_remote_participant(
    proxied: RoomServer, room: Room
) -> None:
    proxied.max_per_address = 2
    # 70 remote participants through the tunnel's end: more than the cap, one address each.
    clients = [await via(proxied, f"198.51.100.{i}") for i in range(70)]
    # One of them with a third tab is capped at their own address.
    extra = [await via(proxied, "198.51.100.5") for _ in range(1)]
    with pytest.raises(InvalidStatus) as capped:
        await via(proxied, "198.51.100.5")
    assert capped.value.response.status_code == 503
    for client in [*clients, *extra]:
        await client.send({"type": "ping"})
        assert await client.recv() == {"type": "pong"}
    # The console's device count sees 70 devices that are not this machine.
    total, others = proxied.device_counts()
    assert others == 70
    for client in [*clients, *extra]:
        await client.close()


# -- the content security policy --------------------------------------------------------------


def directives(csp: str) -> dict[str, list[str]]:
    return {d.strip().split(" ")[0]: d.strip().split(" ")[1:] for d in csp.split(";")}


async def test_csp_names_wss_for_the_public_address_and_ignores_a_rewritten_host(
    server: RoomServer,
) -> None:
    server.set_public_url("https://workshop.test:8443")
    # A proxy that rewrites Host to this machine's address; and a forged Host.
    for host in (f"127.0.0.1:{server.port}", "evil.example"):
        request = (
            b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n"
        )
        status, got, _ = await raw_http(server.port, request)
        assert status == 200
        connect_src = directives(got["content-security-policy"])["connect-src"]
        assert "wss://workshop.test:8443" in connect_src
        assert f"ws://127.0.0.1:{server.port}" in connect_src
        assert not any("evil" in s for s in connect_src)
        assert "ws://workshop.test:8443" not in connect_src
        # Exactly the served origins: one socket source per origin, nothing else.
        assert len(connect_src) == len(server._origins) + 1
    server.set_public_url(None)
    status, got, _ = await raw_http(server.port, get(server.port, b"/"))
    assert "wss://workshop.test:8443" not in got["content-security-policy"]
