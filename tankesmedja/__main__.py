"""Entry point and composition root: ``tankesmedja`` and everything it builds.

The command line is parsed here; the store, the room, the server and (for the console) the
Qt application, the qasync loop and the window are built and wired here too. It sits in the
top layer, above the console and the room server (see the import-linter ``layers`` contract in
``pyproject.toml``); their imports happen inside the functions that need them, so
``tankesmedja groups`` or ``--help`` start fast and work without a display. Nothing imports
this module. Run it as ``tankesmedja`` or ``python -m tankesmedja``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app import i18n, installed_version
from app.i18n import tr
from app.logs import setup_logging
from app.paths import DEFAULT_PORT, default_data_dir
from app.room import Room
from app.store import DB_NAME, Store, StoreError

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from PySide6.QtWidgets import QWidget

    from facilitator_ui.main_window import MainWindow
    from facilitator_ui.settings import Settings
    from room_server.server import RoomServer
    from room_server.tunnel import Tunnel, TunnelStatus

log = logging.getLogger("tankesmedja")


def open_room(data_dir: Path, session: int | None, max_participants: int | None = None) -> Room:
    """Open (creating with the sample workshop if needed) the workshop in ``data_dir``.

    ``data_dir`` may also be a workshop file itself (``*.tankesmedja``, see
    :mod:`app.workshop`), as Arkiv > Öppna and the recent workshops remember them.
    ``max_participants`` (``--max-participants``) is remembered in the workshop.

    Raises:
        StoreError: if the folder or database cannot be used.
    """
    if data_dir.is_file():
        room = Room(Store(data_dir), session)
    else:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            error = exc.strerror or exc
            raise StoreError(tr("data_dir_error", path=data_dir, error=error)) from exc
        room = Room(Store(data_dir / DB_NAME), session)
    if max_participants is not None:
        room.set_max_participants(max_participants)
    return room


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


def run_headless(
    data_dir: Path,
    host: str | None,
    port: int,
    session: int | None,
    max_participants: int | None = None,
    *,
    public_url: str | None = None,
    trusted_proxies: list[str] | None = None,
    forwarded_header: str = "x-forwarded-for",
) -> int:
    """Serve participants without a window until SIGINT/SIGTERM; return the exit code.

    ``public_url`` is the organisers' proxy address (the join address then shows it and
    pages loaded from it may open the socket); ``trusted_proxies`` are the proxies whose
    ``forwarded_header`` names the participant (this machine always counts as one).
    """
    from room_server.server import RoomServer

    setup_logging()
    try:
        room = open_room(data_dir, session, max_participants)
    except (StoreError, ValueError) as exc:
        print(f"tankesmedja: {exc}", file=sys.stderr)
        return 2

    async def serve() -> None:
        server = RoomServer(
            room,
            host,
            port,
            trusted_proxies=trusted_proxies or [],
            forwarded_header=forwarded_header,
        )
        server.set_public_url(public_url)
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
    over WebSocket, exports that session in a spawned child process as the console does (so a
    bundle proves its ``freeze_support`` and its PDF fonts) and builds the console window
    offscreen, all in a temporary folder that is removed afterwards.
    """
    import json
    import os
    import tempfile
    import urllib.request

    from websockets.asyncio.client import connect

    from app.export.process import export_in_process
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
            session = [room.session.number]
            files = asyncio.run(
                export_in_process(room.store.path, Path(tmp) / "export", sessions=session)
            )
            pdf = next(p for p in files if p.suffix == ".pdf")  # the municipality's PDF
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


class OnlineSession:
    """The console's online session: the tunnel to the relay, its light, its dialog.

    Built by :func:`run_console` once the server listens. The settings come from the user's
    QSettings (``online/…``) and the key and pinned host key from the user config folder,
    never from the workshop file. While the tunnel is on, the server advertises the relay's
    https address (QR code, copy-link button); when it is off, the saved public address (or
    this computer's own) again.
    """

    def __init__(self, window: MainWindow, server: RoomServer, settings: Settings) -> None:
        """Add the state light and the Session menu's entry to ``window``."""
        from PySide6.QtGui import QAction

        from app.paths import default_config_dir
        from facilitator_ui.online import OnlineConfig, TunnelLight

        self.window = window
        self.server = server
        self.settings = settings
        self.config_dir = default_config_dir()
        self.light = TunnelLight()
        window.add_header_widget(self.light)
        self.action = QAction(tr("online_menu"), window)
        self.action.setObjectName("onlineAction")
        self.action.triggered.connect(self.open_dialog)
        self.light.clicked.connect(self.open_dialog)
        window.add_session_action(self.action)
        window.languageChanged.connect(self._retranslate)
        self.tunnel: Tunnel | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.config = OnlineConfig.load(settings.store)

    def _retranslate(self, _lang: str = "") -> None:
        self.action.setText(tr("online_menu"))
        self.light.retranslate()

    def start(self) -> None:
        """Open the tunnel if the saved settings say so (at the console's start)."""
        self._spawn(self.apply(self.config))

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def open_dialog(self) -> QWidget:
        """Open Träff → Onlineträff (window-modal, the loop keeps running)."""
        from PySide6.QtCore import Qt

        from facilitator_ui.online import OnlineDialog
        from room_server.tunnel import create_key, public_key_line

        light = self.light
        dialog = OnlineDialog(
            self.config,
            self.window,
            make_key=create_key,
            public_key=public_key_line,
            default_key_file=self.config_dir / "relay_key",
            # The state in words and the relay's fingerprint, to compare with IT's.
            status=light.toolTip() if light.state != "off" else "",
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._applied)
        dialog.open()
        return dialog

    def _applied(self, config: object) -> None:
        from facilitator_ui.online import OnlineConfig

        assert isinstance(config, OnlineConfig)
        config.save(self.settings.store)
        self._spawn(self.apply(config))

    async def apply(self, config: object) -> None:
        """Stop the running tunnel (if any) and start one for ``config`` if it is on."""
        from facilitator_ui.online import OnlineConfig
        from room_server.tunnel import Tunnel, TunnelSettings

        assert isinstance(config, OnlineConfig)
        self.config = config
        if self.tunnel is not None:
            tunnel, self.tunnel = self.tunnel, None
            await tunnel.stop()
        if not (config.enabled and config.complete):
            self.light.set_status("off")
            self.window.reachability.set_online("off")
            try:
                self.window.set_join_info(self.server.set_public_url(self.settings.public_url))
            except ValueError:
                self.window.set_join_info(self.server.set_public_url(None))
            return
        self.window.set_join_info(self.server.set_public_url(config.public_url))
        self.tunnel = Tunnel(
            TunnelSettings(
                relay_host=config.relay_host,
                public_url=config.public_url,
                key_file=Path(config.key_file),
                known_hosts=self.config_dir / "known_hosts",
                user=config.user,
                ssh_port=config.ssh_port,
                relay_port=config.relay_port,
            ),
            self.server.port,
            on_status=self._on_status,
        )
        self.tunnel.start()

    def _on_status(self, status: TunnelStatus) -> None:
        self.light.set_status(
            status.state.value,
            status.problem.value,
            fingerprint=status.fingerprint,
            pinned_now=status.pinned_now,
            retry_in=status.retry_in,
        )
        self.window.reachability.set_online(status.state.value)
        if status.pinned_now and status.fingerprint:
            self.window.statusBar().showMessage(
                tr("online_pinned", fingerprint=status.fingerprint), 30_000
            )

    async def stop(self) -> None:
        """Close the tunnel (the console is closing)."""
        for task in list(self._tasks):
            task.cancel()
        if self.tunnel is not None:
            tunnel, self.tunnel = self.tunnel, None
            await tunnel.stop()


def _report_first_paint(window: QWidget) -> None:
    """Print ``window shown <seconds since the process started>`` to stderr after the first paint.

    Opt-in (``TANKESMEDJA_REPORT_SHOWN=1``) for ``bench/startup.py``, which measures launch to
    window shown. The time counts from the process's creation as the OS recorded it, so it
    includes the interpreter's (or the bundle's bootloader's) own start.
    """
    import time

    import psutil
    from PySide6.QtCore import QEvent, QObject, QTimer

    def since_start() -> float:
        if sys.platform.startswith("linux"):
            # psutil's create_time() adds the boot time in whole seconds: up to 1 s off.
            # /proc gives the start in clock ticks since boot, on the CLOCK_BOOTTIME clock.
            with open("/proc/self/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
            started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
            return time.clock_gettime(time.CLOCK_BOOTTIME) - started
        return time.time() - psutil.Process().create_time()

    def report() -> None:
        print(f"window shown {since_start():.3f}", file=sys.stderr, flush=True)

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, report)  # once this paint has finished
            return False

    window.installEventFilter(FirstPaint(window))


def run_simulate(argv: list[str]) -> int:
    """Run ``tankesmedja simulate``: a scripted session with simulated participants."""
    from tankesmedja.rehearsal import simulate

    return simulate.main(argv)


def run_console(
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    session: int | None,
    *,
    lang: str | None = None,
    max_participants: int | None = None,
) -> int:
    """Open the facilitator console with the room server in Qt's loop; return the exit code.

    What the command line left out (None) comes from the remembered settings
    (:class:`facilitator_ui.settings.Settings`), then the built-in default: the language,
    the port (8765), the interface (every one) and the workshop folder (the last workshop
    if its folder still exists, else the user data folder). A saved public address is
    applied to the server before the join address is shown.
    """
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app import desktop_entry, i18n
    from app.paths import default_data_dir
    from facilitator_ui.common import use_console_font
    from facilitator_ui.desktop import ErrorReporter, QtLanguage, app_icon, route_qt_messages
    from facilitator_ui.main_window import MainWindow
    from facilitator_ui.settings import Settings
    from room_server import netinfo
    from room_server.server import RoomServer
    from tankesmedja.rehearsal import bots

    log_path = setup_logging()
    route_qt_messages()
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    use_console_font(qt_app)
    qt_app.setApplicationName("Tankesmedja")
    qt_app.setApplicationVersion(installed_version())
    qt_app.setWindowIcon(app_icon())
    # Wayland matches the window to the desktop entry (tankesmedja desktop-entry) by this.
    qt_app.setDesktopFileName(desktop_entry.APP_ID)
    # Unexpected errors (in slots, async slots, tasks, threads) are logged and shown in a
    # dialog that names the log file; the session and the room server go on.
    reporter = ErrorReporter(log_path, qt_app)
    reporter.install()
    settings = Settings.default()
    lang = lang or settings.language
    if lang is not None:
        i18n.set_language(lang)
    # Qt's standard buttons and file dialogs in the console's language.
    qt_language = QtLanguage(qt_app)
    qt_language.use(i18n.language())
    if port is None:
        port = settings.port if settings.port is not None else DEFAULT_PORT
    if host is None:
        host = settings.host
    if data_dir is None:
        last = Path(settings.last_workshop) if settings.last_workshop else None
        data_dir = last if last is not None and last.exists() else default_data_dir()

    try:
        room = open_room(data_dir, session, max_participants)
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
            server.set_public_url(settings.public_url)
        except ValueError as exc:  # a hand-edited settings file; Settings checks the rest
            log.warning("the saved public address is not used: %s", exc)
        try:
            await server.start()
        except OSError as exc:
            print(f"tankesmedja: {tr('server_failed', error=exc)}", file=sys.stderr)
            QMessageBox.critical(None, tr("error_title"), tr("server_failed", error=exc))
            exit_code = 2
            return
        announce(server)
        stop_bots = asyncio.Event()
        rehearsal_bots: list[bots.Bot] = []  # keep the simulated participants referenced

        async def rehearse(count: int) -> None:
            # Simulated participants join over the real server, from this machine only, and
            # are stored marked as rehearsal (the room's key): never in an export.
            joined = await bots.rehearse(
                f"ws://127.0.0.1:{server.port}/ws",
                room.room_token,
                count,
                seed=len(rehearsal_bots) + 1,
                stop=stop_bots,
                arrival=min(10.0, count / 10),
                rehearsal_key=room.rehearsal_key,
            )
            rehearsal_bots.extend(joined)

        async def remove_rehearsal() -> int:
            # The bots leave first, or they would join again as soon as they are erased.
            nonlocal stop_bots
            stop_bots.set()
            await asyncio.gather(*(b.close() for b in rehearsal_bots), return_exceptions=True)
            rehearsal_bots.clear()
            stop_bots = asyncio.Event()
            return room.remove_rehearsal()

        window = MainWindow(
            room,
            server.join_info(),
            rehearse=rehearse,
            remove_rehearsal=remove_rehearsal,
            settings=settings,
            set_public_url=server.set_public_url,
            devices_seen=server.device_counts,
            interfaces=lambda: [c.address for c in netinfo.candidates()],
        )
        window.closed.connect(closing.set)
        window.openWorkshopRequested.connect(request_switch)
        window.languageChanged.connect(qt_language.use)
        online = OnlineSession(window, server, settings)  # the relay tunnel (issue 15)
        online.start()
        window.show()
        if os.environ.get("TANKESMEDJA_REPORT_SHOWN") == "1":
            _report_first_paint(window)
        await closing.wait()
        stop_bots.set()
        window.hide()
        await online.stop()
        await server.stop()

    switch_to: list[Path] = []  # the workshop file the window asked to open next

    def request_switch(path: Path) -> None:
        switch_to.append(Path(path))
        closing.set()  # main() stops the server and returns; the loop below reopens

    try:
        with loop:
            while True:
                loop.run_until_complete(main())
                if not switch_to or exit_code:
                    break
                # ``main`` reads ``room`` when it runs: server and window are built anew.
                room = switch_room(room, switch_to.pop())
                switch_to.clear()
                closing.clear()
    finally:
        room.store.close()
    return exit_code


def switch_room(current: Room, path: Path) -> Room:
    """Open the workshop file ``path`` and close ``current``'s store; return the new room.

    On failure the facilitator is told and ``current`` stays open (returned as it is). The
    caller has stopped the server and hidden the window of ``current`` already.
    """
    try:
        room = Room(Store(path))
    except (StoreError, ValueError) as exc:
        from PySide6.QtWidgets import QMessageBox

        log.error("cannot open workshop %s: %s", path, exc)
        QMessageBox.critical(None, tr("error_title"), str(exc))
        return current
    current.store.close()
    return room


SUBCOMMANDS = {
    "groups": "make cross-municipality groups from a roster CSV (tankesmedja groups --help)",
    "simulate": "rehearse a whole session headless with N simulated participants",
    "export": "write the PDF per municipality, the overview and raw data (export --help)",
    "desktop-entry": "add Tankesmedja with its icon to the Linux application menu",
}


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def _public_url(text: str) -> str:
    from app.room import normalise_public_url

    try:
        url = normalise_public_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if url is None:
        raise argparse.ArgumentTypeError("the public address is empty")
    return url


def _proxy(text: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address or network") from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the console command's options."""
    epilog = "subcommands:\n" + "\n".join(
        f"  tankesmedja {name:<13} {text}" for name, text in SUBCOMMANDS.items()
    )
    parser = argparse.ArgumentParser(
        prog="tankesmedja",
        description="Facilitation console for hybrid cross-municipal workshops (tankesmedjor).",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tankesmedja {installed_version()}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the workshop database (default: your user data folder)",
    )
    # The console remembers --host, --port and --lang in its settings (Arkiv > Inställningar):
    # a flag given wins, a flag left out takes the remembered value, then the default.
    parser.add_argument(
        "--host",
        default=None,
        help="address to listen on (default: the console's saved setting, else every interface)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help=f"port to listen on (default: the console's saved setting, else {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=None,
        help=f"console language (default: the saved setting, else {i18n.DEFAULT_LANGUAGE})",
    )
    parser.add_argument(
        "--session", type=int, default=None, help="session (träff) number to run (default: last)"
    )
    parser.add_argument(
        "--max-participants",
        type=_positive,
        default=None,
        help="most participants one session takes, remembered in the workshop (default: 1000)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check the installation end to end (server, one join, one PDF, window) and exit",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run only the participant server, without a window (Ctrl+C stops it)",
    )
    online = parser.add_argument_group("behind a reverse proxy or tunnel (with --headless)")
    online.add_argument(
        "--public-url",
        type=_public_url,
        default=None,
        metavar="URL",
        help="the address participants open, e.g. https://workshop.example.se",
    )
    online.add_argument(
        "--trusted-proxy",
        type=_proxy,
        action="append",
        default=[],
        metavar="ADDR",
        help="a proxy (address or network) whose forwarded header names the participant; "
        "this computer always counts as one; repeat for several",
    )
    online.add_argument(
        "--forwarded-header",
        choices=["x-forwarded-for", "forwarded"],
        default="x-forwarded-for",
        help="the header the proxy sets (default: x-forwarded-for)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "groups":
        from app import cli_groups

        return cli_groups.main(args_list[1:])
    if args_list and args_list[0] == "export":
        from app import cli_export

        return cli_export.main(args_list[1:], default_data_dir())
    if args_list and args_list[0] == "desktop-entry":
        from app import desktop_entry

        return desktop_entry.main(args_list[1:])
    if args_list and args_list[0] == "simulate":
        return run_simulate(args_list[1:])
    args = build_parser().parse_args(args_list)
    i18n.set_language(args.lang or i18n.DEFAULT_LANGUAGE)
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    port = args.port if args.port is not None else DEFAULT_PORT

    if args.self_test:
        return run_self_test()
    if args.headless:
        return run_headless(
            data_dir,
            args.host,
            port,
            args.session,
            args.max_participants,
            public_url=args.public_url,
            trusted_proxies=args.trusted_proxy,
            forwarded_header=args.forwarded_header,
        )
    # The console falls back on its remembered settings for what was not given.
    return run_console(
        args.data_dir,
        args.host,
        args.port,
        args.session,
        lang=args.lang,
        max_participants=args.max_participants,
    )


if __name__ == "__main__":
    raise SystemExit(main())
