"""The join panel: the QR code says exactly what is written under it; warnings; languages."""

from __future__ import annotations

import os

# Before Qt is imported (tests/conftest.py does the same; this keeps the module runnable alone).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QLabel, QPushButton

from app import i18n
from app.model import Attendance, Role
from app.protocol import Join
from app.room import JoinInfo, Room
from facilitator_ui.main_window import MainWindow
from facilitator_ui.qr_widget import QrWidget

SV = i18n.catalogue("sv")
EN = i18n.catalogue("en")


def join_info(
    room: Room, *, port: int = 8765, requested: int = 8765, loopback: bool = False
) -> JoinInfo:
    base = f"http://{'127.0.0.1' if loopback else '192.168.1.20'}:{port}"
    return JoinInfo(
        f"{base}/#t={room.room_token}", base, room.display_code, requested, port, loopback
    )


@pytest.fixture
def window(qtbot, room: Room) -> MainWindow:  # noqa: ANN001
    win = MainWindow(room, join_info(room))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


def decode_qr(png: Path) -> str:
    """Decode the one QR code in ``png`` with zbarimg (or zxing-cpp where zbar is missing)."""
    if shutil.which("zbarimg"):
        done = subprocess.run(
            ["zbarimg", "--raw", "-q", str(png)], capture_output=True, text=True, timeout=20
        )
        assert done.returncode == 0, f"zbarimg found no QR code (exit {done.returncode})"
        return done.stdout.rstrip("\n")
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must decode the QR code: install zbar-tools (zbarimg) or zxing-cpp")
        pytest.skip("neither zbarimg (Debian: zbar-tools) nor zxing-cpp is installed")
    results = zxingcpp.read_barcodes(Image.open(png))
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    return results[0].text


def test_the_qr_code_encodes_exactly_the_address_written_under_it(
    window: MainWindow, tmp_path: Path
) -> None:
    qr = window.qr_widget
    assert qr.width() >= 300 and qr.height() >= 300  # a 1400×900 window; projector: larger
    png = tmp_path / "qr.png"
    assert qr.grab().save(str(png))

    written = window.address_label.text()
    assert written == window.join_info.join_url == qr.text()
    assert decode_qr(png) == written
    assert window.address_label.textFormat() == Qt.TextFormat.PlainText
    assert (
        window.address_label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    )


def test_a_new_join_info_redraws_the_code(window: MainWindow, room: Room, tmp_path: Path) -> None:
    window.set_join_info(join_info(room, port=8770, requested=8765))
    png = tmp_path / "qr.png"
    assert window.qr_widget.grab().save(str(png))
    assert decode_qr(png) == window.address_label.text()
    assert ":8770/#t=" in window.address_label.text()


def test_the_code_is_drawn_crisp_black_on_white(window: MainWindow) -> None:
    qr = window.qr_widget
    rect = qr.code_rect()
    assert rect.width() == rect.height() >= 300
    assert rect.width() % qr.modules() == 0  # a whole number of pixels per module
    image = qr.grab().toImage().copy(rect).convertToFormat(QImage.Format.Format_RGB32)
    colours = set(memoryview(image.constBits()).cast("I"))
    assert colours == {0xFF000000, 0xFFFFFFFF}  # no grey: nothing was smoothed
    assert qr.accessibleName() == SV["qr_accessible"]


def test_an_empty_text_draws_no_code(qtbot) -> None:
    qr = QrWidget()
    qtbot.addWidget(qr)
    assert qr.text() == "" and qr.modules() == 0 and qr.code_rect().isEmpty()
    qr.setText("http://10.0.0.2:8765/#t=abc")
    assert qr.modules() >= 21 + 8  # version 1 plus the four-module quiet zone on each side


def test_the_room_code_and_short_address_are_shown(window: MainWindow, room: Room) -> None:
    assert window.code_label.text() == room.display_code
    assert window.code_label.font().pixelSize() >= 56 and window.code_label.font().bold()
    or_type = SV["join_or_type"].format(address="http://192.168.1.20:8765")
    assert or_type in [label.text() for label in window.findChildren(QLabel)]


def test_copy_puts_the_join_address_on_the_clipboard(window: MainWindow) -> None:
    button = window.findChild(QPushButton, "copyButton")
    assert button.text() == SV["copy_link"]
    button.click()
    assert QGuiApplication.clipboard().text() == window.join_info.join_url
    assert window.statusBar().currentMessage() == SV["link_copied"]


@pytest.mark.parametrize(
    ("port", "loopback", "port_warning", "loopback_warning"),
    [
        (8765, False, False, False),
        (8766, False, True, False),
        (8765, True, False, True),
        (8766, True, True, True),
    ],
)
def test_the_warning_banner_shows_only_when_there_is_something_to_warn_about(
    window: MainWindow,
    room: Room,
    port: int,
    loopback: bool,
    port_warning: bool,
    loopback_warning: bool,
) -> None:
    window.set_join_info(join_info(room, port=port, requested=8765, loopback=loopback))
    banner = window.banner
    assert banner.isVisible() == (port_warning or loopback_warning)
    shown = [label.text() for label in banner.findChildren(QLabel) if label.isVisible()]
    shown = [text for text in shown if text]  # the warning icon is a label with no text
    expected = []
    if port_warning:
        expected.append(SV["warn_port_fallback"].format(requested=8765, port=port))
    if loopback_warning:
        expected.append(SV["warn_loopback"])
    assert shown == expected

    window.set_join_info(join_info(room))  # e.g. restarted on the right port
    assert not banner.isVisible()


def test_the_language_menu_switches_every_text_and_back(
    qtbot, window: MainWindow, room: Room
) -> None:
    pid = room.join(
        Join("Anna", room.series.organisations[0].id, Role.ELECTED, Attendance.REMOTE, "")
    ).participant.id
    window.set_join_info(join_info(room, port=8766, requested=8765))
    model = window.roster_model
    row = model.index_of_participant(pid)

    with qtbot.waitSignal(window.languageChanged) as changed:
        window.language_action("en").trigger()
    assert changed.args == ["en"]
    assert window.windowTitle() == EN["app_title"]
    texts = {label.text() for label in window.findChildren(QLabel)}
    assert {EN["join_heading"], EN["join_scan"], EN["room_code"], EN["roster_heading"]} <= texts
    assert EN["warn_port_fallback"].format(requested=8765, port=8766) in texts
    assert window.totals_label.text() == "1 joined · 0 connected now"
    assert model.headerData(0, Qt.Orientation.Horizontal) == EN["col_name"]
    assert row.parent().data() == "Bengtsfors (1, 0 connected)"
    assert row.siblingAtColumn(1).data() == EN["role_elected"]
    assert window.menuBar().actions()[0].text() == EN["menu_file"]
    assert window.language_action("en").isChecked()
    assert window.qr_widget.accessibleName() == EN["qr_accessible"]

    window.language_action("sv").trigger()
    assert i18n.language() == "sv"
    assert window.windowTitle() == SV["app_title"]
    assert window.totals_label.text() == "1 anmäld · 0 anslutna nu"
    assert row.parent().data() == "Bengtsfors (1, 0 anslutna)"
    assert window.menuBar().actions()[1].text() == SV["menu_language"]


def test_quit_closes_the_window_with_ctrl_q_and_says_so(qtbot, window: MainWindow) -> None:
    from PySide6.QtGui import QAction

    file_menu = window.menuBar().actions()[0].menu()
    [quit_action] = [a for a in file_menu.actions() if a.menuRole() == QAction.MenuRole.QuitRole]
    assert quit_action.shortcut().toString() == "Ctrl+Q"
    assert quit_action.text().replace("&", "") == SV["menu_quit"].replace("&", "")
    with qtbot.waitSignal(window.closed):  # the composition root stops the server on this
        quit_action.trigger()
    assert not window.isVisible()


def test_every_console_text_key_exists_in_both_catalogues() -> None:
    import re

    source = "".join(
        path.read_text("utf-8")
        for path in (Path(__file__).resolve().parent.parent / "facilitator_ui").glob("*.py")
    )
    used = set(re.findall(r'\btr\(\s*"([a-z_]+)"', source))
    # Keys picked indirectly: tables of keys, and one menu entry per language.
    used |= set(re.findall(r'"((?:col|role|attendance|status)_[a-z_]+)"', source))
    used |= {f"lang_{lang}" for lang in i18n.LANGUAGES}
    assert len(used) > 25
    assert used <= set(SV) and used <= set(EN), used - (set(SV) & set(EN))
