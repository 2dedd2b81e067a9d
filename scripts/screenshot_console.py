r"""Render the facilitator console with a realistic room and save it as ``docs/console.png``.

The README's screenshot. No server runs: the join information is built directly so the picture
shows the LAN address a facilitator would really see, not 127.0.0.1 and a random port. Run it
under a virtual screen for a real window::

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        python scripts/screenshot_console.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app import i18n
from app.model import Attendance, Role
from app.protocol import Join
from app.room import JoinInfo, Room
from app.store import Store
from facilitator_ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1600, 1000
PORT = 8765
BASE_URL = f"http://192.168.1.20:{PORT}"

# Short names keep the table below readable.
ELECTED, OFFICIAL = Role.ELECTED, Role.OFFICIAL
HERE, REMOTE = Attendance.IN_ROOM, Attendance.REMOTE

# (name, organisation, role, function, attendance, connected now)
PEOPLE: tuple[tuple[str, str, Role, str, Attendance, bool], ...] = (
    ("Anna Karlsson", "Uddevalla", ELECTED, "", HERE, True),
    ("Erik Johansson", "Uddevalla", OFFICIAL, "kommundirektör", HERE, True),
    ("Sara Lindqvist", "Uddevalla", OFFICIAL, "IT-chef", REMOTE, False),
    ("Maria Andersson", "Trollhättan", ELECTED, "", HERE, True),
    ("Johan Berg", "Trollhättan", OFFICIAL, "digitaliseringsansvarig", HERE, True),
    ("Lena Nilsson", "Vänersborg", ELECTED, "", HERE, True),
    ("Per Olsson", "Vänersborg", OFFICIAL, "IT-chef", REMOTE, True),
    ("Karin Svensson", "Åmål", ELECTED, "", HERE, False),
    ("Mats Gustafsson", "Åmål", OFFICIAL, "kommundirektör", HERE, True),
    ("Eva Persson", "Lysekil", OFFICIAL, "digitaliseringsansvarig", REMOTE, True),
    ("Lars Eriksson", "Tanum", ELECTED, "", HERE, True),
    ("Ingrid Larsson", "Tanum", OFFICIAL, "IT-chef", HERE, False),
    ("Ahmed Hassan", "Fyrbodals kommunalförbund", OFFICIAL, "", HERE, True),
    ("Sofia Ek", "Munkedal", ELECTED, "", REMOTE, False),
)


def populate(room: Room) -> None:
    """Join the sample people to ``room`` and connect those marked connected."""
    org_ids = {org.name: org.id for org in room.series.organisations}
    for name, org, role, function, attendance, connected in PEOPLE:
        result = room.join(Join(name, org_ids[org], role, attendance, function))
        if connected:
            room.attach(result.participant.id)


def settle(app: QApplication, ms: int = 400) -> None:
    """Let Qt lay out and paint (and the window manager map the window) before grabbing."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def main(argv: list[str] | None = None) -> int:
    """Render the console and save the screenshot; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "console.png")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default=i18n.DEFAULT_LANGUAGE)
    parser.add_argument("--verbose", action="store_true", help="print layout sizes")
    parser.add_argument(
        "--whole-screen",
        action="store_true",
        help="capture the X screen (proves a real window was mapped) instead of the widget",
    )
    args = parser.parse_args(argv)
    i18n.set_language(args.lang)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setApplicationName("Tankesmedja")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "screenshot.sqlite3")
        try:
            room = Room(store)
            info = JoinInfo(
                join_url=f"{BASE_URL}/#t={room.room_token}",
                base_url=BASE_URL,
                room_code=room.display_code,
                requested_port=PORT,
                port=PORT,
                loopback_only=False,
            )
            window = MainWindow(room, info)
            window.resize(WIDTH, HEIGHT)
            window.show()
            settle(app)
            populate(room)  # after show: the roster is filled live, as in a real session
            settle(app)
            if args.verbose:
                qr = window.qr_widget
                print("qr widget", qr.size().toTuple(), "modules", qr.modules(), file=sys.stderr)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            shot = app.primaryScreen().grabWindow(0) if args.whole_screen else window.grab()
            if not shot.save(str(args.out)):
                print(f"could not write {args.out}", file=sys.stderr)
                return 1
            window.close()
        finally:
            store.close()
        print(info.join_url)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
