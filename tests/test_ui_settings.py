"""Settings remembered between runs, the public join address, and the reachability help.

QSettings is always isolated here: an INI file in the test's temporary folder, an in-memory
store, or (for the real console process) a private XDG_CONFIG_HOME.
"""

from __future__ import annotations

import os

# Before Qt is imported (tests/conftest.py does the same; this keeps the module runnable alone).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import json
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app import i18n
from app.model import Attendance, Role
from app.protocol import Join
from app.room import JoinInfo, Room, normalise_public_url
from facilitator_ui.audience_window import AudienceView
from facilitator_ui.main_window import MainWindow
from facilitator_ui.settings import Settings, SettingsDialog
from room_server.server import RoomServer
from tests.test_ui_qr import decode_qr
from tests.ui_helpers import FakeClock

SV = i18n.catalogue("sv")
EN = i18n.catalogue("en")
PUBLIC = "https://workshop.example.se"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.at(tmp_path / "settings.ini")


def lan_server(room: Room) -> RoomServer:
    """A server that is never started: its join information as on a LAN at port 8765."""
    return RoomServer(room, None, 8765, advertise_host="192.168.1.20")


# -- settings ---------------------------------------------------------------------------------


def test_settings_round_trip_through_the_ini_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    first = Settings.at(path)
    assert (first.language, first.port, first.host, first.public_url) == (None, None, None, None)
    assert first.last_workshop is None and first.audience_screen is None
    first.language = "en"
    first.port = 9000
    first.host = "192.168.1.20"
    first.public_url = "HTTPS://Workshop.Example.se/"
    first.last_workshop = tmp_path / "workshop"
    first.audience_screen = "HDMI-1"
    first.sync()

    again = Settings.at(path)
    assert again.language == "en"
    assert again.port == 9000
    assert again.host == "192.168.1.20"
    assert again.public_url == PUBLIC  # kept in the form browsers send as the Origin
    assert again.last_workshop == str(tmp_path / "workshop")
    assert again.audience_screen == "HDMI-1"

    again.public_url = None
    again.host = ""
    again.sync()
    assert Settings.at(path).public_url is None and Settings.at(path).host is None


def test_stale_or_hand_edited_values_fall_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    for key, value in {
        "language": "de",
        "server/port": "99999",
        "server/host": "not an address",
        "server/public_url": "ftp://x",
    }.items():
        raw.setValue(key, value)
    raw.sync()
    stored = Settings.at(path)
    assert (stored.language, stored.port, stored.host, stored.public_url) == (
        None,
        None,
        None,
        None,
    )
    with pytest.raises(ValueError):
        stored.port = 70000
    with pytest.raises(ValueError):
        stored.public_url = "https://x.se/path"


def test_without_a_store_settings_live_in_memory_only() -> None:
    memory = Settings()
    memory.port = 0
    assert memory.port == 0 and Settings().port is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://workshop.example.se", PUBLIC),
        ("https://workshop.example.se/", PUBLIC),
        ("https://WORKSHOP.example.se:443", PUBLIC),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("", None),
        ("   ", None),
    ],
)
def test_public_addresses_are_normalised(text: str, expected: str | None) -> None:
    assert normalise_public_url(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "workshop.example.se",
        "ftp://workshop.example.se",
        "https://workshop.example.se/tankesmedja",
        "https://workshop.example.se/?a=1",
        "https://workshop.example.se/#t=x",
        "https://user@workshop.example.se",
        "https://bad_host.se",
        "https://",
        "https://x.se:0",
    ],
)
def test_other_public_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalise_public_url(text)


def test_the_language_menu_is_remembered(qtbot, room: Room, settings: Settings) -> None:
    window = MainWindow(room, lan_server(room).join_info(), settings=settings)
    qtbot.addWidget(window)
    window.language_action("en").trigger()
    assert settings.language == "en"
    window.language_action("sv").trigger()
    assert Settings.at(Path(settings.store.fileName())).language == "sv"


def test_the_settings_dialog_saves_applies_and_says_what_waits_for_a_restart(
    qtbot, room: Room, settings: Settings
) -> None:
    server = lan_server(room)
    window = MainWindow(
        room,
        server.join_info(),
        settings=settings,
        set_public_url=server.set_public_url,
        interfaces=lambda: ["192.168.1.20", "10.0.0.7"],
    )
    qtbot.addWidget(window)
    window.show()
    dialog = window.open_settings()
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    assert dialog.windowTitle() == SV["settings_title"]
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert SV["settings_restart_hint"] in texts
    assert dialog.port_spin.value() == 8765
    assert [dialog.host_combo.itemText(i) for i in range(dialog.host_combo.count())] == [
        SV["settings_host_all"],
        "192.168.1.20",
        "10.0.0.7",
    ]

    dialog.public_edit.setText("https://workshop.example.se/path")
    dialog.accept()  # refused: the dialog stays open and says why
    assert dialog.isVisible() and dialog.error_label.text() == SV["settings_public_invalid"]
    assert settings.public_url is None
    dialog.host_combo.setEditText("not-an-address")
    dialog.public_edit.setText(PUBLIC)
    dialog.accept()
    assert dialog.isVisible() and "not-an-address" in dialog.error_label.text()

    dialog.host_combo.setCurrentIndex(2)
    dialog.port_spin.setValue(9100)
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.accept()
    assert not dialog.isVisible()
    assert (settings.port, settings.host, settings.public_url, settings.language) == (
        9100,
        "10.0.0.7",
        PUBLIC,
        "en",
    )
    # The language and the public address apply at once; the port waits for a restart.
    assert i18n.language() == "en" and window.windowTitle() == EN["app_title"]
    assert window.join_info.join_url == f"{PUBLIC}/#t={room.room_token}"
    assert window.join_info.port == 8765


def test_an_untouched_port_stays_unset(qtbot, room: Room, settings: Settings) -> None:
    window = MainWindow(room, lan_server(room).join_info(), settings=settings)
    qtbot.addWidget(window)
    dialog = window.open_settings()
    dialog.accept()
    assert settings.port is None and settings.host is None and settings.language == "sv"


# -- the public address -------------------------------------------------------------------------


def test_a_public_address_changes_the_qr_code_and_the_address_lines(
    qtbot, room: Room, settings: Settings, tmp_path: Path
) -> None:
    server = lan_server(room)
    window = MainWindow(
        room, server.join_info(), settings=settings, set_public_url=server.set_public_url
    )
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    audience = window.audience
    audience.resize(1280, 720)
    audience.show()
    assert audience.view() == AudienceView.QR

    info = window.apply_public_url("https://Workshop.example.se/")
    expected = f"{PUBLIC}/#t={room.room_token}"
    assert isinstance(info, JoinInfo) and info.public and info.join_url == expected
    assert window.address_label.text() == expected
    assert SV["join_or_type"].format(address=PUBLIC) in [
        label.text() for label in window.findChildren(QLabel)
    ]
    png = tmp_path / "console-qr.png"
    assert window.qr_widget.grab().save(str(png))
    assert decode_qr(png) == expected
    # The projector shows the same code, and the short address without the token.
    assert audience.join_page.address_label.text() == PUBLIC
    png = tmp_path / "audience-qr.png"
    assert audience.join_page.qr_widget.grab().save(str(png))
    assert decode_qr(png) == expected
    assert settings.public_url == PUBLIC

    with pytest.raises(ValueError):
        window.apply_public_url("https://workshop.example.se/sub")
    assert window.join_info.join_url == expected  # unchanged
    window.apply_public_url(None)
    assert window.join_info.join_url == f"http://192.168.1.20:8765/#t={room.room_token}"
    assert settings.public_url is None


def test_a_public_address_is_not_a_loopback_warning(room: Room) -> None:
    server = RoomServer(room, None, 8765, advertise_host="127.0.0.1")
    server.loopback_only = True
    assert server.join_info().loopback_only
    info = server.set_public_url(PUBLIC)
    assert not info.loopback_only and info.public and info.base_url == PUBLIC


async def handshake(port: int, origin: str, token: str) -> dict[str, object]:
    async with connect(
        f"ws://127.0.0.1:{port}/ws",
        proxy=None,
        origin=origin,  # type: ignore[arg-type]
    ) as ws:
        await ws.send(json.dumps({"type": "hello", "room_token": token}))
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def test_the_server_accepts_pages_from_the_public_address(
    server: RoomServer, room: Room
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await handshake(server.port, PUBLIC, room.room_token)
    assert refused.value.response.status_code == 403

    info = server.set_public_url(PUBLIC + "/")
    assert info.join_url == f"{PUBLIC}/#t={room.room_token}" and info.base_url == PUBLIC
    welcome = await handshake(server.port, PUBLIC, room.room_token)
    assert welcome["type"] == "welcome"
    # This machine's own address keeps working; strangers are still refused.
    local = await handshake(server.port, f"http://127.0.0.1:{server.port}", room.room_token)
    assert local["type"] == "welcome"
    for origin in ("https://evil.example", "http://workshop.example.se", PUBLIC + ":8443"):
        with pytest.raises(InvalidStatus) as refused:
            await handshake(server.port, origin, room.room_token)
        assert refused.value.response.status_code == 403

    with pytest.raises(ValueError):
        server.set_public_url("https://workshop.example.se/tankesmedja")
    assert server.join_info().base_url == PUBLIC  # a refused address changes nothing
    server.set_public_url(None)
    with pytest.raises(InvalidStatus):
        await handshake(server.port, PUBLIC, room.room_token)


async def test_devices_that_open_the_page_are_counted_once(server: RoomServer) -> None:
    assert server.device_counts() == (0, 0)

    async def fetch(path: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        writer.close()
        await writer.wait_closed()

    await fetch("/")
    await fetch("/app.js")  # the page's files are not a new device
    await fetch("/")
    assert server.device_counts() == (1, 0)  # this machine: loopback
    server._seen_device("192.168.1.34")  # a phone on the LAN (tests only talk to 127.0.0.1)
    server._seen_device("192.168.1.34")
    server._seen_device("::ffff:127.0.0.1")  # IPv4 loopback seen through an IPv6 socket
    server._seen_device("fe80::1%eth0")
    assert server.device_counts() == (4, 2)


# -- reachability help ----------------------------------------------------------------------------


def test_reachability_help_appears_after_a_minute_with_nobody_and_goes_when_someone_arrives(
    qtbot, room: Room
) -> None:
    clock = FakeClock()
    counts = [(1, 0)]  # only this computer has opened the page
    window = MainWindow(
        room,
        lan_server(room).join_info(),
        clock=clock,
        devices_seen=lambda: counts[0],
        reachability_after=60,
    )
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    panel = window.reachability
    assert window.statusBar().isAncestorOf(panel.count_label)
    panel.poll()
    assert panel.count_label.text() == SV["devices_seen"].format(count=1)
    assert not panel.help_visible()

    clock.now += 59
    panel.poll()
    assert not panel.help_visible()
    clock.now += 2
    with qtbot.waitSignal(panel.helpShown) as shown:
        panel.poll()
    assert shown.args == [True] and panel.isVisible()
    text = " ".join((panel.title_label.text(), panel.causes_label.text(), panel.fixes_label.text()))
    for words in ("gästnätverk", "brandvägg", "hotspot", "offentlig adress"):
        assert words in text

    counts[0] = (2, 1)  # a phone arrived
    panel.poll()
    assert not panel.isVisible()
    assert panel.count_label.text() == SV["devices_seen"].format(count=2)
    counts[0] = (2, 0)
    clock.now += 600
    panel.poll()
    assert not panel.isVisible()  # someone got through: the network works


def test_in_an_online_session_the_help_speaks_of_the_relay_not_the_wifi(qtbot, room: Room) -> None:
    clock = FakeClock()
    window = MainWindow(
        room,
        lan_server(room).join_info(),
        clock=clock,
        devices_seen=lambda: (1, 0),
        reachability_after=60,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    panel = window.reachability
    panel.set_online("down")  # what the composition root says when the tunnel reports
    panel.poll()
    clock.now += 61
    panel.poll()
    assert panel.help_visible()
    text = panel.causes_label.text() + " " + panel.fixes_label.text()
    assert text == SV["reach_causes_online"] + " " + SV["reach_fixes_online"]
    for words in ("reläets adress", "lampan", "Kopiera länken", "mobildata"):
        assert words in text
    assert "gästnätverk" not in text and "brandvägg" not in text
    window._switch_language("en")  # Visa → English
    assert "relay" in panel.causes_label.text()
    window._switch_language("sv")
    panel.set_online("off")  # the online session turned off: the room's network again
    assert panel.causes_label.text() == SV["reach_causes"]


def test_someone_connected_through_a_local_tunnel_counts_as_arrived(qtbot, room: Room) -> None:
    clock = FakeClock()
    window = MainWindow(
        room,
        lan_server(room).join_info(),
        clock=clock,
        devices_seen=lambda: (1, 0),  # every device came through 127.0.0.1
        reachability_after=60,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    org = room.series.organisations[0]
    pid = room.join(Join("Distans", org.id, Role.OFFICIAL, Attendance.REMOTE, "")).participant.id
    room.attach(pid)
    window.reachability.poll()
    clock.now += 120
    window.reachability.poll()
    assert not window.reachability.help_visible()


def test_the_minute_counts_only_while_the_qr_code_is_on_show(qtbot, room: Room) -> None:
    clock = FakeClock()
    window = MainWindow(
        room,
        lan_server(room).join_info(),
        clock=clock,
        devices_seen=lambda: (0, 0),
        reachability_after=60,
    )
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    panel = window.reachability
    window.tabs.setCurrentWidget(window.program_panel)  # no QR code on the console
    panel.poll()
    clock.now += 120
    panel.poll()
    assert not panel.help_visible()

    window.audience.show()  # the projector shows the QR code
    panel.poll()
    clock.now += 61
    panel.poll()
    assert panel.help_visible()
    panel.dismiss_button.click()
    assert not panel.help_visible()
    clock.now += 600
    panel.poll()
    assert not panel.help_visible()  # dismissed for this run


def test_without_a_counter_there_is_no_help_and_no_count(qtbot, room: Room) -> None:
    window = MainWindow(room, lan_server(room).join_info())
    qtbot.addWidget(window)
    window.show()
    window.reachability.poll()
    assert not window.reachability.help_visible()
    assert not window.reachability.count_label.isVisibleTo(window)


# -- the real console: flags win, settings fill in ------------------------------------------------


def wait_for_output(proc: subprocess.Popen[bytes], pattern: str, seconds: float) -> re.Match[str]:
    """Return the first match of ``pattern`` in the process's stderr, failing after ``seconds``.

    Never blocks past the deadline, even if the process hangs without a word.
    """
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    seen = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(timeout=left):
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
            match = re.search(pattern, seen.decode("utf-8", "replace"))
            if match:
                return match
    raise AssertionError(f"no {pattern!r} within {seconds} s:\n{seen.decode('utf-8', 'replace')}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_console_takes_what_the_flags_leave_out_from_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "config"
    port = free_port()
    stored = QSettings(str(config / "Tankesmedja" / "Tankesmedja.conf"), QSettings.Format.IniFormat)
    stored.setValue("server/port", str(port))
    stored.setValue("server/public_url", PUBLIC)
    stored.sync()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "--data-dir",
            str(tmp_path / "data"),
            "--host",
            "127.0.0.1",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONUNBUFFERED": "1",
            "XDG_CONFIG_HOME": str(config),
        },
    )
    try:
        match = wait_for_output(proc, r"Join address: (\S+)/#t=(\S+)", 60)
        assert match.group(1) == PUBLIC  # the saved public address, applied at start
        # The saved port (no --port given), and pages from the public address may connect.
        welcome = asyncio.run(handshake(port, PUBLIC, match.group(2)))
        assert welcome["type"] == "welcome"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
