"""Each limit and check of the room server against hostile or broken clients (issue 6).

Everything runs against the real server on 127.0.0.1 with real sockets; what the server must
not do (store, read a file, log a secret) is checked on the store, on the file system calls
and on the log records themselves.
"""

from __future__ import annotations

import asyncio
import builtins
import io
import json
import logging
import os
import pathlib
import time
import unicodedata
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.protocol import JOINERS, MAX_MARKS, MAX_NAME, MAX_TEXT, clean_text
from app.room import Room
from app.store import DB_NAME, Store
from room_server import server as server_module
from room_server.ratelimit import RateLimiter
from room_server.server import RoomServer

from .conftest import Client

MIXED = 1  # the sample program's mixed-group phase


def origin_of(server: RoomServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def ws_of(server: RoomServer) -> str:
    return f"ws://127.0.0.1:{server.port}/ws"


async def open_ws(server: RoomServer, **kwargs: Any) -> Client:
    kwargs.setdefault("origin", origin_of(server))
    return Client(await connect(ws_of(server), proxy=None, **kwargs))


def join_form(room: Room, name: str = "Anna Andersson", **overrides: Any) -> dict[str, Any]:
    form = {
        "type": "join",
        "name": name,
        "organisation_id": room.series.organisations[7].id,
        "role": "official",
        "attendance": "in_room",
    }
    form.update(overrides)
    return form


async def joined_client(server: RoomServer, room: Room, name: str = "Anna") -> Client:
    client = await open_ws(server)
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(join_form(room, name))
    client.joined = await client.recv_type("joined")  # type: ignore[attr-defined]
    return client


async def answer_to(client: Client) -> dict[str, Any]:
    """Receive until the ack or error that answers an outbox item (skip broadcasts)."""
    while True:
        message = await client.recv()
        if message["type"] in ("ack", "error"):
            return message


async def closed_within(client: Client, seconds: float) -> int | None:
    """Read until the server closes the connection; return the close code."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await client.ws.recv()
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    raise AssertionError("unreachable")  # pragma: no cover


async def raw_http(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes as an HTTP request; return (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0] else 0
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


def get(port: int, target: bytes, method: bytes = b"GET", extra: bytes = b"") -> bytes:
    return method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port + extra + b"\r\n"


# -- WebSocket limits -----------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:1", None])
async def test_foreign_or_missing_origin_gets_403_and_nothing_is_stored(
    server: RoomServer, room: Room, store: Store, origin: str | None
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        # origin=None: websockets then sends no Origin header at all, like a script.
        await connect(ws_of(server), proxy=None, origin=origin)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    assert server.connection_count == 0
    assert store.participants(room.session.id) == []


async def test_one_address_cannot_fill_the_room(server: RoomServer, room: Room) -> None:
    server.max_per_address = 3
    # Other loopback addresses stand in for devices on the room's network (Linux routes all
    # of 127/8 to this machine); 127.0.0.1 itself is the tunnel's address and is not capped.
    mine = [await open_ws(server, local_addr=("127.0.0.2", 0)) for _ in range(3)]
    with pytest.raises(InvalidStatus) as capped:
        await open_ws(server, local_addr=("127.0.0.2", 0))
    assert capped.value.response.status_code == 503
    assert b"Too many connections" in capped.value.response.body
    other = await open_ws(server, local_addr=("127.0.0.3", 0))  # another device gets in
    tunnel = [await open_ws(server) for _ in range(5)]
    for client in [*mine, other, *tunnel]:
        await client.send({"type": "ping"})
        assert await client.recv() == {"type": "pong"}
    await mine[0].close()
    for _ in range(100):
        if server.connection_count < 9:
            break
        await asyncio.sleep(0.01)
    again = await open_ws(server, local_addr=("127.0.0.2", 0))  # its place came free
    await again.send({"type": "ping"})
    assert await again.recv() == {"type": "pong"}
    for client in [*mine[1:], other, *tunnel, again]:
        await client.close()


async def test_connection_cap_answers_503_and_frees_up(server: RoomServer, room: Room) -> None:
    server.max_connections = 2
    first, second = await open_ws(server), await open_ws(server)
    with pytest.raises(InvalidStatus) as full:
        await open_ws(server)
    assert full.value.response.status_code == 503
    await first.send({"type": "ping"})  # the admitted ones are unaffected
    assert await first.recv() == {"type": "pong"}
    await second.close()
    for _ in range(100):
        if server.connection_count < 2:
            break
        await asyncio.sleep(0.01)
    third = await open_ws(server)  # a place came free
    await third.send({"type": "ping"})
    assert await third.recv() == {"type": "pong"}


async def test_a_client_that_never_finishes_the_handshake_is_dropped(room: Room) -> None:
    srv = RoomServer(room, "127.0.0.1", 0)
    srv.open_timeout = 0.3
    await srv.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
        started = time.monotonic()
        data = await asyncio.wait_for(reader.read(), 5)  # EOF: the server closed it
        elapsed = time.monotonic() - started
        writer.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 ")
        assert 0.2 < elapsed < 2.0, elapsed
    finally:
        await srv.stop()


async def test_a_silent_client_is_closed_and_a_pinging_one_stays(
    server: RoomServer, room: Room
) -> None:
    server.idle_timeout = 0.4
    silent, talker = await open_ws(server), await open_ws(server)

    async def keep_pinging() -> None:
        for _ in range(8):  # 1.6 s, four times the idle timeout
            await talker.send({"type": "ping"})
            assert await talker.recv() == {"type": "pong"}
            await asyncio.sleep(0.2)

    pinging = asyncio.create_task(keep_pinging())
    assert await closed_within(silent, 3.0) == 1001  # going away: a dead browser
    await pinging
    await talker.send({"type": "ping"})
    assert await talker.recv() == {"type": "pong"}


async def test_message_flood_is_answered_rate_limited_and_nothing_beyond_is_stored(
    server: RoomServer, room: Room, store: Store
) -> None:
    room.live.start(MIXED)
    client = await joined_client(server, room)  # hello and join used 2 of the allowance
    sent = 60
    for i in range(sent):
        await client.send(
            {"type": "reflect", "id": f"flood-{i:04d}", "phase": MIXED, "text": f"kort {i}"}
        )
    acks, limited = [], 0
    while len(acks) + limited < sent:
        message = await client.recv()
        if message["type"] == "ack":
            acks.append(message["id"])
        elif message["type"] == "error":
            assert message["code"] == "rate_limited"
            limited += 1
    allowance = server_module.MESSAGES_PER_10S - 2
    assert acks == [f"flood-{i:04d}" for i in range(allowance)]
    assert limited == sent - allowance
    stored = sorted(r.id for r in store.reflections(room.session.id))
    assert stored == sorted(acks)


async def test_an_oversized_frame_closes_1009_and_others_are_still_served(
    server: RoomServer, room: Room
) -> None:
    bystander = await joined_client(server, room, "Bo")
    attacker = await open_ws(server)
    await attacker.send("x" * (20 * 1024))
    assert await closed_within(attacker, 3.0) == 1009
    await bystander.send({"type": "ping"})
    assert await bystander.recv_type("pong") == {"type": "pong"}
    newcomer = await joined_client(server, room, "Cilla")
    await newcomer.send({"type": "ping"})
    assert await newcomer.recv_type("pong") == {"type": "pong"}


async def test_wrong_tokens_are_limited_per_address_across_connections(
    server: RoomServer, room: Room, store: Store
) -> None:
    clock = [1000.0]
    server._entry_limiter = RateLimiter(
        server_module.ENTRY_ATTEMPTS_PER_MINUTE, 60.0, clock=lambda: clock[0]
    )
    codes = []
    for attempt in range(server_module.ENTRY_ATTEMPTS_PER_MINUTE):
        client = await open_ws(server)  # a fresh connection each time: the limit is per address
        await client.send({"type": "hello", "room_token": f"guess-{attempt:08d}"})
        codes.append((await client.recv())["code"])
        await client.send(join_form(room))
        assert (await client.recv())["code"] == "not_in_room"
        await client.close()
    assert codes == ["bad_token"] * server_module.ENTRY_ATTEMPTS_PER_MINUTE
    blocked = await open_ws(server)
    await blocked.send({"type": "hello", "room_token": room.room_token})  # even the right one
    assert (await blocked.recv())["code"] == "rate_limited"
    await blocked.send({"type": "hello", "room_code": room.room_code})
    assert (await blocked.recv())["code"] == "rate_limited"
    await blocked.send(join_form(room))
    assert (await blocked.recv())["code"] == "not_in_room"
    assert store.participants(room.session.id) == []  # a rejected join stores nothing

    clock[0] += 61  # a minute later the address may try again
    await blocked.send({"type": "hello", "room_token": room.room_token})
    assert (await blocked.recv_type("welcome"))["type"] == "welcome"


async def test_the_room_token_dies_when_the_session_ends(
    server: RoomServer, room: Room, store: Store
) -> None:
    early = await joined_client(server, room, "Tidig")
    resume = early.joined["resume_token"]  # type: ignore[attr-defined]
    live = room.live
    live.start(len(live.program) - 1)
    live.next_phase()  # past the last phase: the program has ended
    participants = store.participants(room.session.id)
    for hello in (
        {"type": "hello", "room_token": room.room_token},
        {"type": "hello", "room_code": room.room_code},
        {"type": "hello", "room_token": room.room_token, "resume_token": resume},
    ):
        late = await open_ws(server)
        await late.send(hello)
        error = await late.recv()
        assert error["code"] == "session_ended", hello
        await late.send(join_form(room, "Sen"))
        assert (await late.recv())["code"] == "not_in_room"
    assert store.participants(room.session.id) == participants


# -- HTTP --------------------------------------------------------------------------------------


HOSTILE_TARGETS = [
    b"/../../etc/passwd",
    b"/..%2f..%2fx",
    b"/..%2f..%2fpyproject.toml",
    b"/%2e%2e/",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/..\\..\\etc\\passwd",
    b"\\app.js",
    b"/i18n\\..\\..\\pyproject.toml",
    b"/app.js%00.html",
    b"/\x00",
    b"/index.html\x00/../../etc/passwd",
    b"/" + DB_NAME.encode(),
    b"/" + DB_NAME.encode() + b"-wal",
    b"/assets/app.js",
    b"//etc/passwd",
    b"http://127.0.0.1/../../etc/passwd",
    b"*",
]


@pytest.fixture
def file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file the process opens from Python from now on."""
    reads: list[str] = []

    def spy(name: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            reads.append(f"{name}: {args[0] if args else kwargs}")
            return original(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", spy("open", builtins.open))
    monkeypatch.setattr(io, "open", spy("io.open", io.open))
    monkeypatch.setattr(os, "open", spy("os.open", os.open))
    for method in ("open", "read_bytes", "read_text"):
        original = getattr(pathlib.Path, method)
        monkeypatch.setattr(pathlib.Path, method, spy(f"Path.{method}", original))
    return reads


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
async def test_hostile_paths_get_an_error_and_read_no_file(
    server: RoomServer, file_reads: list[str], target: bytes
) -> None:
    status, headers, body = await raw_http(server.port, get(server.port, target))
    assert 400 <= status < 500, (target, status)
    assert b"root:" not in body and b"[project]" not in body and b"SQLite" not in body
    assert headers["x-content-type-options"] == "nosniff"
    assert file_reads == []


async def test_a_9000_byte_request_line_is_refused_without_reading_files(
    server: RoomServer, file_reads: list[str]
) -> None:
    status, _, body = await raw_http(server.port, get(server.port, b"/" + b"a" * 9000))
    assert status == 414
    assert len(body) < 200
    # A header line as long is refused too.
    status, _, _ = await raw_http(
        server.port, get(server.port, b"/", extra=b"X-Pad: " + b"b" * 9000 + b"\r\n")
    )
    assert status == 431
    assert file_reads == []
    # ...and the server still serves the page.
    status, _, body = await raw_http(server.port, get(server.port, b"/"))
    assert status == 200 and b"app.js" in body


@pytest.mark.parametrize("method", [b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"TRACE"])
async def test_other_methods_get_405_with_allow_get(server: RoomServer, method: bytes) -> None:
    status, headers, _ = await raw_http(server.port, get(server.port, b"/", method=method))
    assert status == 405
    assert headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("target", "extra", "status"),
    [
        (b"/", b"", 200),
        (b"/app.js", b"", 200),
        (b"/nope", b"", 404),
        (b"/ws", b"Origin: http://evil.example\r\n", 403),
        (b"/ws", b"", 403),
        # Our own page's Origin but no Upgrade: websockets answers itself (426).
        (b"/ws", b"Origin: http://127.0.0.1:{port}\r\n", 426),
    ],
)
async def test_every_response_carries_the_security_headers(
    server: RoomServer, target: bytes, extra: bytes, status: int
) -> None:
    extra = extra.replace(b"{port}", str(server.port).encode())
    got, headers, _ = await raw_http(server.port, get(server.port, target, extra=extra))
    assert got == status
    csp = headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert f"ws://127.0.0.1:{server.port}" in directives["connect-src"].split()
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no inline script
    assert directives["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "server" not in headers


async def test_a_full_room_also_carries_the_security_headers(server: RoomServer) -> None:
    server.max_connections = 0
    origin = f"Origin: {origin_of(server)}\r\n".encode()
    status, headers, _ = await raw_http(server.port, get(server.port, b"/ws", extra=origin))
    assert status == 503
    assert headers["x-content-type-options"] == "nosniff"
    assert f"ws://127.0.0.1:{server.port}" in headers["content-security-policy"]


# -- untrusted text ----------------------------------------------------------------------------

HOSTILE_TEXTS = [
    "<img src=x onerror=alert(1)>",
    "<b>bold</b>",
    "<a href=javascript:alert(1)>x</a>",
    "</script><script>alert(1)</script>",
    "&lt;b&gt; &amp; \"quotes\" 'single'",
    "Anna \u202eredlof\u202c Berg",  # right-to-left override
    "An\u200bna\u200c \u200dBe\u2060rg\ufeff",  # zero-width characters
    "Anna\x00Berg\x07\x1b[31m",  # NUL, bell, an ANSI escape
    "\u2066isolate\u2069 \u200eLRM\u200f",  # bidi isolates and marks
    "A" + "\u0301" * (MAX_NAME - 1),  # as many combining marks as fit
    "Å" + "\u0308" * 7_000,  # fits in a frame, too long by any measure
    "Å" + "\u0308" * 10_000,  # 10 000 combining marks: 20 KB of UTF-8, more than a frame
    "Ω≈ç√∫ 田中 👩‍💻 ﷽",
]


def frame_size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, ensure_ascii=False).encode("utf-8"))


def expected_name(raw: str) -> str | None:
    """What the cleaning policy makes of a name, or None if it must be refused."""
    cleaned = clean_text(raw)
    return cleaned if len(raw) <= MAX_NAME * 4 and 0 < len(cleaned) <= MAX_NAME else None


async def test_a_joiner_that_shapes_a_name_survives_the_join(
    server: RoomServer, room: Room
) -> None:
    """Persian names and emoji keep their zero-width (non-)joiner; stray ones still go.

    Seen in a walk through the day: "علی‌رضا" was stored as "علیرضا" (drawn differently) and
    👩‍💻 as two separate emoji, because every format character was dropped.
    """
    for raw, stored in (
        ("علی\u200cرضا", "علی\u200cرضا"),
        ("Kim 👩\u200d💻", "Kim 👩\u200d💻"),
        ("An\u200cna \u200dBerg\u200d", "Anna Berg"),
    ):
        client = await joined_client(server, room, raw)
        await client.close()
        assert stored in [p.name for p in room.participants()]
    client = await open_ws(server)
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(join_form(room, "\u200d\u200c\u200d"))
    refused = await answer_to(client)
    assert refused["type"] == "error" and refused["code"] == "name_empty"
    await client.close()


def test_the_cleaning_policy() -> None:
    # Control and format characters go: bidi overrides and isolates, zero-width, NUL.
    for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f":
        assert clean_text(f"a{ch}b") == "ab"
    for ch in "\u200b\u200c\u200d\u2060\ufeff\x00\x07\x1b\x7f\x85\u00ad":
        assert clean_text(f"a{ch}b") in ("ab", "a b")  # NEL (\x85) counts as white space
    # Everything else stays literally: markup, entities, quotes, scripts, emoji.
    for text in ("<b>bold</b>", "&amp;", "</script>", "\"'`", "田中", "﷽"):
        assert clean_text(text) == text
    # Combining marks stay (NFC composes what it can), at most MAX_MARKS on one letter
    # (issue 13: a stack of 78 drew over other people's entries).
    assert clean_text("A\u030a") == "Å"
    assert clean_text("x" + "\u0301" * 50) == "x" + "\u0301" * MAX_MARKS
    assert clean_text("Vie\u0302\u0323t") == unicodedata.normalize("NFC", "Vie\u0302\u0323t")
    # White space collapses; in cards line breaks survive, at most one empty line in a row.
    assert clean_text("  a \t\u2028 b  ") == "a b"
    assert clean_text("a\r\n\r\n\r\n\r\nb\u200b", keep_lines=True) == "a\n\nb"
    assert "\u202e" not in clean_text("x\u202e\ny", keep_lines=True)


async def test_hostile_names_and_cards_are_stored_by_the_policy_or_refused(
    server: RoomServer, room: Room, store: Store
) -> None:
    room.live.start(MIXED)
    watcher = await joined_client(server, room, "Vittne")
    stored_names = {}
    too_big = 0
    for n, raw in enumerate(HOSTILE_TEXTS):
        client = await open_ws(server)
        await client.send({"type": "hello", "room_token": room.room_token})
        await client.recv_type("welcome")
        function = raw if expected_name(raw) is not None else ""
        form = join_form(room, raw, function=function)
        card_id = f"hostile-{n:04d}"
        card = {"type": "reflect", "id": card_id, "phase": MIXED, "text": raw}
        if frame_size(form) > server_module.MAX_FRAME:
            # The page's maxlength keeps this from ever being sent; a script sending it
            # loses its connection (1009) and nothing is stored.
            await client.send(json.dumps(form, ensure_ascii=False))
            assert await closed_within(client, 3.0) == 1009
            client = await joined_client(server, room, f"Ersatt {n}")
            assert frame_size(card) > server_module.MAX_FRAME
            await client.send(json.dumps(card, ensure_ascii=False))
            assert await closed_within(client, 3.0) == 1009
            assert room.live.card(card_id) is None
            too_big += 1
            continue
        await client.send(json.dumps(form, ensure_ascii=False))
        reply = await client.recv()
        want = expected_name(raw)
        if want is None:
            assert reply["type"] == "error" and reply["code"] == "name_too_long", raw[:20]
            await client.send(join_form(room, f"Ersatt {n}"))
            reply = await client.recv_type("joined")
        else:
            assert reply["type"] == "joined", (raw[:20], reply)
            assert reply["participant"]["name"] == want
            stored_names[reply["participant"]["id"]] = want
        # The same text as a reflection card.
        await client.send(json.dumps(card, ensure_ascii=False))
        answer = await answer_to(client)
        if len(clean_text(raw, keep_lines=True)) > MAX_TEXT:
            # Refused while parsing, before the id is read: the page's item in flight.
            assert answer["code"] == "text_too_long" and answer["field"] == "text"
            assert room.live.card(card_id) is None
        else:
            assert answer == {"type": "ack", "id": card_id, "revision": 0}
            assert room.live.card(card_id).text == clean_text(raw, keep_lines=True)
        await client.close()
    assert too_big == 1
    # The server still serves the others; what is stored is exactly what the policy says.
    await watcher.send({"type": "ping"})
    assert await watcher.recv_type("pong") == {"type": "pong"}
    check = Store(store.path)
    try:
        people = {p.id: p.name for p in check.participants(room.session.id)}
        cards = {r.id: r.text for r in check.reflections(room.session.id)}
    finally:
        check.close()
    for pid, name in stored_names.items():
        assert people[pid] == name
    for text in list(people.values()) + list(cards.values()):
        flat = text.replace("\n", "")
        assert not any(
            unicodedata.category(ch) in ("Cc", "Cf") and ch not in JOINERS for ch in flat
        )
        for at, ch in enumerate(flat):  # a joiner stays only inside a non-ASCII word or emoji
            if ch in JOINERS:
                assert 0 < at < len(flat) - 1
                assert not (flat[at - 1].isascii() and flat[at + 1].isascii())
    assert "<img src=x onerror=alert(1)>" in people.values()
    assert "</script><script>alert(1)</script>" in cards.values()


# -- logs ----------------------------------------------------------------------------------


async def test_logs_hold_no_tokens_and_no_reflection_text(
    server: RoomServer,
    room: Room,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="websockets")
    caplog.set_level(logging.DEBUG, logger="websockets.server")
    secrets_seen = [room.room_token, room.room_code]
    live = room.live
    live.start(MIXED)

    client = await open_ws(server)
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(join_form(room, "Loggfri Person"))
    joined = await client.recv_type("joined")
    secrets_seen.append(joined["resume_token"])
    texts = ["HEMLIG-REFLEKTION-ett", "HEMLIG-REFLEKTION-två"]
    for n, text in enumerate(texts):
        await client.send(
            {"type": "reflect", "id": f"logcard-{n:04d}", "phase": MIXED, "text": text}
        )
        await client.recv_type("ack")
    await client.send(
        {
            "type": "reflect",
            "id": "logcard-0000",
            "phase": MIXED,
            "text": "HEMLIG-ÄNDRING",
            "revision": 1,
        }
    )
    await client.recv_type("ack")
    texts.append("HEMLIG-ÄNDRING")
    await client.close()

    # Resume on a new connection, typed code, a wrong token and a broken message.
    again = await open_ws(server)
    await again.send(
        {"type": "hello", "room_code": room.display_code, "resume_token": joined["resume_token"]}
    )
    await again.recv_type("joined")
    await again.send('{"type": "reflect", "text": "HEMLIG-TRASIG"')
    assert (await again.recv_type("error"))["code"] == "bad_json"
    texts.append("HEMLIG-TRASIG")

    # A bug while storing a card is logged, but without the card.
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("storage exploded")

    # Broken in the store, so the failure comes back through the batch writer's thread.
    monkeypatch.setattr(Store, "put_reflection", broken)
    await again.send(
        {"type": "reflect", "id": "logcard-0009", "phase": MIXED, "text": "HEMLIG-BUGG"}
    )
    assert (await again.recv_type("error"))["code"] == "server_error"
    texts.append("HEMLIG-BUGG")
    await again.close()
    wrong = await open_ws(server)
    await wrong.send({"type": "hello", "room_token": "FEL-" + room.room_token[4:]})
    await wrong.recv()
    await wrong.close()
    with pytest.raises(InvalidStatus):
        await open_ws(server, origin="http://evil.example")
    await asyncio.sleep(0.1)  # let the server log the closes

    server_side = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    assert any(r.name.startswith("websockets.server") for r in server_side)
    assert any("could not store a Reflect" in r.getMessage() for r in server_side)
    for record in server_side:
        line = caplog.handler.format(record)
        for secret in secrets_seen + texts + [room.room_token[4:]]:
            assert secret not in line, (record.name, line[:200])


# -- fan-out --------------------------------------------------------------------------------


async def test_states_reach_every_tab_and_a_dead_connection_holds_nobody_up(
    server: RoomServer, room: Room
) -> None:
    first = await joined_client(server, room, "Två flikar")
    resume = first.joined["resume_token"]  # type: ignore[attr-defined]
    second = await open_ws(server)  # the same participant in a second tab
    await second.send({"type": "hello", "room_token": room.room_token, "resume_token": resume})
    await second.recv_type("state")
    others = [await joined_client(server, room, f"Person {n}") for n in range(3)]
    others[0].ws.transport.abort()  # a phone that vanished without closing
    room.live.start(MIXED)
    for client in (first, second, *others[1:]):
        state = await client.recv_type("state")
        while state["phase"] is None:  # the lobby's state, sent on joining
            state = await client.recv_type("state")
        assert state["phase"]["index"] == MIXED
    # The second tab writes a card: the first tab sees it live too.
    await second.send({"type": "reflect", "id": "two-tabs-01", "phase": MIXED, "text": "Hej"})
    card = await first.recv_type("card")
    assert card["card"]["id"] == "two-tabs-01" and card["card"]["mine"] is True
