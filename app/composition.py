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
from typing import TYPE_CHECKING

from app.i18n import tr
from app.room import Room
from app.store import DB_NAME, Store, StoreError

if TYPE_CHECKING:
    from room_server.server import RoomServer

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


def announce(server: RoomServer) -> None:
    """Print the join address for the facilitator's terminal (kept out of the log on purpose).

    The address carries the room token; logs are shared with support and kept around, the
    terminal line is what the facilitator (or a script starting ``--headless``) reads.
    """
    print(
        f"Join address: {server.join_url} (room code {server.room.display_code})",
        file=sys.stderr,
        flush=True,
    )


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
        announce(server)
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


def run_self_test() -> int:
    """Check an installed or bundled app end to end; print each step; return 0 if all pass.

    Starts the room server on 127.0.0.1, fetches the participant page, joins one client
    over WebSocket, renders one municipality PDF and builds the console window offscreen,
    all in a temporary folder that is removed afterwards.
    """
    import json
    import os
    import tempfile
    import urllib.request

    from websockets.asyncio.client import connect

    from app.export.data import load
    from app.export.pdf import write_municipality_pdf
    from room_server.server import RoomServer

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    def step(name: str, ok: bool) -> bool:
        print(f"self-test: {name}: {'ok' if ok else 'FAILED'}", flush=True)
        return ok

    async def serve_and_join(room: Room) -> tuple[bool, bool]:
        server = RoomServer(room, "127.0.0.1", 0)
        await server.start()
        try:
            url = f"http://127.0.0.1:{server.port}/"
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            page = await asyncio.to_thread(lambda: opener.open(url, timeout=10).read())
            page_ok = b"app.js" in page
            async with connect(
                f"ws://127.0.0.1:{server.port}/ws",
                proxy=None,
                origin=server.origin,  # type: ignore[arg-type]
            ) as ws:
                await ws.send(json.dumps({"type": "hello", "room_token": room.room_token}))
                welcome = json.loads(await ws.recv())
                org = welcome["organisations"][0]["id"]
                await ws.send(
                    json.dumps(
                        {
                            "type": "join",
                            "name": "Självtest",
                            "organisation_id": org,
                            "role": "official",
                            "attendance": "in_room",
                        }
                    )
                )
                joined = json.loads(await ws.recv())
            return page_ok, joined.get("type") == "joined"
        finally:
            await server.stop()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        room = open_room(Path(tmp), None)
        try:
            page_ok, join_ok = asyncio.run(serve_and_join(room))
            results.append(step("participant page served", page_ok))
            results.append(step("one participant joined over WebSocket", join_ok))
            snapshot = load(room.store.path, None)
            org = snapshot.taking_part()[0]
            pdf = write_municipality_pdf(snapshot, org, Path(tmp) / "self-test.pdf", False)
            results.append(step("PDF rendered", pdf.read_bytes().startswith(b"%PDF")))
            from PySide6.QtWidgets import QApplication

            from facilitator_ui.main_window import MainWindow

            app = QApplication.instance() or QApplication(sys.argv[:1])
            window = MainWindow(room, RoomServer(room, "127.0.0.1", 0).join_info())
            window.show()
            app.processEvents()
            results.append(step("console window built", window.isVisible()))
            window.close()
        finally:
            room.store.close()
    return 0 if all(results) else 1


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
        announce(server)
        stop_bots = asyncio.Event()
        rehearsal_bots: list[object] = []  # keep the simulated participants referenced

        async def rehearse(count: int) -> None:
            # Simulated participants join over the real server, from this machine only.
            from room_server import bots

            joined = await bots.rehearse(
                f"ws://127.0.0.1:{server.port}/ws",
                room.room_token,
                count,
                seed=len(rehearsal_bots) + 1,
                stop=stop_bots,
                arrival=min(10.0, count / 10),
            )
            rehearsal_bots.extend(joined)

        window = MainWindow(room, server.join_info(), rehearse=rehearse)
        window.closed.connect(closing.set)
        window.show()
        await closing.wait()
        stop_bots.set()
        window.hide()
        await server.stop()

    try:
        with loop:
            loop.run_until_complete(main())
    finally:
        room.store.close()
    return exit_code
