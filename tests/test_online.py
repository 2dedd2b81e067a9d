"""Online sessions through a real relay on loopback: sshd + Caddy + the tunnel (issue 15).

The path participants at home take: wss://workshop.test:PORT (Caddy, TLS with its internal
CA) → 127.0.0.1:relay_port on the 'relay' (sshd's reverse-forwarded port) → the SSH link →
the laptop's room server. Clients connect to Caddy from their own loopback addresses
(127.0.1.x) so each remote participant has an address of their own, as on the internet.
"""

from __future__ import annotations

import asyncio
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


async def test_a_hundred_remote_participants_through_the_tunnel_are_all_accepted(
    online: tuple[RoomServer, Tunnel, list[TunnelStatus]], relay: Relay, room: Room, store: Store
) -> None:
    server, _, _ = online
    # Before: everyone behind the tunnel shared 127.0.0.1 and the cap (64) hit the 65th.
    assert server.max_per_address < 100
    clients = []
    for i in range(100):
        client = await remote(relay, i)
        await join(client, room, f"Distans {i:03d}")
        clients.append(client)
    assert len(store.participants(room.session.id)) == 100
    assert server.connection_count == 100
    assert len({c.address for c in server._clients}) == 100
    for client in clients:
        await client.send({"type": "ping"})
        assert (await client.recv_type("pong"))["type"] == "pong"
    for client in clients:
        await client.close()


async def test_six_wrong_codes_from_one_remote_participant_do_not_lock_out_another(
    online: tuple[RoomServer, Tunnel, list[TunnelStatus]], relay: Relay, room: Room
) -> None:
    typist = await remote(relay, 1)
    codes = []
    for attempt in range(6):
        await typist.send({"type": "hello", "room_code": f"ZZZ-{attempt:03d}"})
        codes.append((await typist.recv(timeout=20))["code"])
    limit = server_module.ENTRY_ATTEMPTS_PER_MINUTE
    assert codes == ["bad_code"] * limit + ["rate_limited"] * (6 - limit)
    other = await remote(relay, 2)
    joined = await join(other, room, "Rätt Kod")
    assert joined["participant"]["name"] == "Rätt Kod"
    # A forged X-Forwarded-For from the typist's own device goes nowhere: Caddy does not
    # trust it, and the room server reads the entry Caddy added (the device's address).
    forged = await remote(relay, 1, additional_headers={"X-Forwarded-For": "127.0.1.3"})
    await forged.send({"type": "hello", "room_token": room.room_token})
    assert (await forged.recv(timeout=20))["code"] == "rate_limited"
    third = await remote(relay, 3)  # the address it tried to hide behind still gets in
    await third.send({"type": "hello", "room_token": room.room_token})
    await third.recv_type("welcome", timeout=20)
    for client in (typist, other, forged, third):
        await client.close()


async def reconnect(relay: Relay, index: int, resume: str, room: Room) -> Client:
    """What the page does after a cut: retry until the relay answers, then resume."""
    async with asyncio.timeout(60):
        while True:
            try:
                client = await remote(relay, index)
            except (InvalidStatus, OSError):  # 502 from Caddy while the tunnel is down
                await asyncio.sleep(0.2)
                continue
            break
    await client.send({"type": "hello", "room_token": room.room_token, "resume_token": resume})
    await client.recv_type("joined", timeout=20)
    return client


def card(pid: int, n: int) -> dict[str, Any]:
    return {"type": "reflect", "id": f"p{pid:02d}-card-{n}", "phase": MIXED, "text": f"{pid}/{n}"}


async def test_the_tunnel_cut_and_restored_mid_session_delivers_every_queued_card_once(
    online: tuple[RoomServer, Tunnel, list[TunnelStatus]], relay: Relay, room: Room, store: Store
) -> None:
    server, tunnel, seen = online
    room.live.start(MIXED)
    people = []
    for i in range(10):
        client = await remote(relay, i)
        joined = await join(client, room, f"Hemma {i}")
        await client.send(card(i, 0))
        assert (await client.recv_type("ack", timeout=20))["id"] == card(i, 0)["id"]
        people.append((client, joined["resume_token"]))
    # Card 1 goes out just as the link is cut: whether it arrived is unknown to the page,
    # so it stays in the outbox and is sent again (the server must store it once).
    for i, (client, _) in enumerate(people):
        await client.send(card(i, 1))
    seen.clear()
    relay.stop_sshd()
    await wait_for(lambda: tunnel.status.state != TunnelState.UP, relay)
    assert seen[0].state == TunnelState.DOWN and seen[0].problem == TunnelProblem.LINK_LOST
    # While it is down the relay answers 502 and the pages' outboxes fill (cards 2 and 3).
    with pytest.raises(InvalidStatus) as down:
        await remote(relay, 50)
    assert down.value.response.status_code == 502
    await wait_for(lambda: any(s.problem == TunnelProblem.UNREACHABLE for s in seen), relay)
    relay.start_sshd()
    await wait_for(lambda: tunnel.status.state == TunnelState.UP, relay)
    states = [s.state for s in seen]
    assert states[0] == TunnelState.DOWN and TunnelState.CONNECTING in states
    assert states[-1] == TunnelState.UP
    assert not seen[-1].pinned_now  # the same relay key, checked against the pinned one
    for i, (old, resume) in enumerate(people):
        await old.close()
        client = await reconnect(relay, i, resume, room)
        for n in (1, 2, 3):  # the outbox, in order
            await client.send(card(i, n))
            assert (await client.recv_type("ack", timeout=20))["id"] == card(i, n)["id"]
        await client.close()
    ids = sorted(r.id for r in store.reflections(room.session.id))
    assert ids == sorted(f"p{i:02d}-card-{n}" for i in range(10) for n in range(4))


async def test_plain_problems_login_refused_and_host_key_changed(
    room: Room, relay: Relay, tmp_path: Path
) -> None:
    settings = settings_for(relay, tmp_path)
    seen: list[TunnelStatus] = []
    # The relay's account lists another laptop's key.
    relay.authorize(asyncssh.generate_private_key("ssh-ed25519"))
    tunnel = Tunnel(settings, 9, on_status=seen.append, backoff=(0.1,))
    tunnel.start()
    await wait_for(lambda: tunnel.status.state == TunnelState.DOWN, relay)
    assert tunnel.status.problem == TunnelProblem.LOGIN_REFUSED
    assert tunnel.status.retry_in is None  # waits for someone to fix it, no hammering
    await asyncio.sleep(0.5)
    assert [s.state for s in seen] == [TunnelState.CONNECTING, TunnelState.DOWN]
    await tunnel.stop()
    assert tunnel.status.state == TunnelState.OFF

    # Pinned earlier: a relay that now shows another host key is refused.
    other = asyncssh.generate_private_key("ssh-ed25519")
    settings.known_hosts.parent.mkdir(parents=True, exist_ok=True)
    settings.known_hosts.write_text(
        f"[127.0.0.1]:{relay.ssh_port} {other.export_public_key().decode()}"
    )
    tunnel = Tunnel(settings, 9, backoff=(0.1,))
    tunnel.start()
    await wait_for(lambda: tunnel.status.state == TunnelState.DOWN, relay)
    assert tunnel.status.problem == TunnelProblem.HOST_KEY_CHANGED
    assert tunnel.status.retry_in is None
    # The pinned key is kept as it was: a changed relay never replaces it by itself.
    assert [
        k.public_data for k in pinned_keys(settings.known_hosts, "127.0.0.1", relay.ssh_port)
    ] == [other.public_data]
    await tunnel.stop()

    # The laptop's key file is gone (another user account, a cleaned config folder).
    from dataclasses import replace

    missing = replace(settings, key_file=tmp_path / "no-such-key")
    tunnel = Tunnel(missing, 9, backoff=(0.1,))
    tunnel.start()
    await wait_for(lambda: tunnel.status.state == TunnelState.DOWN, relay)
    assert tunnel.status.problem == TunnelProblem.KEY_FILE
    await tunnel.stop()


async def test_port_taken_on_the_relay_is_said_and_retried_until_free(
    room: Room, relay: Relay, tmp_path: Path
) -> None:
    import socket

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", relay.relay_port))
    squatter.listen()
    server = RoomServer(room, "127.0.0.1", 0)
    await server.start()
    server.set_public_url(relay.public_url)
    tunnel = Tunnel(settings_for(relay, tmp_path), server.port, backoff=(0.2,))
    tunnel.start()
    try:
        await wait_for(lambda: tunnel.status.problem == TunnelProblem.PORT_TAKEN, relay)
        assert tunnel.status.state == TunnelState.DOWN and tunnel.status.retry_in == 0.2
        squatter.close()
        await wait_for(lambda: tunnel.status.state == TunnelState.UP, relay)
        client = await remote(relay, 0)
        assert (await join(client, room, "Äntligen"))["type"] == "joined"
        await client.close()
    finally:
        squatter.close()
        await tunnel.stop()
        await server.stop()


# -- the console ----------------------------------------------------------------------------


def run_in(qtbot: Any, qloop: asyncio.AbstractEventLoop, coro: Any, timeout: int = 30_000) -> Any:
    task = qloop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def test_the_console_light_follows_the_tunnel_and_the_link_carries_the_relay_address(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, room: Room, relay: Relay, tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication

    from facilitator_ui.main_window import MainWindow
    from facilitator_ui.online import OnlineConfig, OnlineDialog
    from facilitator_ui.settings import Settings
    from tankesmedja.__main__ import OnlineSession
    from tests.test_ui_qr import decode_qr

    server = RoomServer(room, "127.0.0.1", 0)
    run_in(qtbot, qloop, server.start())
    settings = Settings.at(tmp_path / "settings.ini")
    window = MainWindow(room, server.join_info(), settings=settings)
    qtbot.addWidget(window)
    window.show()
    online = OnlineSession(window, server, settings)
    online.config_dir = tmp_path / "config"  # the test's own known_hosts
    assert not online.light.isVisible()  # no online session: no light

    # The facilitator fills in the dialog as IT told them.
    dialog = online.open_dialog()
    assert isinstance(dialog, OnlineDialog)
    dialog.enabled_box.setChecked(True)
    dialog.public_edit.setText(relay.public_url)
    dialog.host_edit.setText("127.0.0.1")
    dialog.port_spin.setValue(relay.ssh_port)
    dialog.user_edit.setText(relay.user)
    dialog.relay_port_spin.setValue(relay.relay_port)
    dialog.key_edit.setText(str(relay.key_file))
    dialog.accept()
    qtbot.waitUntil(lambda: online.light.state == "up", timeout=30_000)
    assert online.light.isVisible()
    assert online.light.label.text() == "Online: uppe"
    # Nobody arriving is now the relay's matter, and the help says so.
    assert "reläets adress" in window.reachability.causes_label.text()
    assert "SHA256:" in online.light.toolTip()
    assert "SHA256:" in window.statusBar().currentMessage()  # pinned on first use: shown
    # Saved in the user's settings, not in the workshop.
    assert OnlineConfig.load(settings.store).relay_port == relay.relay_port
    workshop = b"".join(
        p.read_bytes() for p in room.store.path.parent.glob(room.store.path.name + "*")
    )
    for secret in (str(relay.key_file), relay.public_url, "known_hosts"):
        assert secret.encode() not in workshop
    # QR code and copy-link button carry the relay's https address.
    url = f"{relay.public_url}/#t={room.room_token}"
    assert window.join_info.join_url == url
    window._copy_button.click()
    assert QGuiApplication.clipboard().text() == url
    shot = tmp_path / "qr.png"
    window.qr_widget.grab().save(str(shot))
    assert decode_qr(shot) == url

    again = online.open_dialog()
    assert isinstance(again, OnlineDialog)
    assert "Tunneln är uppe" in again.status_label.text()
    assert online.light.fingerprint and online.light.fingerprint in again.status_label.text()
    again.reject()

    relay.stop_sshd()  # the link is cut
    qtbot.waitUntil(lambda: online.light.state == "down", timeout=30_000)
    assert online.light.label.text() == "Online: nere"
    assert "bröts" in online.light.toolTip() or "svarar inte" in online.light.toolTip()
    relay.start_sshd()
    qtbot.waitUntil(lambda: online.light.state == "up", timeout=30_000)

    # Turned off: the light goes, the join address is this computer's again.
    run_in(qtbot, qloop, online.apply(OnlineConfig()))
    assert not online.light.isVisible()
    assert window.join_info.join_url.startswith("http://127.0.0.1:")
    assert "gästnätverk" in window.reachability.causes_label.text()
    run_in(qtbot, qloop, online.stop())
    run_in(qtbot, qloop, server.stop())


# -- the participant page in Chromium, over https through the relay ---------------------------


async def trusting_chromium(pw: Any, relay: Relay, home: Path) -> Any:
    """Chromium that trusts Caddy's test CA (its own NSS database) and resolves workshop.test.

    The real trust path: the CA goes into the NSS database of this browser's HOME only, never
    into the system's store; no certificate errors are ignored.
    """
    import subprocess

    from scripts.chromium import CHROMIUM, CHROMIUM_ARGS

    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-d",
            f"sql:{nssdb}",
            "-A",
            "-t",
            "C,,",
            "-n",
            "test-ca",
            "-i",
            str(relay.ca_file),
        ],
        check=True,
    )
    return await pw.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
        env={**__import__("os").environ, "HOME": str(home)},
    )


async def test_the_page_over_https_joins_over_wss_and_its_outbox_survives_a_cut(
    online: tuple[RoomServer, Tunnel, list[TunnelStatus]],
    relay: Relay,
    room: Room,
    store: Store,
    tmp_path: Path,
) -> None:
    import os
    import shutil

    from scripts.chromium import CHROMIUM
    from tests.test_page_live import PHONE, Watch, card_texts, wait_count
    from tests.test_page_live import join as page_join

    if not os.path.exists(CHROMIUM) or not shutil.which("certutil"):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and certutil (libnss3-tools) are needed in CI")
        pytest.skip("chromium or certutil missing")
    from playwright.async_api import async_playwright

    server, tunnel, _ = online
    async with async_playwright() as pw:
        browser = await trusting_chromium(pw, relay, tmp_path / "home")
        context = await browser.new_context(viewport=PHONE, locale="sv-SE")
        page = await context.new_page()
        watch = Watch(relay.public_url)
        watch.attach(page)
        await page.goto(f"{relay.public_url}/#t={room.room_token}")
        await page_join(page, "Distans Dahl", "Åmål", attendance="remote")
        [person] = store.participants(room.session.id)
        assert person.name == "Distans Dahl"
        assert watch.sockets == [f"wss://{HOST}:{relay.https_port}/ws"]

        room.live.start(MIXED)
        room.live.make_groups()
        await page.wait_for_selector("#card-form:not([hidden])")
        await page.fill("#card-text", "Före avbrottet")
        await page.click("#card-save")
        await wait_count(page, "#cards .save.saved", 1, timeout=20)

        relay.stop_sshd()  # the tunnel is cut mid-session
        await wait_for(lambda: tunnel.status.state != TunnelState.UP, relay)
        await page.wait_for_selector("#status:has-text('Anslutningen bröts')", timeout=20_000)
        for text in ("Under avbrottet 1", "Under avbrottet 2"):
            await page.fill("#card-text", text)
            await page.click("#card-save")
        assert await page.locator("#cards .save.saving").count() == 2
        await page.wait_for_timeout(1500)  # the page's reconnects hit Caddy's 502 meanwhile
        assert len(store.reflections(room.session.id)) == 1

        relay.start_sshd()
        await wait_for(lambda: tunnel.status.state == TunnelState.UP, relay)
        await wait_count(page, "#cards .save.saved", 3, timeout=60)
        stored = store.reflections(room.session.id)
        assert sorted(r.text for r in stored) == [
            "Före avbrottet",
            "Under avbrottet 1",
            "Under avbrottet 2",
        ]
        assert len({r.id for r in stored}) == 3
        assert len(await card_texts(page)) == 3
        # Zero CSP violations, no request outside the relay's origin, no script errors,
        # and every socket went over wss to the relay.
        assert watch.csp == [] and watch.foreign == [] and watch.errors == []
        assert set(watch.sockets) == {f"wss://{HOST}:{relay.https_port}/ws"}
        await context.close()
        await browser.close()


# -- settings, keys and the dialog (no relay needed) --------------------------------------------


def test_a_new_key_is_private_and_an_existing_one_is_kept(tmp_path: Path) -> None:
    import stat

    from room_server.tunnel import create_key, public_key_line

    path = tmp_path / "config" / "relay_key"
    line = create_key(path)
    assert line.startswith("ssh-ed25519 AAAA") and line.endswith("tankesmedja")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in path.read_text()
    assert create_key(path) == line == public_key_line(path)  # never replaced
    (tmp_path / "junk").write_text("not a key")
    with pytest.raises(ValueError):
        public_key_line(tmp_path / "junk")


def test_online_settings_live_in_the_user_settings_and_survive_bad_values(
    qtbot: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    from facilitator_ui.online import OnlineConfig, OnlineDialog

    path = tmp_path / "settings.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    for key, value in {
        "online/enabled": "true",
        "online/ssh_port": "99999",
        "online/public_url": "ftp://nope",
        "online/relay_port": "x",
    }.items():
        raw.setValue(key, value)
    raw.sync()
    config = OnlineConfig.load(QSettings(str(path), QSettings.Format.IniFormat))
    assert config.enabled and not config.complete
    assert (config.ssh_port, config.relay_port, config.public_url) == (22, 9001, "")

    made: list[Path] = []

    def make_key(where: Path) -> str:
        made.append(where)
        where.write_text("key")
        return "ssh-ed25519 AAAAtest tankesmedja"

    dialog = OnlineDialog(config, make_key=make_key, default_key_file=tmp_path / "relay_key")
    qtbot.addWidget(dialog)
    applied: list[object] = []
    dialog.applied.connect(applied.append)
    dialog.accept()  # on, but nothing filled in
    assert not applied and "Fyll i" in dialog.error_label.text()
    dialog.public_edit.setText("https://Workshop.Example.se/")
    dialog.host_edit.setText("relay.example.se")
    dialog.key_edit.setText(str(tmp_path / "missing"))
    dialog.accept()
    assert not applied and "finns inte" in dialog.error_label.text()
    dialog.create_key()
    assert made == [tmp_path / "relay_key"]
    assert dialog.public_key_edit.text() == "ssh-ed25519 AAAAtest tankesmedja"
    dialog.accept()
    [saved] = applied
    assert isinstance(saved, OnlineConfig)
    assert saved.public_url == "https://workshop.example.se"
    assert saved.key_file == str(tmp_path / "relay_key")
    saved.save(raw)
    assert OnlineConfig.load(QSettings(str(path), QSettings.Format.IniFormat)) == saved
