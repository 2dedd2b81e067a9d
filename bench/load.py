"""Load benchmark of the room server (issue 6). Not a test: run it by hand and read the table.

    python bench/load.py                   # N = 500 and 1000, asyncio loop
    python bench/load.py --clients 500 --loop qt    # the server on the console's qasync loop
    python bench/load.py --clients 500 --loop console   # ... with the console window on it
    python bench/load.py --clients 200 --soak 10     # 200 reconnecting at random for 10 min
    python bench/load.py --clients 100 --via tunnel     # through sshd + Caddy, beside direct
    LOAD_PROFILE=DIR python bench/load.py --clients 1000  # + a cProfile file per stage in DIR
    LOAD_GC=1 python bench/load.py --clients 1000  # + the server's garbage collector pauses
    python bench/load.py --clients 1000 --procs 2  # the clients spread over 2 processes

The room server runs headless in a subprocess on 127.0.0.1 (the machine has two cores: one
for the server, one for the clients); this process drives it with N simulated participants
(:class:`tankesmedja.rehearsal.bots.Bot`, the page's behaviour, with timestamps added). It
controls the server over the subprocess's stdin (start a phase, make groups, start an export)
and reads its answers as JSON lines. Stages:

1. join storm: all N connect, say hello and join at once (joins/s, per-join latency);
2. hold: every connection still open after a second; server memory per connection
   (RSS delta / N from ``/proc/PID/status``);
3. phase broadcast: the facilitator starts the mixed-group phase; time from the trigger to
   each page's ``state`` (p50/p99), then the same for the groups being made (and a
   second for people to find their tables);
4. submit burst: every participant submits a card at the same moment (submit-to-ack p50/p99);
5. submit paced: every participant submits one more card at a random moment within a few
   seconds, while the PDF/CSV export of the session runs beside it (in a spawned child
   process, as the console runs it; ``--export-in thread`` for comparison); the
   server's event loop lag is probed every 10 ms (max stall reported per stage);
6. late joiners: N/10 more join while the groups stand; their join latency, and how many
   ``state`` messages the others get per late joiner (only the joiner's new group should);
7. afterwards the database is read: lost (acked but not stored) and duplicated submissions.

The same client harness then runs against a bare ``websockets`` echo server (also in a
subprocess, same connection options) doing the equivalent round trips, reported as a ratio.
The echo server writes nothing to disk, while every ack of ours waits for a durable SQLite
commit (fsync): the time one such commit takes on this disk is reported beside the acks, as
the floor no durable server gets under. Cards that arrive together share a commit
(:mod:`app.commit`); the number of commits is reported too.
Server-side and client-side times use ``time.monotonic()``, one clock for all processes on
Linux.

One process driving 1 000 clients is itself a bottleneck: its loop stalls (reported as the
clients' own loop stall per stage) and what the clients measure then includes their wait
for their turn. ``--procs K`` spreads the clients over K processes, each its own loop
(:class:`SpreadClients`); every stage is started in all of them at once over their stdin
and answered with plain timestamps, and the percentiles are over all clients. The server's
own time (``server:`` rows) and its loop stalls are printed beside, so a reader can tell
whose time a figure is.

``--via tunnel`` runs the room twice, directly and the way participants at home reach it in
an online session (issue 15): wss to a relay's name (Caddy with TLS on loopback, see
``scripts/relay.py``) → sshd's reverse-forwarded port → the laptop's SSH tunnel
(:mod:`room_server.tunnel`) → the room server; each client from its own loopback address as
on the internet. It prints join, fan-out and submit-to-ack p50/p99 of both and their ratio.
It starts sshd, so it needs root.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

MIXED = 1  # the sample program's mixed-group phase
PACED_SECONDS = 5.0  # the paced round spreads its submissions over this long
GROUPS_SETTLE_S = 1.0  # between the groups reaching the pages and the first cards
TARGETS = {"fanout_p99": 100.0, "ack_p99": 250.0, "ratio": 1.5, "stall": 50.0}


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def stdin_commands(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Feed the lines of stdin into a queue of the loop (a thread: works with any loop)."""
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, "quit")

    threading.Thread(target=read, daemon=True).start()
    return queue


class LagProbe:
    """Max event-loop stall per stage: a 10 ms timer that notes how late it fires."""

    def __init__(self) -> None:
        self.stage = "start"
        self.stage_before = "start"
        self.worst: dict[str, float] = {}
        self._last = time.monotonic()

    def tick(self) -> None:
        now = time.monotonic()
        late = max(0.0, now - self._last - 0.010)
        self._last = now
        self.worst[self.stage] = max(self.worst.get(self.stage, 0.0), late)

    def mark(self, stage: str) -> None:
        self.stage = stage
        self._last = time.monotonic()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.010)
            self.tick()


# -- the room server, in the subprocess ---------------------------------------------------------


async def room_main(
    data_dir: Path,
    qt_probe: LagProbe | None,
    export_mode: str,
    console: bool = False,
    tunnel_json: str | None = None,
) -> None:
    from app.export import export_all
    from app.export.process import export_in_process
    from app.room import Room
    from app.store import DB_NAME, Store
    from room_server.server import RoomServer

    loop = asyncio.get_running_loop()
    store = Store(data_dir / DB_NAME)
    room = Room(store)
    # N and then N/10 late joiners: at N = 1000 the default limit (1000, the console's
    # --max-participants) would refuse every late joiner with room_full.
    room.set_max_participants(10_000)
    server = RoomServer(room, "127.0.0.1", 0)
    await server.start()
    tunnel = None
    if tunnel_json:
        # The online session: the room reached through the relay, as the console opens it.
        from room_server.tunnel import Tunnel, TunnelSettings, TunnelState

        options = json.loads(tunnel_json)
        settings = TunnelSettings(
            **{k: Path(v) if k in ("key_file", "known_hosts") else v for k, v in options.items()}
        )
        server.set_public_url(settings.public_url)
        tunnel = Tunnel(settings, server.port)
        tunnel.start()
        while tunnel.status.state != TunnelState.UP:
            await asyncio.sleep(0.05)
    window = None
    if console:
        # The facilitator's console on the same loop, as the app runs it: the roster, the
        # groups and the wall update live with every join and card.
        from facilitator_ui.main_window import MainWindow

        window = MainWindow(room, server.join_info())
        window.resize(1600, 900)
        window.show()
        window.set_audience_visible(True)  # and the projector's window
    probe = LagProbe()
    probes = [probe] + ([qt_probe] if qt_probe else [])
    probe_task = loop.create_task(probe.run())
    # Server-side join time per stage: from the join message to `joined` and `state` being
    # written (the commit included), beside what the clients measure end to end.
    join_ms: dict[str, list[float]] = {}
    handle_join = server._join

    async def timed_join(client: Any, form: Any) -> None:
        started = time.monotonic()
        await handle_join(client, form)
        join_ms.setdefault(probe.stage, []).append((time.monotonic() - started) * 1000)

    server._join = timed_join  # type: ignore[method-assign]
    commands = stdin_commands(loop)
    emit({"port": server.port, "token": room.room_token, "pid": os.getpid()})
    export: asyncio.Future[Any] | None = None
    export_started = 0.0
    export_ended: list[float] = []
    gc_pauses: dict[str, list[float]] = {}
    if os.environ.get("LOAD_GC"):  # how long the garbage collector stops the loop, per stage
        gc_started = [0.0]

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_started[0] = time.monotonic()
            else:
                pause = (time.monotonic() - gc_started[0]) * 1000
                gc_pauses.setdefault(f"{probe.stage} gen{info['generation']}", []).append(pause)

        gc.callbacks.append(on_gc)
    # Experiments with the collector: LOAD_SETTLE=0 turns off the room server's settling of
    # the heap after a phase or groups (room_server.server.SETTLE_HEAP_MIN), LOAD_FREEZE=1
    # freezes the heap (gc.freeze, no collection) then instead; LOAD_GEN0=N sets the youngest
    # generation's threshold.
    freeze = bool(os.environ.get("LOAD_FREEZE"))
    if os.environ.get("LOAD_SETTLE") == "0" or freeze:
        from room_server import server as server_module

        server_module.SETTLE_HEAP_MIN = 10**9
    if os.environ.get("LOAD_GEN0"):
        gc.set_threshold(int(os.environ["LOAD_GEN0"]), *gc.get_threshold()[1:])
    profile_dir = os.environ.get("LOAD_PROFILE")  # a folder: one cProfile file per stage
    profiler: Any = None
    while True:
        command, *args = (await commands.get()).split()
        if command == "mark":
            for p in probes:
                p.mark(args[0])
            if profile_dir:
                import cProfile

                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(Path(profile_dir) / f"{probe.stage_before}.prof")
                profiler = cProfile.Profile()
                probe.stage_before = args[0]
                profiler.enable()
            emit({"ok": True})
        elif command == "phase":
            applied = time.monotonic()
            room.live.start(int(args[0]))
            emit({"applied": applied, "done": time.monotonic()})
            if freeze:
                gc.freeze()
        elif command == "addtime":
            # The facilitator gives a minute more: every page gets its state again, now
            # with the cards of its group in it.
            applied = time.monotonic()
            room.live.add_time(60)
            emit({"applied": applied, "done": time.monotonic()})
        elif command == "groups":
            # As the console does: the grouping itself in an executor, applied on the loop.
            job = room.live.group_job()
            groups = await loop.run_in_executor(None, job.run)
            applied = time.monotonic()
            room.live.apply_groups(job, groups)
            emit({"applied": applied, "done": time.monotonic()})
            if freeze:
                gc.freeze()
        elif command == "export":
            export_started = time.monotonic()
            if export_mode == "process":  # exactly as the console's export dialog runs it
                export = asyncio.ensure_future(
                    export_in_process(
                        data_dir / DB_NAME, data_dir / "export", sessions=[room.session.number]
                    )
                )
            else:
                run = functools.partial(
                    export_all,
                    data_dir / DB_NAME,
                    data_dir / "export",
                    sessions=[room.session.number],
                )
                export = loop.run_in_executor(None, run)
            export.add_done_callback(lambda _: export_ended.append(time.monotonic()))
            emit({"ok": True})
        elif command == "export_wait":
            files = await export if export is not None else []
            emit({"seconds": export_ended[0] - export_started, "files": len(files)})
        elif command == "gcfull":
            # What a full collection of the heap costs now (the pause one would make).
            started = time.perf_counter()
            gc.collect()
            emit({"ms": (time.perf_counter() - started) * 1000, "frozen": gc.get_freeze_count()})
        elif command == "stats":
            worst = {
                name: {stage: round(v * 1000, 1) for stage, v in p.worst.items()}
                for name, p in zip(("asyncio", "qtimer"), probes, strict=False)
            }
            batches, largest = server.commit_stats
            emit(
                {
                    "connections": server.connection_count,
                    "waiting": server.waiting_count,
                    "stall_ms": worst,
                    "commits": batches,
                    "largest_batch": largest,
                    "join_ms": {k: [pct(v, 0.5), pct(v, 0.99)] for k, v in join_ms.items()},
                    "gc": {k: [len(v), round(max(v), 1)] for k, v in gc_pauses.items()},
                }
            )
        elif command == "quit":
            probe_task.cancel()
            if tunnel is not None:
                await tunnel.stop()
            await server.stop()
            store.close()
            emit({"bye": True})
            return


def serve_room(
    data_dir: Path, loop_kind: str, export_mode: str, tunnel_json: str | None = None
) -> None:
    if loop_kind == "asyncio":
        asyncio.run(room_main(data_dir, None, export_mode, tunnel_json=tunnel_json))
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    console = loop_kind == "console"
    app = QCoreApplication.instance() or (QApplication if console else QCoreApplication)([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    qt_probe = LagProbe()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(qt_probe.tick)
    timer.start()
    with loop:
        loop.run_until_complete(
            room_main(data_dir, qt_probe, export_mode, console, tunnel_json=tunnel_json)
        )


# -- the bare websockets server, in the subprocess ---------------------------------------------


async def bare_main() -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    loop = asyncio.get_running_loop()
    connections: set[ServerConnection] = set()
    # Replies about as large as the room server's.
    welcome = json.dumps({"type": "welcome", "pad": "w" * 480})
    joined = json.dumps({"type": "joined", "pad": "j" * 250})
    state = json.dumps({"type": "state", "phase": {"index": MIXED}, "pad": "s" * 560})

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "hello":
                    await ws.send(welcome)
                elif kind == "join":
                    await ws.send(joined)
                elif kind == "reflect":
                    await ws.send(json.dumps({"type": "ack", "id": message["id"], "revision": 1}))
        finally:
            connections.discard(ws)

    server = await serve(
        handler, "127.0.0.1", 0, compression=None, max_size=16 * 1024, max_queue=16
    )
    probe = LagProbe()
    probe_task = loop.create_task(probe.run())
    commands = stdin_commands(loop)
    emit({"port": server.sockets[0].getsockname()[1], "token": "", "pid": os.getpid()})
    while True:
        command, *args = (await commands.get()).split()
        if command == "phase":
            applied = time.monotonic()
            broadcast(connections, state)
            emit({"applied": applied, "done": time.monotonic()})
        elif command == "gcfull":
            # What a full collection of the heap costs now (the pause one would make).
            started = time.perf_counter()
            gc.collect()
            emit({"ms": (time.perf_counter() - started) * 1000, "frozen": gc.get_freeze_count()})
        elif command == "stats":
            worst = {stage: round(v * 1000, 1) for stage, v in probe.worst.items()}
            emit({"connections": len(connections), "stall_ms": {"asyncio": worst}})
        elif command == "mark":
            probe.mark(args[0])
            emit({"ok": True})
        elif command == "quit":
            probe_task.cancel()
            server.close()
            await server.wait_closed()
            emit({"bye": True})
            return


# -- clients, in this process --------------------------------------------------------------------


def timed_bot_class() -> type:
    from tankesmedja.rehearsal.bots import Bot

    class TimedBot(Bot):
        """A Bot that notes when each message arrives (before anything else is done)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.joined_at = 0.0
            self.states: list[tuple[float, int | None, bool]] = []
            self.sent_at: dict[str, float] = {}
            self.ack_at: dict[str, float] = {}
            self.card_at: dict[str, float] = {}  # others' cards, when they first arrived

        async def _handle(self, message: dict[str, Any]) -> None:
            now = time.monotonic()
            kind = message.get("type")
            if kind == "card" and not message["card"].get("mine"):
                self.card_at.setdefault(str(message["card"]["id"]), now)
            if kind == "joined" and not self.joined_at:
                self.joined_at = now
            elif kind == "state":
                phase = message.get("phase")
                index = phase["index"] if phase else None
                self.states.append((now, index, message.get("group") is not None))
            elif kind == "ack":
                self.ack_at.setdefault(str(message.get("id")), now)
            await super()._handle(message)

        async def timed_submit(self, text: str) -> None:
            sent = time.monotonic()
            card_id = await self.submit_reflection(MIXED, text)
            self.sent_at[card_id] = sent

    return TimedBot


class BareClient:
    """The same round trips against the bare server: hello, join, broadcast, submit, ack."""

    def __init__(self, url: str, number: int) -> None:
        self.url = url
        self.number = number
        self.ws: ClientConnection | None = None
        self.joined_at = 0.0
        self.states: list[tuple[float, int | None, bool]] = []
        self.sent_at: dict[str, float] = {}
        self.ack_at: dict[str, float] = {}
        self._joined = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.cards = 0

    async def start(self, timeout: float) -> None:
        self.ws = await connect(self.url, proxy=None, compression=None, open_timeout=timeout)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        await self.ws.send(json.dumps({"type": "hello", "room_token": "x" * 16}))
        await asyncio.wait_for(self._joined.wait(), timeout)

    async def _read(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            now = time.monotonic()
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "welcome":
                await self.ws.send(json.dumps({"type": "join", "name": f"Bare {self.number}"}))
            elif kind == "joined":
                self.joined_at = now
                self._joined.set()
            elif kind == "state":
                self.states.append((now, message["phase"]["index"], False))
            elif kind == "ack":
                self.ack_at.setdefault(message["id"], now)

    async def timed_submit(self, text: str) -> None:
        assert self.ws is not None
        self.cards += 1
        card_id = f"bare-{self.number:05d}-{self.cards:03d}"
        self.sent_at[card_id] = time.monotonic()
        await self.ws.send(
            json.dumps({"type": "reflect", "id": card_id, "phase": MIXED, "text": text})
        )

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()


class ServerProcess:
    """A server subprocess driven over stdin, answering JSON lines on stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def launch(cls, *args: str) -> tuple[ServerProcess, dict[str, Any]]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        server = cls(proc)
        return server, await server.answer()

    async def answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 300)
        if not line:
            raise RuntimeError("the server process ended")
        return dict(json.loads(line))

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return await self.answer()

    async def trigger(self, command: str) -> tuple[float, dict[str, Any]]:
        """Send a command; return the moment it was sent and the answer."""
        assert self.proc.stdin is not None
        sent = time.monotonic()
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()
        return sent, await self.answer()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    async def quit(self) -> None:
        await self.ask("quit")
        await asyncio.wait_for(self.proc.wait(), 60)


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (in the same unit)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


async def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise TimeoutError(what)
        await asyncio.sleep(0.005)


class LocalClients:
    """N clients (and the late joiners) on this process's loop, run stage by stage.

    Every stage answers with plain data (absolute ``time.monotonic()`` readings, one clock
    for all processes on Linux), so the same stages run in K worker processes
    (:class:`SpreadClients`) and the percentiles are taken over all of them.
    """

    def __init__(self, clients: Sequence[Any], late: Sequence[Any] = ()) -> None:
        self.clients = list(clients)
        self.late = list(late)
        self.probe = LagProbe()  # this loop's own stalls: time the clients wait for their turn
        self._probe_task: asyncio.Task[None] | None = None
        self._burst_ids: set[str] = set()
        self._seed = 0

    async def mark(self, stage: str) -> None:
        if self._probe_task is None:
            self._probe_task = asyncio.get_running_loop().create_task(self.probe.run())
        self.probe.mark(stage)

    async def join(self, late: bool = False) -> dict[str, Any]:
        who = self.late if late else self.clients
        outcomes = await asyncio.gather(*(c.start(120) for c in who), return_exceptions=True)
        return {
            "failed": sum(isinstance(o, BaseException) for o in outcomes),
            "joined_at": [c.joined_at for c in who if c.joined_at],
        }

    async def states(self, sent: float, grouped: bool) -> list[float]:
        """When each page got its first ``state`` of the mixed phase since ``sent``."""

        def first_state(c: Any) -> float | None:
            for at, index, has_group in c.states:
                if index == MIXED and (has_group or not grouped) and at >= sent:
                    return float(at)
            return None

        await wait_for(lambda: all(first_state(c) for c in self.clients), 300, "states")
        return [first_state(c) for c in self.clients]  # type: ignore[misc]

    def _all_acked(self) -> bool:
        return all(set(c.sent_at) <= set(c.ack_at) for c in self.clients)

    async def burst(self) -> list[float]:
        """Everyone submits at the same moment; submit-to-ack latencies (ms)."""
        await asyncio.gather(
            *(c.timed_submit(f"Kort i skuren från {c.number}") for c in self.clients)
        )
        await wait_for(self._all_acked, 120, "acks of the burst")
        self._burst_ids = {k for c in self.clients for k in c.sent_at}
        return [(c.ack_at[k] - t) * 1000 for c in self.clients for k, t in c.sent_at.items()]

    async def cards(self) -> dict[str, Any]:
        """Once no card has arrived for 0.3 s: when each was sent, and when each page got it."""

        def arrived() -> int:
            return sum(len(c.card_at) for c in self.clients)

        quiet_since, count = time.monotonic(), arrived()
        while time.monotonic() - quiet_since < 0.3:
            await asyncio.sleep(0.02)
            if arrived() != count:
                quiet_since, count = time.monotonic(), arrived()
        return {
            "sent": {k: t for c in self.clients for k, t in c.sent_at.items()},
            "arrived": [[k, t] for c in self.clients for k, t in c.card_at.items()],
        }

    async def paced(self, seed: int) -> list[float]:
        """One more card each at a random moment within PACED_SECONDS; latencies (ms)."""
        rng = random.Random(seed)

        async def later(c: Any, delay: float) -> None:
            await asyncio.sleep(delay)
            await c.timed_submit(f"Eftertanke från {c.number}")

        delays = [rng.uniform(0, PACED_SECONDS) for _ in self.clients]
        await asyncio.gather(*(later(c, d) for c, d in zip(self.clients, delays, strict=True)))
        await wait_for(self._all_acked, 120, "acks of the paced round")
        return [
            (c.ack_at[k] - t) * 1000
            for c in self.clients
            for k, t in c.sent_at.items()
            if k not in self._burst_ids
        ]

    async def state_count(self) -> int:
        return sum(len(c.states) for c in self.clients)

    async def stalls(self) -> dict[str, float]:
        """This loop's worst stall per stage (ms)."""
        return {k: round(v * 1000, 1) for k, v in self.probe.worst.items()}

    async def ids(self) -> dict[str, list[str]]:
        """The cards acked and written (for lost and unknown ones)."""
        everyone = [*self.clients, *self.late]
        return {
            "acked": sorted({k for c in everyone for k in c.ack_at}),
            "written": sorted({k for c in everyone if isinstance(c.cards, dict) for k in c.cards}),
        }

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
        await asyncio.gather(
            *(c.close() for c in [*self.clients, *self.late]), return_exceptions=True
        )


def make_clients(spec: dict[str, Any], part: int = 0, parts: int = 1) -> LocalClients:
    """Part ``part`` of ``parts`` of the clients ``spec`` describes (every parts-th one)."""
    n, url = spec["n"], spec["url"]
    if not spec["room"]:
        return LocalClients([BareClient(url, i) for i in range(part, n, parts)])
    from tankesmedja.rehearsal.bots import make_profiles

    bot_class = timed_bot_class()

    def bot(profile: Any, number: int) -> Any:
        made = bot_class(url, spec["token"], profile, seed=number, ack_timeout=120.0)
        made.number = number
        return made

    profiles = make_profiles(n, spec["seed"])
    late_profiles = make_profiles(max(10, n // 10), spec["seed"] + 1)
    return LocalClients(
        [bot(p, i) for i, p in enumerate(profiles) if i % parts == part],
        [bot(p, n + i) for i, p in enumerate(late_profiles) if i % parts == part],
    )


async def client_worker(spec_json: str, part: int, parts: int) -> None:
    """A client process of ``--procs K``: its share of the clients, stage by stage on stdin."""
    clients = make_clients(json.loads(spec_json), part, parts)
    commands = stdin_commands(asyncio.get_running_loop())
    emit({"ready": True})
    while True:
        line = await commands.get()
        if line == "quit":
            await clients.close()
            emit({"bye": True})
            return
        request = json.loads(line)
        emit({"answer": await getattr(clients, request["op"])(*request["args"])})


class SpreadClients:
    """The same stages as :class:`LocalClients`, over K client processes (each its own loop).

    Each stage is sent to all workers at once and answered when all are done: lists are
    joined, counts added, the worst stalls kept, so percentiles are over all clients.
    """

    def __init__(self, workers: list[asyncio.subprocess.Process]) -> None:
        self.workers = workers

    @classmethod
    async def launch(cls, spec: dict[str, Any], parts: int) -> SpreadClients:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--client-worker",
                json.dumps(spec),
                "--part",
                str(part),
                "--procs",
                str(parts),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=64 * 1024 * 1024,
            )
            for part in range(parts)
        ]
        spread = cls(workers)
        await asyncio.gather(*(spread._answer(w) for w in workers))
        return spread

    async def _answer(self, worker: asyncio.subprocess.Process) -> Any:
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), 600)
        if not line:
            raise RuntimeError("a client process ended")
        return json.loads(line).get("answer")

    async def _all(self, op: str, *args: Any) -> list[Any]:
        line = json.dumps({"op": op, "args": list(args)}).encode() + b"\n"
        for worker in self.workers:
            assert worker.stdin is not None
            worker.stdin.write(line)
        await asyncio.gather(*(w.stdin.drain() for w in self.workers))  # type: ignore[union-attr]
        return await asyncio.gather(*(self._answer(w) for w in self.workers))

    async def mark(self, stage: str) -> None:
        await self._all("mark", stage)

    async def join(self, late: bool = False) -> dict[str, Any]:
        parts = await self._all("join", late)
        return {
            "failed": sum(p["failed"] for p in parts),
            "joined_at": [t for p in parts for t in p["joined_at"]],
        }

    async def states(self, sent: float, grouped: bool) -> list[float]:
        return [t for p in await self._all("states", sent, grouped) for t in p]

    async def burst(self) -> list[float]:
        return [t for p in await self._all("burst") for t in p]

    async def cards(self) -> dict[str, Any]:
        parts = await self._all("cards")
        sent: dict[str, float] = {}
        for p in parts:
            sent.update(p["sent"])
        return {"sent": sent, "arrived": [a for p in parts for a in p["arrived"]]}

    async def paced(self, seed: int) -> list[float]:
        parts = await asyncio.gather(
            *(self._one(w, "paced", seed * 1000 + i) for i, w in enumerate(self.workers))
        )
        return [t for p in parts for t in p]

    async def _one(self, worker: asyncio.subprocess.Process, op: str, *args: Any) -> Any:
        assert worker.stdin is not None
        worker.stdin.write(json.dumps({"op": op, "args": list(args)}).encode() + b"\n")
        await worker.stdin.drain()
        return await self._answer(worker)

    async def state_count(self) -> int:
        return sum(await self._all("state_count"))

    async def stalls(self) -> dict[str, float]:
        worst: dict[str, float] = {}
        for p in await self._all("stalls"):
            for stage, ms in p.items():
                worst[stage] = max(worst.get(stage, 0.0), ms)
        return worst

    async def ids(self) -> dict[str, list[str]]:
        parts = await self._all("ids")
        return {k: sorted({i for p in parts for i in p[k]}) for k in ("acked", "written")}

    async def close(self) -> None:
        for worker in self.workers:
            assert worker.stdin is not None
            worker.stdin.write(b"quit\n")
        for worker in self.workers:
            await self._answer(worker)
            await asyncio.wait_for(worker.wait(), 60)


async def open_clients(spec: dict[str, Any], procs: int) -> LocalClients | SpreadClients:
    """The clients in this process (``procs`` 1) or spread over ``procs`` processes."""
    if procs <= 1:
        return make_clients(spec)
    return await SpreadClients.launch(spec, procs)


async def drive(
    server: ServerProcess,
    clients: LocalClients | SpreadClients,
    n: int,
    *,
    room: bool,
    seed: int,
    late_n: int = 0,
) -> dict[str, Any]:
    """Run the stages against one server; return the measurements (milliseconds)."""
    result: dict[str, Any] = {}
    ask = server.ask

    async def marked(command: str) -> dict[str, Any]:
        if command.startswith("mark "):
            await clients.mark(command.split()[1])
        return await ask(command)

    server.ask = marked  # type: ignore[method-assign]
    await server.ask("mark idle")
    await asyncio.sleep(0.3)
    rss_before = server.rss_kib()

    # 1. join storm
    await server.ask("mark join")
    started = time.monotonic()
    joined = await clients.join()
    took = time.monotonic() - started
    result["join_failed"] = joined["failed"]
    result["joins_per_s"] = (n - joined["failed"]) / took
    joins = [(t - started) * 1000 for t in joined["joined_at"]]
    result["join_p50"], result["join_p99"] = pct(joins, 0.5), pct(joins, 0.99)

    # 2. hold
    await server.ask("mark hold")
    await asyncio.sleep(1.0)
    stats = await server.ask("stats")
    result["held"] = stats["connections"]
    result["rss_per_conn_kib"] = (server.rss_kib() - rss_before) / max(1, n)

    # 3. broadcasts
    await server.ask("mark phase")
    sent, answer = await server.trigger(f"phase {MIXED}")
    fanout = [(t - sent) * 1000 for t in await clients.states(sent, False)]
    result["phase_p50"], result["phase_p99"] = pct(fanout, 0.5), pct(fanout, 0.99)
    result["phase_apply_ms"] = (answer["done"] - answer["applied"]) * 1000
    result["phase_trigger_ms"] = (answer["applied"] - sent) * 1000
    if room:
        await server.ask("mark groups")
        _, answer = await server.trigger("groups")
        applied = answer["applied"]
        fanout = [(t - applied) * 1000 for t in await clients.states(applied, True)]
        result["groups_p50"], result["groups_p99"] = pct(fanout, 0.5), pct(fanout, 0.99)
        # People find their tables before anyone writes: a second in which the console
        # (--loop console) draws the groups, a little at a time, as it does in a real room.
        await asyncio.sleep(GROUPS_SETTLE_S)

    # 4. submit burst: everyone at the same moment
    await server.ask("mark burst")
    lat = await clients.burst()
    result["burst_p50"], result["burst_p99"] = pct(lat, 0.5), pct(lat, 0.99)
    if room:
        # The cards reach their authors' groups (after the acks, which go first): from a
        # card's sending to its arrival on each group mate's page. Until none has come for
        # a while, so the next stage measures its own broadcast, not these.
        cards = await clients.cards()
        sent_at = cards["sent"]
        lat = [(t - sent_at[k]) * 1000 for k, t in cards["arrived"] if k in sent_at]
        result["group_cards_p50"], result["group_cards_p99"] = pct(lat, 0.5), pct(lat, 0.99)

    # 4b. a broadcast with the cards in it: +1 minute in the room, the same again on bare
    await server.ask("mark cards")
    sent, answer = await server.trigger("addtime" if room else f"phase {MIXED}")
    fanout = [(t - sent) * 1000 for t in await clients.states(sent, False)]
    result["cards_p50"], result["cards_p99"] = pct(fanout, 0.5), pct(fanout, 0.99)
    result["cards_apply_ms"] = (answer["done"] - answer["applied"]) * 1000

    # 5. paced: one more card each within PACED_SECONDS, with the export running beside it
    await server.ask("mark paced")
    if room:
        await server.ask("export")
    lat = await clients.paced(seed)
    result["paced_p50"], result["paced_p99"] = pct(lat, 0.5), pct(lat, 0.99)
    if room:
        exported = await server.ask("export_wait")
        result["export_s"] = exported["seconds"]
        result["export_files"] = exported["files"]
    if late_n:
        # 6. late joiners while the groups stand: each is placed in a group, and only that
        # group's pages are sent a new state (not the whole room).
        await server.ask("mark late")
        states_before = await clients.state_count()
        started = time.monotonic()
        joined = await clients.join(late=True)
        joins = [(t - started) * 1000 for t in joined["joined_at"]]
        result["late_p50"], result["late_p99"] = pct(joins, 0.5), pct(joins, 0.99)
        await asyncio.sleep(1.0)
        delta = await clients.state_count() - states_before
        result["late_states_per_join"] = delta / late_n
    result["late_n"] = late_n
    await server.ask("mark end")
    if room:
        full = await server.ask("gcfull")
        result["gc_full_ms"], result["gc_frozen"] = full["ms"], full["frozen"]
    stats = await server.ask("stats")
    result["stall_ms"] = stats["stall_ms"]
    if stats.get("gc"):
        print("server gc pauses (count, max ms) per stage:", stats["gc"], file=sys.stderr)
    server.ask = ask  # type: ignore[method-assign]
    result["client_stall_ms"] = await clients.stalls()
    if "join_ms" in stats and "late" in stats["join_ms"]:
        result["late_server_p50"], result["late_server_p99"] = stats["join_ms"]["late"]
    result["held_end"] = stats["connections"] - late_n  # the late joiners came on top
    result["commits"] = stats.get("commits")
    result["largest_batch"] = stats.get("largest_batch")
    return result


def durable_commit_ms(folder: Path, rounds: int = 200) -> tuple[float, float]:
    """p50/p99 of one small committed write on this disk (WAL, synchronous=FULL).

    The floor under every acknowledgement, which a bare echo server does not pay.
    """
    import sqlite3

    db = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (text) VALUES (?)", (f"Tanke {i}",))
        db.execute("COMMIT")
        times.append((time.perf_counter() - start) * 1000)
    db.close()
    return pct(times, 0.5), pct(times, 0.99)


async def run_room(n: int, args: argparse.Namespace, *, tunnel: bool = False) -> dict[str, Any]:
    from app.room import Room
    from app.store import DB_NAME, Store
    from tankesmedja.rehearsal.bots import make_profiles

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        floor = durable_commit_ms(data_dir)
        relay = None
        extra: list[str] = []
        if tunnel:
            from scripts.relay import HOST, Relay

            relay = Relay(data_dir / "relay")
            relay.prepare()
            relay.start_sshd()
            relay.start_caddy()
            extra = ["--tunnel-settings", json.dumps(relay_settings(relay, data_dir))]
        try:
            server, ready = await ServerProcess.launch(
                "--serve-room", str(data_dir), *server_options(args), *extra
            )
            url = f"ws://127.0.0.1:{ready['port']}/ws"
            if relay is not None:
                url = f"wss://{HOST}:{relay.https_port}/ws"
            ssl_context = relay.ssl_context() if relay is not None else None

            def options(i: int) -> dict[str, Any]:
                if relay is None:
                    return {}
                # Each participant at home from an address of their own, to the relay's name.
                return {
                    "ssl": ssl_context,
                    "host": "127.0.0.1",
                    "port": relay.https_port,
                    "local_addr": (f"127.0.{1 + i // 250}.{1 + i % 250}", 0),
                }

            spec = {"n": n, "url": url, "token": ready["token"], "seed": args.seed, "room": True}
            clients: LocalClients | SpreadClients
            if relay is None:
                clients = await open_clients(spec, args.procs)
            else:
                bot_class = timed_bot_class()

                def bot(profile: Any, number: int) -> Any:
                    made = bot_class(
                        url,
                        ready["token"],
                        profile,
                        seed=number,
                        ack_timeout=120.0,
                        connect_options=options(number),
                    )
                    made.number = number
                    return made

                clients = LocalClients(
                    [bot(p, i) for i, p in enumerate(make_profiles(n, args.seed))],
                    [
                        bot(p, n + i)
                        for i, p in enumerate(make_profiles(max(10, n // 10), args.seed + 1))
                    ],
                )
            late_n = max(10, n // 10)
            try:
                result = await drive(server, clients, n, room=True, seed=args.seed, late_n=late_n)
                ids = await clients.ids()
            finally:
                await clients.close()
                await server.quit()
        finally:
            if relay is not None:
                relay.stop()
        # What the database holds, through its own connection.
        store = Store(data_dir / DB_NAME)
        try:
            session = Room(store).session.id
            rows = store.reflections(session)
            people = store.participants(session)
            ok = store.integrity_ok()
        finally:
            store.close()
        acked, written = set(ids["acked"]), set(ids["written"])
        stored = [r.id for r in rows]
        result["lost"] = len(acked - set(stored))
        result["duplicated"] = len(stored) - len(set(stored)) + max(0, len(people) - n - late_n)
        result["extra"] = len(set(stored) - written)
        result["stored"] = len(stored)
        result["integrity"] = ok
        result["commit_p50"], result["commit_p99"] = floor
        return result


def relay_settings(relay: Any, data_dir: Path) -> dict[str, Any]:
    """The tunnel's settings for the server process (JSON), as the console would keep them."""
    return {
        "relay_host": "127.0.0.1",
        "public_url": relay.public_url,
        "key_file": str(relay.key_file),
        "known_hosts": str(data_dir / "known_hosts"),
        "user": relay.user,
        "ssh_port": relay.ssh_port,
        "relay_port": relay.relay_port,
    }


TUNNEL_ROWS = (
    ("join storm, joins/s", "joins_per_s"),
    ("join latency p50 ms", "join_p50"),
    ("join latency p99 ms", "join_p99"),
    ("phase broadcast fan-out p50 ms", "phase_p50"),
    ("phase broadcast fan-out p99 ms", "phase_p99"),
    ("groups broadcast fan-out p50 ms", "groups_p50"),
    ("groups broadcast fan-out p99 ms", "groups_p99"),
    ("state broadcast with N cards p50 ms", "cards_p50"),
    ("state broadcast with N cards p99 ms", "cards_p99"),
    ("submit-to-ack, burst, p50 ms", "burst_p50"),
    ("submit-to-ack, burst, p99 ms", "burst_p99"),
    ("submit-to-ack, paced, p50 ms", "paced_p50"),
    ("submit-to-ack, paced, p99 ms", "paced_p99"),
    ("late joiners, join p50 ms", "late_p50"),
    ("late joiners, join p99 ms", "late_p99"),
)


def tunnel_report(
    n: int, args: argparse.Namespace, direct: dict[str, Any], tunnel: dict[str, Any]
) -> str:
    """The tunnel run beside the direct one: same stages, ratio tunnel / direct."""
    head = ("metric", "direct", "tunnel", "ratio")
    rows = []
    for name, key in TUNNEL_ROWS:
        d, t = direct.get(key), tunnel.get(key)
        fmt = (lambda v: f"{v:.0f}") if key == "joins_per_s" else (lambda v: f"{v:.1f}")
        ratio = f"{t / d:.2f}x" if isinstance(d, int | float) and d and t is not None else ""
        rows.append(
            (name, fmt(d) if d is not None else "-", fmt(t) if t is not None else "-", ratio)
        )
    for label, room in (("direct", direct), ("tunnel", tunnel)):
        held = f"{room['held']}/{room['held_end']} of {n}"
        lost = f"{room['lost']} lost, {room['duplicated']} duplicated, {room['join_failed']}"
        rows.append((f"{label}: held, lost/duplicated/join failed", held, lost + " failed", ""))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    out = [
        f"N = {n} clients through the tunnel (wss → Caddy → sshd → SSH → server) vs direct"
        f" (ws to 127.0.0.1), server loop: {args.loop}, {os.cpu_count()} CPUs",
        "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    for r in rows:
        out.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out)


async def run_bare(n: int, seed: int, procs: int = 1) -> dict[str, Any]:
    server, ready = await ServerProcess.launch("--serve-bare")
    url = f"ws://127.0.0.1:{ready['port']}/ws"
    clients = await open_clients({"n": n, "url": url, "seed": seed, "room": False}, procs)
    try:
        return await drive(server, clients, n, room=False, seed=seed)
    finally:
        await clients.close()
        await server.quit()


def open_fds(pid: int) -> int:
    """Return how many file descriptors process ``pid`` has open (Linux)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


async def run_soak(n: int, minutes: float, args: argparse.Namespace) -> str:
    """N participants reconnecting at random (and writing now and then) for a while.

    Reports the server's memory and descriptors at the start and the end, and what was
    lost: nothing acknowledged may be missing, and no connection or descriptor may leak.
    """
    from app.live import MAX_CARDS_PER_PARTICIPANT
    from app.store import DB_NAME, Store
    from tankesmedja.rehearsal.bots import Bot, make_profiles

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        server, ready = await ServerProcess.launch(
            "--serve-room", str(data_dir), *server_options(args)
        )
        pid = ready["pid"]
        url = f"ws://127.0.0.1:{ready['port']}/ws"
        bots = [
            Bot(url, ready["token"], profile, seed=i, ack_timeout=60.0)
            for i, profile in enumerate(make_profiles(n, args.seed))
        ]
        drops = 0
        try:
            await asyncio.gather(*(b.start(120) for b in bots))
            await server.trigger(f"phase {MIXED}")
            await server.trigger("groups")
            await asyncio.sleep(2.0)
            start = await server.ask("stats")
            rss_start, fds_start = server.rss_kib(), open_fds(pid)
            deadline = time.monotonic() + minutes * 60

            async def life(bot: Any, own: random.Random) -> None:
                nonlocal drops
                while time.monotonic() < deadline:
                    await asyncio.sleep(own.uniform(1.0, 9.0))
                    if time.monotonic() >= deadline:
                        break
                    writes = own.random() < args.soak_write_share
                    if writes and len(bot.cards) < MAX_CARDS_PER_PARTICIPANT - 10:
                        await bot.submit_reflection(
                            MIXED, f"Tanke {len(bot.cards)} från {bot.name}"
                        )
                    else:
                        drops += 1
                        await bot.drop_connection(offline=own.uniform(0.0, 3.0))

            samples: list[str] = []

            async def sample() -> None:
                while time.monotonic() < deadline:
                    await asyncio.sleep(min(30.0, max(1.0, minutes * 6)))
                    samples.append(f"{server.rss_kib() / 1024:.1f}")

            sampler = asyncio.ensure_future(sample())
            await asyncio.gather(*(life(b, random.Random(rng.random())) for b in bots))
            sampler.cancel()
            # Everyone back and every outbox empty before the end is measured.
            await asyncio.gather(*(b.reconnect(120) for b in bots if not b.connected))
            await asyncio.gather(*(b.wait_drained(120) for b in bots))
            await asyncio.sleep(2.0)
            end = await server.ask("stats")
            rss_end, fds_end = server.rss_kib(), open_fds(pid)
        finally:
            await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
            await server.quit()
        store = Store(data_dir / DB_NAME, read_only=True)
        try:
            series = store.series()
            assert series is not None
            rows = [r for s in series.sessions for r in store.reflections(s.id)]
            people = sum(store.participant_count(s.id) for s in series.sessions)
            ok = store.integrity_ok()
        finally:
            store.close()
    acked = {k for b in bots for k in b.acked}
    written = {k for b in bots for k in b.cards}
    stored = {r.id for r in rows}
    refused = sum(len(b.refused) for b in bots)
    lines = [
        f"soak: {n} participants, {minutes:g} min, server loop {args.loop},"
        f" share of actions writing a card {args.soak_write_share:g}",
        f"  server RSS        start {rss_start / 1024:.1f} MiB   end {rss_end / 1024:.1f} MiB",
        f"  server RSS along the way (MiB): {' '.join(samples)}",
        f"  open descriptors  start {fds_start}   end {fds_end}",
        f"  connections       start {start['connections']}   end {end['connections']}"
        f"   (not yet in the room: {start['waiting']} / {end['waiting']})",
        f"  connection drops  {drops} (reconnects counted by the bots:"
        f" {sum(b.reconnects for b in bots)})",
        f"  cards written {len(written)}, acked {len(acked)}, stored {len(stored)},"
        f" refused {refused}",
        f"  lost (acked, not stored) {len(acked - stored)}; unknown stored"
        f" {len(stored - written)}; participants stored {people} of {n};"
        f" integrity_check {ok}",
    ]
    return "\n".join(lines)


def server_options(args: argparse.Namespace) -> list[str]:
    return ["--loop", args.loop, "--export-in", args.export_in]


def report(n: int, args: argparse.Namespace, room: dict[str, Any], bare: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []

    def ms(v: float) -> str:
        return f"{v:.1f}"

    def line(
        name: str, key: str, target: float | None = None, fmt: Callable[[float], str] = ms
    ) -> None:
        r, b = room.get(key), bare.get(key)
        ratio = f"{r / b:.2f}x" if isinstance(b, int | float) and b else ""
        verdict = ""
        if target is not None:
            verdict = f"{'ok' if r <= target else 'MISSED'} (<{target:g})"
        if ratio and key.endswith("_p99"):
            verdict += f"{', ' if verdict else ''}ratio {'ok' if r <= 1.5 * b else 'MISSED'}"
        rows.append(
            (
                name,
                fmt(r) if r is not None else "-",
                fmt(b) if b is not None else "-",
                ratio,
                verdict,
            )
        )

    line("join storm, joins/s", "joins_per_s", fmt=lambda v: f"{v:.0f}")
    line("join latency p50 ms", "join_p50")
    line("join latency p99 ms", "join_p99")
    rows.append(
        (
            "connections held (after 1 s / at end)",
            f"{room['held']}/{room['held_end']} of {n}",
            f"{bare['held']}/{bare['held_end']} of {n}",
            "",
            "ok" if room["held"] == room["held_end"] == n else "MISSED",
        )
    )
    line("phase broadcast fan-out p50 ms", "phase_p50")
    line("phase broadcast fan-out p99 ms", "phase_p99", TARGETS["fanout_p99"])
    line("groups broadcast fan-out p50 ms", "groups_p50")
    line("groups broadcast fan-out p99 ms", "groups_p99", TARGETS["fanout_p99"])
    line("  server: building and queueing ms", "phase_apply_ms")
    line("state broadcast with N cards p50 ms", "cards_p50")
    line("state broadcast with N cards p99 ms", "cards_p99", TARGETS["fanout_p99"])
    line("  server: building and queueing ms", "cards_apply_ms")
    line("submit-to-ack, burst, p50 ms", "burst_p50")
    line("submit-to-ack, burst, p99 ms", "burst_p99", TARGETS["ack_p99"])
    line("  burst: the cards reaching the author's group, p50 ms", "group_cards_p50")
    line("  burst: the cards reaching the author's group, p99 ms", "group_cards_p99")
    line("submit-to-ack, paced, p50 ms", "paced_p50")
    line("submit-to-ack, paced, p99 ms", "paced_p99", TARGETS["ack_p99"])
    line("  one durable commit on this disk, p50 ms", "commit_p50")
    line("  one durable commit on this disk, p99 ms", "commit_p99")
    line("late joiners (N/10) while groups stand, join p50 ms", "late_p50")
    line("late joiners (N/10) while groups stand, join p99 ms", "late_p99")
    line("  server: join message to joined + state written, p50 ms", "late_server_p50")
    line("  server: join message to joined + state written, p99 ms", "late_server_p99")
    line(
        "  states sent to others per late joiner (room: N)",
        "late_states_per_join",
        fmt=lambda v: f"{v:.1f}",
    )
    line("server RSS per connection KiB", "rss_per_conn_kib", fmt=lambda v: f"{v:.0f}")
    line("a full garbage collection at the end, ms", "gc_full_ms")
    line("  objects frozen (gc.freeze) then", "gc_frozen", fmt=lambda v: f"{v:.0f}")
    rows.append(
        (
            "lost / duplicated / unknown stored",
            f"{room['lost']} / {room['duplicated']} / {room['extra']}",
            "",
            "",
            "ok" if room["lost"] == room["duplicated"] == room["extra"] == 0 else "MISSED",
        )
    )
    rows.append(
        ("stored cards, integrity_check", f"{room['stored']}, {room['integrity']}", "", "", "")
    )
    rows.append(
        (
            "group commits (joins, cards), largest batch",
            f"{room['commits']} for {n + room['late_n'] + room['stored']} writes,"
            f" {room['largest_batch']}",
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "export beside the paced load",
            f"{room['export_files']} files in {room['export_s']:.1f} s",
            "",
            "",
            "",
        )
    )
    for probe, stages in room["stall_ms"].items():
        bare_stages = bare["stall_ms"].get("asyncio", {}) if probe == "asyncio" else {}
        for stage in ("join", "phase", "groups", "burst", "cards", "paced", "late"):
            if stage not in stages:
                continue
            target = TARGETS["stall"] if stage == "paced" else None
            value = stages[stage]
            verdict = ("ok" if value <= target else "MISSED") + f" (<{target:g})" if target else ""
            label = f"loop max stall, {stage}{' + export' if stage == 'paced' else ''} ms"
            rows.append(
                (
                    f"{label} [{probe}]",
                    f"{value:.1f}",
                    f"{bare_stages[stage]:.1f}" if stage in bare_stages else "",
                    "",
                    verdict,
                )
            )
    for stage in ("burst", "cards", "late"):
        r, b = room["client_stall_ms"].get(stage), bare["client_stall_ms"].get(stage)
        if r is not None:
            rows.append(
                (
                    f"clients' own loop max stall, {stage} ms",
                    f"{r:.1f}",
                    f"{b:.1f}" if b is not None else "",
                    "",
                    "",
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    head = ("metric", "room", "bare", "ratio", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    out = [
        f"N = {n} clients in {args.procs} client process(es),"
        f" server loop: {args.loop}, export in a {args.export_in}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    for r in rows:
        out.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out)


async def bench(args: argparse.Namespace) -> None:
    if args.soak is not None:
        print(await run_soak(args.clients[0], args.soak, args), flush=True)
        return
    if args.via == "tunnel":
        for n in args.clients:
            direct = await run_room(n, args)
            tunnel = await run_room(n, args, tunnel=True)
            print(tunnel_report(n, args, direct, tunnel))
            print(flush=True)
        return
    for n in args.clients:
        room = await run_room(n, args)
        bare = await run_bare(n, args.seed, args.procs)
        print(report(n, args, room, bare))
        print(flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[500, 1000])
    parser.add_argument(
        "--loop",
        choices=("asyncio", "qt", "console"),
        default="asyncio",
        help="the server's loop: plain asyncio, Qt's (qasync), or Qt's with the console's"
        " main window shown on it (offscreen), as the app runs",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--export-in",
        choices=("thread", "process"),
        default="process",
        help="where the export beside the load runs (the console uses a spawned process)",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=None,
        metavar="MINUTES",
        help="instead of the stages: --clients N (first value) participants reconnecting at"
        " random and writing now and then for MINUTES; memory and descriptors at the start"
        " and end, and what was lost",
    )
    parser.add_argument(
        "--soak-write-share",
        type=float,
        default=0.5,
        help="in a soak: the share of a participant's actions that write a card (the rest"
        " drop the connection); 0 shows what reconnecting alone costs",
    )
    parser.add_argument(
        "--via",
        choices=("direct", "tunnel"),
        default="direct",
        help="tunnel: run the room directly and through sshd + Caddy on loopback, side by side",
    )
    parser.add_argument(
        "--procs",
        type=int,
        default=1,
        metavar="K",
        help="spread the clients over K processes, each its own loop (1: all in this one),"
        " so that what is measured is the server and not the clients' one loop",
    )
    parser.add_argument("--client-worker", help=argparse.SUPPRESS)
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--serve-room", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tunnel-settings", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # Every client is a socket here, and every connection one in the server: raise the limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard, 4 * max(args.clients) + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if args.serve_room:
        serve_room(args.serve_room, args.loop, args.export_in, args.tunnel_settings)
    elif args.serve_bare:
        asyncio.run(bare_main())
    elif args.client_worker:
        asyncio.run(client_worker(args.client_worker, args.part, args.procs))
    else:
        asyncio.run(bench(args))


if __name__ == "__main__":
    main()
