"""Desktop conventions: the log file, errors shown without ending the session, Qt in Swedish."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication
from websockets.asyncio.client import connect

from app import logs
from app.room import Room
from facilitator_ui.desktop import ErrorReporter, QtLanguage, app_icon
from room_server.server import RoomServer


@pytest.fixture
def log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(logs, "_fault_file", [])  # a fresh faulthandler file for this test
    path = logs.setup_logging()
    yield path
    for handler in logs._installed:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logs._installed.clear()
    for handle in logs._fault_file:
        import faulthandler

        faulthandler.disable()
        handle.close()


@pytest.fixture
def hooks():
    saved = sys.excepthook, threading.excepthook
    yield
    sys.excepthook, threading.excepthook = saved


class _Button(QObject):
    clicked = Signal()


def test_the_log_goes_to_a_file_in_the_user_log_folder(log_file: Path, tmp_path: Path) -> None:
    assert log_file == tmp_path / "state" / "tankesmedja" / "log" / "tankesmedja.log"
    logging.getLogger("tankesmedja").info("started with %d people", 88)
    assert "started with 88 people" in log_file.read_text("utf-8")
    assert (log_file.parent / "faulthandler.log").exists()


def test_tokens_never_reach_the_log_file(log_file: Path) -> None:
    log = logging.getLogger("room_server.server")
    log.warning("page asked for http://192.168.1.20:8765/#t=w_XaqdIHsv1-rL-b")
    try:
        raise ValueError(
            'bad hello {"room_token": "w_XaqdIHsv1-rL-b", "resume_token": "r9f8e7d6c5b4"}'
        )
    except ValueError:
        log.exception("could not parse")
    text = log_file.read_text("utf-8")
    assert "could not parse" in text and "Traceback" in text
    assert "w_XaqdIHsv1-rL-b" not in text and "r9f8e7d6c5b4" not in text
    assert "#t=…" in text


def test_qt_messages_reach_the_log(log_file: Path) -> None:
    from PySide6.QtCore import qWarning

    from facilitator_ui.desktop import route_qt_messages

    route_qt_messages()
    qWarning("a warning from Qt itself")
    assert "qt: a warning from Qt itself" in log_file.read_text("utf-8")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_is_logged_shown_and_the_server_keeps_serving(
    qtbot, qapp: QApplication, room: Room, log_file: Path, hooks: None
) -> None:
    reporter = ErrorReporter(log_file)
    reporter.install()
    button = _Button()

    def broken_slot() -> None:
        raise RuntimeError("the groups view fell over")

    button.clicked.connect(broken_slot)
    seen: dict[str, object] = {}

    async def scenario() -> None:
        server = RoomServer(room, "127.0.0.1", 0)
        await server.start()
        try:
            button.clicked.emit()  # the slot raises, as a click on a broken button would
            for _ in range(100):
                if reporter.dialog is not None and reporter.dialog.isVisible():
                    break
                await asyncio.sleep(0.02)
            seen["dialog"] = reporter.dialog is not None and reporter.dialog.isVisible()
            # The dialog is open and not modal: a participant still joins.
            url = f"ws://127.0.0.1:{server.port}/ws"
            origin = f"http://127.0.0.1:{server.port}"
            async with connect(url, proxy=None, origin=origin) as ws:  # type: ignore[arg-type]
                await ws.send(json.dumps({"type": "hello", "room_token": room.room_token}))
                welcome = json.loads(await ws.recv())
                await ws.send(
                    json.dumps(
                        {
                            "type": "join",
                            "name": "Karin",
                            "role": "elected",
                            "attendance": "in_room",
                            "organisation_id": welcome["organisations"][0]["id"],
                        }
                    )
                )
                while (message := json.loads(await ws.recv()))["type"] != "joined":
                    pass
                seen["joined"] = message["type"]
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(asyncio.wait_for(scenario(), 20))

    assert seen == {"dialog": True, "joined": "joined"}
    assert reporter.dialog is not None
    text = reporter.dialog.text()
    assert "the groups view fell over" in text
    assert str(log_file) in text and "Träffen fortsätter" in text
    logged = log_file.read_text("utf-8")
    assert "unhandled error" in logged and "RuntimeError: the groups view fell over" in logged
    assert "broken_slot" in logged  # with its traceback
    reporter.dialog.close()


@pytest.mark.qt_no_exception_capture
def test_a_burst_of_errors_shows_one_dialog(qtbot, log_file: Path, hooks: None) -> None:
    reporter = ErrorReporter(log_file)
    reporter.install()
    for _ in range(5):
        try:
            raise KeyError("card")
        except KeyError:
            sys.excepthook(*sys.exc_info())
    # An error in another thread is logged at once and shown on the Qt side.
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "6 gånger" in reporter.dialog.text())
    assert len([w for w in QApplication.topLevelWidgets() if w is reporter.dialog]) == 1
    assert log_file.read_text("utf-8").count("unhandled error") == 6
    reporter.dialog.close()


def test_qt_standard_buttons_speak_the_consoles_language(qapp: QApplication) -> None:
    language = QtLanguage(qapp)
    try:
        assert language.use("sv")
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Avbryt"
        assert QCoreApplication.translate("QFileDialog", "Save As") == "Spara som"
        assert language.use("en")  # English is Qt's own: the Swedish catalogue comes off
        assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    finally:
        language.use("en")


def test_the_app_icon_has_every_size(qapp: QApplication) -> None:
    sizes = {(s.width(), s.height()) for s in app_icon().availableSizes()}
    assert {(16, 16), (32, 32), (48, 48), (256, 256), (512, 512)} <= sizes


def test_desktop_entry_puts_the_app_in_the_menu_with_its_icon(tmp_path: Path) -> None:
    import configparser
    import subprocess

    env = {**__import__("os").environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    done = subprocess.run(
        [sys.executable, "-m", "tankesmedja", "desktop-entry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    entry = tmp_path / "share" / "applications" / "se.tankesmedja.Tankesmedja.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(entry, encoding="utf-8")
    keys = parser["Desktop Entry"]
    assert keys["Type"] == "Application" and keys["Name"] == "Tankesmedja"
    assert keys["Icon"] == "tankesmedja" and keys["Terminal"] == "false"
    # Exec runs this very installation (here: this interpreter with -m tankesmedja).
    assert keys["Exec"].split()[0] == str(Path(sys.executable).resolve())
    icon = tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "tankesmedja.png"
    from PIL import Image

    assert Image.open(icon).size == (256, 256)
