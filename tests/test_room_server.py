"""Real websockets clients against the real room server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
import websockets

from app.room import ParticipantJoined, Room
from app.store import Store
from room_server.server import RoomServer

from .conftest import Client


def join_form(room: Room, **overrides: Any) -> dict[str, Any]:
    form = {
        "type": "join",
        "name": "Anna Andersson",
        "organisation_id": room.series.organisations[7].id,  # Uddevalla
        "role": "elected",
        "attendance": "in_room",
        "function": "",
    }
    form.update(overrides)
    return form


async def enter(client: Client, room: Room, **hello: Any) -> dict[str, Any]:
    await client.send({"type": "hello", "room_token": room.room_token, **hello})
    return await client.recv_type("welcome")


async def test_join_by_token_lands_in_lobby_and_is_stored(
    room: Room, store: Store, open_client: Any
) -> None:
    client = await open_client()
    welcome = await enter(client, room)
    assert [o["name"] for o in welcome["organisations"]][:2] == ["Bengtsfors", "Dals-Ed"]
    assert len(welcome["organisations"]) == 11
    assert welcome["session"]["theme"] == "UTBLICK"

    await client.send(join_form(room, function="  IT-chef "))
    joined = await client.recv_type("joined")
    assert joined["resumed"] is False
    assert joined["participant"]["organisation"] == "Uddevalla"
    assert joined["participant"]["function"] == "IT-chef"

    # Persisted before the ack: a second connection to the same file sees it.
    other = Store(store.path)
    try:
        stored = other.participants(room.session.id)
    finally:
        other.close()
    assert [p.name for p in stored] == ["Anna Andersson"]
    assert room.is_connected(stored[0].id)


async def test_join_by_typed_room_code(room: Room, open_client: Any) -> None:
    client = await open_client()
    typed = room.display_code.lower().replace("-", " ")
    await client.send({"type": "hello", "room_code": typed})
    welcome = await client.recv_type("welcome")
    # A code user gets the token so a reload needs no typing.
    assert welcome["room_token"] == room.room_token
    await client.send(join_form(room))
    assert (await client.recv_type("joined"))["participant"]["name"] == "Anna Andersson"


async def test_resume_after_disconnect_is_the_same_participant(
    room: Room, store: Store, open_client: Any
) -> None:
    first = await open_client()
    await enter(first, room)
    await first.send(join_form(room))
    joined = await first.recv_type("joined")
    pid = joined["participant"]["id"]
    await first.close()
    for _ in range(50):  # the server notices the close asynchronously
        if not room.is_connected(pid):
            break
        await asyncio.sleep(0.02)
    assert not room.is_connected(pid)

    second = await open_client()
    await enter(second, room, resume_token=joined["resume_token"])
    resumed = await second.recv_type("joined")
    assert resumed["resumed"] is True
    assert resumed["participant"]["id"] == pid
    assert room.is_connected(pid)
    assert len(store.participants(room.session.id)) == 1


async def test_double_join_on_one_connection_makes_one_participant(
    room: Room, store: Store, open_client: Any
) -> None:
    client = await open_client()
    await enter(client, room)
    await client.send(join_form(room))
    await client.send(join_form(room))
    first = await client.recv_type("joined")
    second = await client.recv_type("joined")
    assert first["participant"]["id"] == second["participant"]["id"]
    assert len(store.participants(room.session.id)) == 1


async def test_unknown_resume_token_asks_to_join_again(room: Room, open_client: Any) -> None:
    client = await open_client()
    await enter(client, room, resume_token="not-a-real-token")
    error = await client.recv_type("error")
    assert error["code"] == "bad_resume"


async def test_wrong_room_token_is_refused(room: Room, store: Store, open_client: Any) -> None:
    client = await open_client()
    await client.send({"type": "hello", "room_token": "x" * 16})
    error = await client.recv()
    assert error == {
        "type": "error",
        "code": "bad_token",
        "field": "room_token",
        "message": error["message"],
    }
    await client.send(join_form(room))
    assert (await client.recv())["code"] == "not_in_room"
    assert store.participants(room.session.id) == []


async def test_typed_code_is_rate_limited_per_address(room: Room, open_client: Any) -> None:
    client = await open_client()
    codes = []
    for _ in range(7):
        await client.send({"type": "hello", "room_code": "AAAAAA"})
        codes.append((await client.recv())["code"])
    assert codes[:5] == ["bad_code"] * 5
    assert codes[5:] == ["rate_limited", "rate_limited"]
    # Even the right code is refused while the address is blocked.
    await client.send({"type": "hello", "room_code": room.room_code})
    assert (await client.recv())["code"] == "rate_limited"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2, 3]", "bad_json"),
        ('"hello"', "bad_json"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"no_type": 1}', "unknown_type"),
        ('{"type": "hello", "room_token": 42}', "bad_field"),
        ("[" * 5000 + "]" * 5000, "bad_json"),
    ],
)
async def test_malformed_messages_get_an_error_and_the_connection_lives(
    raw: str, code: str, room: Room, open_client: Any
) -> None:
    client = await open_client()
    await client.send(raw)
    assert (await client.recv())["code"] == code
    await client.send({"type": "ping"})
    assert (await client.recv()) == {"type": "pong"}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": ""}, "name_empty", "name"),
        ({"name": " \u200b\t "}, "name_empty", "name"),
        ({"name": "A" * 10_000}, "name_too_long", "name"),
        ({"name": "A" * 81}, "name_too_long", "name"),
        ({"name": None}, "bad_field", "name"),
        ({"organisation_id": 999_999}, "unknown_organisation", "organisation_id"),
        ({"organisation_id": "7"}, "unknown_organisation", "organisation_id"),
        ({"organisation_id": True}, "unknown_organisation", "organisation_id"),
        ({"role": "king"}, "bad_field", "role"),
        ({"attendance": "moon"}, "bad_field", "attendance"),
        ({"function": "x" * 500}, "bad_field", "function"),
        ({"join_key": "too-short"}, "bad_field", "join_key"),
        ({"join_key": "k" * 65}, "bad_field", "join_key"),
        ({"join_key": "kö" * 16}, "bad_field", "join_key"),
        ({"join_key": 12345678901234567890}, "bad_field", "join_key"),
    ],
)
async def test_bad_join_forms_change_nothing(
    overrides: dict[str, Any], code: str, field: str, room: Room, store: Store, open_client: Any
) -> None:
    client = await open_client()
    await enter(client, room)
    await client.send(join_form(room, **overrides))
    error = await client.recv_type("error")
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert store.participants(room.session.id) == []
    # The page can correct the form and try again on the same connection.
    await client.send(join_form(room))
    assert (await client.recv_type("joined"))["participant"]["name"] == "Anna Andersson"


async def test_markup_in_a_name_is_stored_verbatim(room: Room, open_client: Any) -> None:
    client = await open_client()
    await enter(client, room)
    name = "<img src=x onerror=alert(1)> & Co"
    await client.send(join_form(room, name=name))
    assert (await client.recv_type("joined"))["participant"]["name"] == name


async def test_presence_count_is_broadcast(room: Room, open_client: Any) -> None:
    a, b = await open_client(), await open_client()
    for client, name in ((a, "A"), (b, "B")):
        await enter(client, room)
        await client.send(join_form(room, name=name))
        await client.recv_type("joined")
    presence = await a.recv_type("presence")
    assert presence["present"] == 2


async def test_stop_says_away_and_only_an_ended_session_says_ended(room: Room) -> None:
    from websockets.asyncio.client import connect

    for ended, expected in ((False, "away"), (True, "ended")):
        server = RoomServer(room, "127.0.0.1", 0)
        await server.start()
        async with connect(
            f"ws://127.0.0.1:{server.port}/ws",
            proxy=None,
            origin=server.origin,  # type: ignore[arg-type]
        ) as ws:
            client = Client(ws)
            await enter(client, room, name=f"Person {expected}")
            await server.stop(ended=ended)
            assert (await client.recv_type(expected)) == {"type": expected}


async def http_get(
    port: int, target: str, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


async def test_serves_the_page_and_its_files(server: RoomServer) -> None:
    status, headers, body = await http_get(server.port, "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"/app.js" in body
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert f"ws://127.0.0.1:{server.port}" in csp and "default-src 'none'" in csp
    for path in ("/app.js", "/style.css", "/i18n/sv.json", "/i18n/en.json", "/favicon.svg"):
        status, _, body = await http_get(server.port, path)
        assert status == 200 and body, path
    sv = json.loads((await http_get(server.port, "/i18n/sv.json"))[2])
    en = json.loads((await http_get(server.port, "/i18n/en.json"))[2])
    assert sv.keys() == en.keys()


@pytest.mark.parametrize(
    "target",
    [
        "/../../etc/passwd",
        "/..%2f..%2fpyproject.toml",
        "/%2e%2e/app.js",
        "/assets/app.js",
        "/tankesmedja.sqlite3",
        "/app.py",
    ],
)
async def test_other_paths_are_not_found(server: RoomServer, target: str) -> None:
    status, _, body = await http_get(server.port, target)
    assert status == 404
    assert b"root:" not in body


async def test_any_free_port_is_no_fallback(room: Room) -> None:
    """``--port 0`` asks for any free port: the console must not warn "port 0 was taken"."""
    server = RoomServer(room, "127.0.0.1", 0)
    try:
        await server.start()
        assert server.port != 0
        info = server.join_info()
        assert info.requested_port == 0 and info.port == server.port
        assert not info.port_fallback
        assert not server.port_fallback
    finally:
        await server.stop()


async def test_taken_port_falls_back_to_a_free_one(room: Room) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    server = RoomServer(room, "127.0.0.1", taken)
    try:
        await server.start()
        assert server.port != taken
        info = server.join_info()
        assert info.port_fallback and info.requested_port == taken
        assert info.join_url.startswith(f"http://127.0.0.1:{server.port}/#t=")
        assert info.loopback_only
    finally:
        await server.stop()
        blocker.close()


def test_join_url_carries_at_least_64_bits_of_token(room: Room) -> None:
    server = RoomServer(room, "127.0.0.1", 0)
    token = server.join_url.split("#t=", 1)[1]
    assert token == room.room_token
    assert len(token) * 6 >= 64  # URL-safe base64: six bits a character


# -- a join sent again after its `joined` was lost -------------------------------------------


def cut_before_joined(monkeypatch: pytest.MonkeyPatch, server: RoomServer) -> None:
    """From now on the server commits a join, then loses the connection before `joined`."""

    async def crash(client: Any, result: Any, resumed: bool) -> None:
        client.ws.transport.abort()  # as a cut cable, or the process dying, would

    monkeypatch.setattr(server, "_admit", crash)


async def test_a_join_resent_after_its_joined_was_lost_is_the_same_participant(
    room: Room, store: Store, server: RoomServer, open_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[object] = []
    room.subscribe(events.append)
    key = "a1b2c3d4" * 4  # what the page makes: 128 random bits, hex
    lost = await open_client()
    await enter(lost, room)
    cut_before_joined(monkeypatch, server)
    await lost.send(join_form(room, join_key=key))
    with pytest.raises(websockets.ConnectionClosed):
        await lost.recv_type("joined")
    [first] = store.participants(room.session.id)  # committed, but the page never knew
    monkeypatch.undo()

    again = await open_client()
    await enter(again, room)
    await again.send(join_form(room, join_key=key))
    joined = await again.recv_type("joined")
    assert joined["resumed"] is True
    assert joined["participant"]["id"] == first.id
    assert (await again.recv_type("state"))["type"] == "state"
    assert [p.id for p in store.participants(room.session.id)] == [first.id]
    assert [p.id for p in room.participants()] == [first.id]
    # The console listed the person once.
    assert [type(e) for e in events].count(ParticipantJoined) == 1
    assert room.is_connected(first.id)

    # The new resume token is the participant's now: a reload comes back as them.
    await again.close()
    reload = await open_client()
    await enter(reload, room, resume_token=joined["resume_token"])
    resumed = await reload.recv_type("joined")
    assert (resumed["resumed"], resumed["participant"]["id"]) == (True, first.id)
    assert len(store.participants(room.session.id)) == 1


async def test_a_second_key_or_none_is_a_second_participant_and_keys_cannot_be_reused_elsewhere(
    room: Room, store: Store, open_client: Any
) -> None:
    a, b, old_page = await open_client(), await open_client(), await open_client()
    for client in (a, b, old_page):
        await enter(client, room)
    await a.send(join_form(room, join_key="A" * 32))
    first = await a.recv_type("joined")
    await b.send(join_form(room, name="Bo", join_key="B" * 32))
    second = await b.recv_type("joined")
    await old_page.send(join_form(room, name="Cilla"))  # an older page sends no key
    third = await old_page.recv_type("joined")
    assert [first["resumed"], second["resumed"], third["resumed"]] == [False] * 3
    ids = {first["participant"]["id"], second["participant"]["id"], third["participant"]["id"]}
    assert len(ids) == 3 == len(store.participants(room.session.id))

    # The same key once more (another tab of the first page, say): the first participant,
    # whose earlier resume token gives way to the new one.
    tab = await open_client()
    await enter(tab, room)
    await tab.send(join_form(room, name="Annat Namn", join_key="A" * 32))
    twice = await tab.recv_type("joined")
    assert twice["participant"] == first["participant"]
    assert room.resume(twice["resume_token"]) is not None
    assert room.resume(first["resume_token"]) is None
    assert len(store.participants(room.session.id)) == 3


async def test_a_join_key_of_an_erased_participant_is_refused_and_stores_nothing(
    room: Room, store: Store, open_client: Any
) -> None:
    key = "e" * 32
    client = await open_client()
    await enter(client, room)
    await client.send(join_form(room, name="Raderas", join_key=key))
    pid = (await client.recv_type("joined"))["participant"]["id"]
    room.erase_participant(pid)

    page = await open_client()
    await enter(page, room)
    await page.send(join_form(room, name="Raderas", join_key=key))
    error = await page.recv_type("error")
    assert (error["code"], error["field"]) == ("bad_resume", "join_key")
    assert store.participants(room.session.id) == []
    # The page then forgets the key; a new join (a new key) is the person's own choice.
    await page.send(join_form(room, name="Raderas", join_key="f" * 32))
    assert (await page.recv_type("joined"))["participant"]["id"] != pid


async def test_cards_written_together_reach_each_page_of_the_group_once_each(
    room: Room, server: RoomServer, open_client: Any
) -> None:
    clients = []
    for i in range(4):
        client = await open_client()
        await enter(client, room)
        await client.send(join_form(room, name=f"Person {i}"))
        await client.recv_type("joined")
        clients.append(client)
    room.live.start(1)
    room.live.make_groups(size=4)  # one group of four
    ids = [f"kort-{i:04d}" for i in range(4)]
    # Sent together: committed in one batch, and each page's cards of that batch go out
    # to it in one write (room_server.server._write_texts).
    await asyncio.gather(
        *(
            c.send({"type": "reflect", "id": i, "phase": 1, "text": f"Tanke {i}", "revision": 1})
            for c, i in zip(clients, ids, strict=True)
        )
    )
    for client, own in zip(clients, ids, strict=True):
        got: dict[str, dict[str, Any]] = {}
        acked = False
        while len(got) < 4 or not acked:
            message = await client.recv()
            if message["type"] == "ack":
                assert message["id"] == own
                acked = True
            elif message["type"] == "card":
                assert message["card"]["id"] not in got  # each card once
                got[message["card"]["id"]] = message["card"]
        assert sorted(got) == ids
        assert [c["mine"] for i, c in sorted(got.items())] == [i == own for i in ids]
    assert server.commit_stats[0] >= 1


async def test_a_late_joiners_place_is_committed_by_the_servers_writer(
    room: Room, store: Store, server: RoomServer, open_client: Any
) -> None:
    first = []
    for i in range(4):
        client = await open_client()
        await enter(client, room)
        await client.send(join_form(room, name=f"Tidig {i}"))
        await client.recv_type("joined")
        first.append(client)
    room.live.start(1)
    made = room.live.make_groups(size=2)
    late = await open_client()
    await enter(late, room)
    await late.send(join_form(room, name="Sen"))
    pid = (await late.recv_type("joined"))["participant"]["id"]
    state = await late.recv_type("state")
    assert "Sen" in [m["name"] for m in state["group"]["members"]]
    # The row went to the group commit (not the loop's connection): stopping the server
    # commits what is on its way; then another connection reads the round back.
    await server.stop()
    other = Store(store.path)
    try:
        (stored,) = [r for r in other.rounds(room.series.id) if r.id == made.id]
    finally:
        other.close()
    number = room.live.round().group_of(pid)  # type: ignore[union-attr]
    assert number is not None and stored.group_of(pid) == number
    assert pid in stored.late


async def test_a_group_gets_one_state_and_each_page_finds_itself_by_its_key(
    room: Room, open_client: Any
) -> None:
    clients, joins = [], []
    for i in range(4):
        client = await open_client()
        await enter(client, room)
        await client.send(join_form(room, name=f"Person {i}"))
        joins.append(await client.recv_type("joined"))
        clients.append(client)
    keys = [j["key"] for j in joins]
    secrets = {j["participant"]["id"] for j in joins} | {j["resume_token"] for j in joins}
    assert len(set(keys)) == 4 and not set(keys) & secrets and all(keys)
    room.live.start(1)
    room.live.make_groups(size=4)  # one group of four
    states = []
    for client in clients:
        state = await client.recv_type("state")
        while state["group"] is None:
            state = await client.recv_type("state")
        states.append(state)
    assert all(s == states[0] for s in states)  # one message for the whole group
    members = states[0]["group"]["members"]
    for join, key in zip(joins, keys, strict=True):
        assert [m["name"] for m in members if m["key"] == key] == [join["participant"]["name"]]
    # A resumed page is told the same key.
    await clients[0].close()
    again = await open_client()
    await enter(again, room, resume_token=joins[0]["resume_token"])
    assert (await again.recv_type("joined"))["key"] == keys[0]
