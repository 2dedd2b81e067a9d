"""Composition root: builds the store, the room, the server and (for the console) the window.

This is the only module of ``app`` allowed to import Qt, qasync, the room server and the
console (see the import-linter contracts in ``pyproject.toml``). Nothing imports it but
``app.__main__``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import traceback
from pathlib import Path
from types import TracebackType

from app.i18n import tr
from app.room import Room
from app.store import DB_NAME, Store, StoreError

log = logging.getLogger("tankesmedja")


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # websockets logs every refused handshake at INFO; keep the facilitator's log readable.
    logging.getLogger("websockets").setLevel(logging.WARNING)


def open_room(data_dir: Path, session: int | None) -> Room:
    """Open (creating with the sample workshop if needed) the workshop in ``data_dir``.

    Raises:
        StoreError: if the folder or database cannot be used.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(tr("data_dir_error", path=data_dir, error=exc.strerror or exc)) from exc
    return Room(Store(data_dir / DB_NAME), session)


def run_headless(data_dir: Path, host: str | None, port: int, session: int | None) -> int:
    """Serve participants without a window until SIGINT/SIGTERM; return the exit code."""
    from room_server.server import RoomServer

    _setup_logging()
    try:
        room = open_room(data_dir, session)
    except (StoreError, ValueError) as exc:
        print(f"tankesmedja: {exc}", file=sys.stderr)
        return 2

    async def serve() -> None:
        server = RoomServer(room, host, port)
        await server.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    try:
        asyncio.run(serve())
    except OSError as exc:
        print(f"tankesmedja: {tr('server_failed', error=exc)}", file=sys.stderr)
        return 2
    finally:
        room.store.close()
    return 0


def run_simulate(argv: list[str]) -> int:
    """Run ``tankesmedja simulate``: a scripted session with simulated participants."""
    from room_server import simulate

    _setup_logging()
    return simulate.main(argv)


def run_console(data_dir: Path, host: str | None, port: int, session: int | None) -> int:
    """Open the facilitator console with the room server in Qt's loop; return the exit code."""
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from facilitator_ui.main_window import MainWindow
    from room_server.server import RoomServer

    _setup_logging()
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName("Tankesmedja")

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        # qasync routes errors from async slots here: log them and tell the facilitator,
        # instead of the default of printing to a terminal nobody is looking at.
        log.error("unhandled error", exc_info=(kind, value, tb))
        details = "".join(traceback.format_exception_only(kind, value)).strip()
        QMessageBox.critical(None, tr("error_title"), tr("error_text", error=details))

    sys.excepthook = excepthook

    try:
        room = open_room(data_dir, session)
    except (StoreError, ValueError) as exc:
        print(f"tankesmedja: {exc}", file=sys.stderr)
        QMessageBox.critical(None, tr("error_title"), str(exc))
        return 2

    loop = qasync.QEventLoop(qt_app)
    asyncio.set_event_loop(loop)
    # We end the loop ourselves, after the server has told participants the session ended;
    # letting Qt quit on the last window would stop the loop under the server's feet.
    qt_app.setQuitOnLastWindowClosed(False)
    closing = asyncio.Event()
    # Ctrl+C in the terminal or a session logout (SIGTERM) closes the console the normal way.
    # Python runs signal handlers only when it gets control, hence the idle timer that hands
    # it control a few times a second.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: loop.call_soon_threadsafe(closing.set))
    wakeup = QTimer()
    wakeup.start(250)
    wakeup.timeout.connect(lambda: None)
    exit_code = 0

    async def main() -> None:
        nonlocal exit_code
        server = RoomServer(room, host, port)
        try:
            await server.start()
        except OSError as exc:
            print(f"tankesmedja: {tr('server_failed', error=exc)}", file=sys.stderr)
            QMessageBox.critical(None, tr("error_title"), tr("server_failed", error=exc))
            exit_code = 2
            return
        window = MainWindow(room, server.join_info())
        window.closed.connect(closing.set)
        window.show()
        await closing.wait()
        window.hide()
        await server.stop()

    try:
        with loop:
            loop.run_until_complete(main())
    finally:
        room.store.close()
    return exit_code
