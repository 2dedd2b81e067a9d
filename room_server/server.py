"""The room server: the participant page over HTTP and the WebSocket endpoint, on one port.

It runs on whatever asyncio loop is current: the console's Qt loop (through qasync) or a plain
``asyncio.run`` when headless (tests, benchmarks, ``tankesmedja simulate``). It imports no Qt.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import ipaddress
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidMessage
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol

from app import protocol
from app.commit import GroupCommitter
from app.live import FramesOut, GroupsChanged, PhaseChanged, PhaseStatus, ReflectionChanged
from app.model import Participant, PhaseKind
from app.paths import DEFAULT_PORT
from app.protocol import (
    ErrorCode,
    Frame,
    Hello,
    Join,
    Ping,
    ProtocolError,
    Reflect,
    SurveyAnswers,
    Vote,
    Withdraw,
)
from app.room import (
    ConnectionChanged,
    JoinInfo,
    JoinResult,
    ParticipantRemoved,
    Room,
    RoomEvent,
    RosterChanged,
    WorkshopChanged,
    normalise_public_url,
)
from app.session.entry import join_url
from app.store import Store
from app.votes import VotesChanged
from room_server import netinfo, static
from room_server.ratelimit import RateLimiter

log = logging.getLogger(__name__)

WS_PATH = "/ws"
# How many ports above the asked one we try before letting the OS pick any free port.
PORT_TRIES = 10
# Failed token or code attempts per address per minute before we stop checking.
ENTRY_ATTEMPTS_PER_MINUTE = 5
# Failed room-code attempts per minute from all addresses together before typed codes are
# no longer checked (for anyone, until the minute has passed): many addresses must not
# guess faster than this. The QR link's room token is not affected (it cannot be guessed).
ROOM_CODE_GUESSES_PER_MINUTE = 30
# Presence counts are batched: a join storm would otherwise cost n^2 messages.
PRESENCE_DELAY = 0.5
# While writes are being committed, the cards of those already committed wait (at most this
# long) so their authors' acks go out first: at N = 1000 writing at once, the bench measured
# the acks' p99 at 410 ms with the cards in between and 150 ms without any cards at all.
FRAMES_HELD_MAX = 0.25
FRAMES_RECHECK = 0.002
MAX_CONNECTIONS = 2000
# From this many people online, a room-wide change (a phase started, groups made) settles the
# heap afterwards: one full garbage collection then, and what is left frozen (gc.freeze), so
# the collections during the writing and the late joins that follow scan only what was made
# since. Measured by bench/load.py at N = 1 000: a full collection then costs ~14 ms instead
# of ~90 ms, and one of 90-240 ms had landed in a late-join storm or a burst now and then.
SETTLE_HEAP_MIN = 200
# Connections one address may hold: one script must not fill the room. A town hall's NAT
# can put a dozen remote officials (two tabs each) behind one address, hence not lower.
MAX_PER_ADDRESS = 64
# This machine is not capped: the console's rehearsal participants connect from here. A
# tunnel or proxy here brings remote participants in too, but it names each one's address in
# a forwarded header (see :func:`real_address`), and the caps apply to that address.
UNCAPPED_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
# Peers whose forwarded headers we believe: this machine, where the SSH tunnel's end (and a
# reverse proxy the organisers run beside the console) connects from. Others are added with
# ``trusted_proxies`` (e.g. the organisers' proxy on another machine).
LOOPBACK_PROXIES = ("127.0.0.1", "::1")
# Forwarded headers a proxy may name a client in; which one is read is a setting, because a
# proxy that manages one passes the other through from the client untouched (spoofable).
FORWARDED_HEADERS = ("x-forwarded-for", "forwarded")
# The page sends a ping every 25 s; a connection silent for this long is a dead browser.
IDLE_TIMEOUT = 75.0
# Messages one connection may send per 10 s; a page's outbox sends one item at a time.
MESSAGES_PER_10S = 40
# Writes (cards, withdrawals, survey answers) one participant may send per 10 s across all
# their tabs and devices; past it they get rate_limited and their outbox tries again later.
WRITES_PER_PARTICIPANT_10S = 40
MAX_FRAME = 16 * 1024
# Seconds a client may take from TCP connect to a finished WebSocket handshake.
OPEN_TIMEOUT = 10.0
# Distinct device addresses remembered for the console's reachability count.
MAX_DEVICES_SEEN = 4096
# Connections that have not said ``hello`` yet (TCP open, handshake under way, or silent
# after it), from every address, this machine included: idle sockets must not use up the
# process's file descriptors before real participants arrive. Past the cap the idlest go
# first (never sent a byte), then the oldest. Further bounded by the descriptor limit.
MAX_WAITING = 256
# Descriptors kept free of connections: the database, its log, the console's own files.
FD_RESERVE = 64
# Descriptors we ask the OS for (the soft limit is raised up to the hard one, at most this).
WANTED_FDS = 16384
# The same error from the loop (e.g. accept() failing while descriptors are exhausted) is
# logged once per this many seconds, with a count of the repeats in between.
ERROR_LOG_INTERVAL = 60.0


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the address in one forwarded entry (``1.2.3.4``, ``[::1]:80``…), or None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.partition(":")[0]
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _forwarded_chain(headers: Headers, header: str) -> list[str]:
    """Return the client addresses a forwarded header lists, nearest proxy's entry last."""
    values = headers.get_all(header)
    entries = [e for value in values for e in value.split(",")]
    if header == "x-forwarded-for":
        return [e.strip() for e in entries]
    chain = []
    for entry in entries:  # RFC 7239: ``for=192.0.2.43;proto=https, for="[2001:db8::1]"``
        found = ""
        for pair in entry.split(";"):
            key, _, value = pair.partition("=")
            if key.strip().lower() == "for":
                found = value.strip()
        chain.append(found)
    return chain


def real_address(
    peer: str,
    headers: Headers | None,
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
    header: str = "x-forwarded-for",
) -> str:
    """Return the participant's real address: the peer's, or the one its proxy vouches for.

    The forwarded header is believed only when the connection comes from a trusted proxy;
    from anyone else it is ignored, whatever it says. The header is read from the right (the
    entry the nearest proxy added) past any further trusted proxies, so entries a client
    wrote itself, to the left of what the proxies appended, are never taken. An entry that
    is no address (``unknown``, an obfuscated name) ends the walk at the last proxy.

    Args:
        peer: the TCP peer's address.
        headers: the request's headers (None before a request was read).
        trusted: networks of the proxies whose header is believed.
        header: ``x-forwarded-for`` or ``forwarded`` (RFC 7239), whichever the proxy sets.
    """

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return ip is not None and any(ip in net for net in trusted if net.version == ip.version)

    current = _parse_ip(peer)
    if headers is None or not is_trusted(current):
        return peer
    address = str(current)
    for entry in reversed(_forwarded_chain(headers, header)):
        ip = _parse_ip(entry)
        if ip is None:
            break
        address = str(ip)
        if not is_trusted(ip):
            break
    return address


def trusted_networks(
    addresses: tuple[str, ...] | list[str],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Return the networks of trusted proxies (``10.0.0.5``, ``10.1.0.0/16``…).

    Raises:
        ValueError: for an entry that is no address or network.
    """
    return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in addresses if a.strip())


def content_security_policy(origins: frozenset[str]) -> str:
    """Return the pages' CSP: their own files, and sockets to exactly the origins they have.

    ``connect-src`` names the WebSocket form of every origin the page is served from
    (``wss://`` for an https public address): older Safari does not count ``ws:``/``wss:``
    as ``'self'``. It is built from the server's own list, never from the request's Host,
    which a proxy may have rewritten (to ``127.0.0.1:PORT``) and a client may forge.
    """
    sockets = sorted(
        "wss://" + o.removeprefix("https://")
        if o.startswith("https://")
        else "ws://" + o.removeprefix("http://")
        for o in origins
    )
    connect = " ".join(["'self'", *sockets])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


# Headers a request may carry at most once: the origin check and the CSP read them.
_SINGLE_HEADERS = ("Host", "Origin")


def _single_header(request: Request, name: str) -> str:
    """Return a header that must appear once; empty if missing or repeated."""
    values = request.headers.get_all(name)
    return values[0] if len(values) == 1 else ""


def _peer_address(connection: ServerConnection) -> str:
    """Return a connection's TCP peer: all that is known of it before its request arrives.

    Only the waiting-socket cap uses it (it counts sockets before any header is read);
    every limit on participants goes through :meth:`RoomServer.client_address`.
    """
    return str(connection.remote_address[0]) if connection.remote_address else "?"


class _NoDebugLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The websockets logger with DEBUG switched off for good.

    At DEBUG websockets logs every frame's payload: room tokens in ``hello``, resume tokens
    in ``joined`` and the text of every card. Those must never reach a log file, whatever
    level someone turns on while hunting a bug; INFO and above (handshake failures,
    rejected connections) pass through unchanged.
    """

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        """Return False for DEBUG, else what the websockets logger says."""
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


_QUIET_LOGGER = _NoDebugLogger(logging.getLogger("websockets.server"), {})


def raise_fd_limit(wanted: int = WANTED_FDS) -> int:
    """Raise the soft limit on open files towards the hard one; return the limit now.

    macOS starts programs with a soft limit of 256 descriptors, which a busy room passes.
    Where the OS does not allow more (or has no such limit), the limit stays as it is.
    """
    try:
        import resource
    except ImportError:  # Windows: no per-process descriptor limit of this kind
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        for value in (target, 10240):  # macOS refuses more than OPEN_MAX (10240)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(value, target), hard))
                break
            except (ValueError, OSError):
                continue
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return wanted if soft == resource.RLIM_INFINITY else int(soft)


class _Doorway:
    """Connections that have not said ``hello`` yet, oldest first, under a cap.

    Past the cap, waiting connections are closed: first those that have not sent a single
    byte (idle sockets), then those that have; within each, from the address holding the
    most waiting connections (so one flooding device cannot push out everybody else's
    pages), oldest first. A newcomer gets a moment (``TRIM_DELAY``) to send its request
    before the count is trimmed, so a real page that arrives amid a burst of idle sockets
    is not taken for one of them; past twice the cap the idle ones are closed at once.
    """

    TRIM_DELAY = 0.2

    def __init__(self, cap: int) -> None:
        self.cap = cap
        # connection -> (its address, has sent bytes), oldest first
        self._waiting: dict[ServerConnection, tuple[str, bool]] = {}
        self._per_address: Counter[str] = Counter()
        self._trim: asyncio.TimerHandle | None = None
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def arrived(self, connection: ServerConnection) -> None:
        address = _peer_address(connection)
        self._waiting[connection] = (address, False)
        self._per_address[address] += 1
        if len(self._waiting) > 2 * self.cap:
            self.trim(2 * self.cap, idle_only=True)
        if len(self._waiting) > self.cap and self._trim is None:
            self._trim = asyncio.get_running_loop().call_later(self.TRIM_DELAY, self.trim)

    def trim(self, cap: int | None = None, *, idle_only: bool = False) -> None:
        """Close waiting connections until at most ``cap`` (default: the cap) are left."""
        if cap is None:
            self._trim = None
            cap = self.cap
        for talking in (False, True):
            if talking and idle_only:
                return
            while len(self._waiting) > cap:
                victim = self._victim(talking)
                if victim is None:
                    break
                self.left(victim)
                self.dropped += 1
                victim.transport.abort()

    def _victim(self, talking: bool) -> ServerConnection | None:
        """Return the oldest connection (idle, or talking) of the busiest address."""
        candidates = [(c, a) for c, (a, spoke) in self._waiting.items() if spoke == talking]
        if not candidates:
            return None
        busiest = max(self._per_address[a] for _, a in candidates)
        return next(c for c, a in candidates if self._per_address[a] == busiest)

    def spoke(self, connection: ServerConnection) -> None:
        entry = self._waiting.get(connection)
        if entry is not None and not entry[1]:
            self._waiting[connection] = (entry[0], True)

    def left(self, connection: ServerConnection) -> None:
        entry = self._waiting.pop(connection, None)
        if entry is not None:
            self._per_address[entry[0]] -= 1
            if self._per_address[entry[0]] <= 0:
                del self._per_address[entry[0]]

    def close(self) -> None:
        if self._trim is not None:
            self._trim.cancel()
            self._trim = None


def _answer_unreadable_requests(protocol: ServerProtocol) -> None:
    """Make ``protocol`` answer a request it cannot parse with ``400`` before closing.

    websockets closes such a connection without a word (a garbage request line, a header
    line without a colon, a header name that is not ASCII); a client deserves a status.
    """
    send_eof = protocol.send_eof

    def answer_then_eof() -> None:
        exc = protocol.handshake_exc
        if (
            protocol.state is State.CONNECTING
            and isinstance(exc, InvalidMessage)
            and not isinstance(exc.__cause__, EOFError)  # the client is gone: nobody to tell
        ):
            response = protocol.reject(HTTPStatus.BAD_REQUEST, "Bad request\n")
            protocol.writes.append(response.serialize())
        send_eof()

    protocol.send_eof = answer_then_eof  # type: ignore[method-assign]


def _counted_connection(doorway: _Doorway) -> type[ServerConnection]:
    """Return a connection class that reports its arrival, first bytes and end to ``doorway``."""

    class CountedConnection(ServerConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            _answer_unreadable_requests(self.protocol)

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            doorway.arrived(self)

        def data_received(self, data: bytes) -> None:
            doorway.spoke(self)
            super().data_received(data)

        def connection_lost(self, exc: Exception | None) -> None:
            doorway.left(self)
            super().connection_lost(exc)

    return CountedConnection


class _QuietErrors:
    """A loop exception handler that logs a run of the same error once per interval."""

    def __init__(self, previous: Any, interval: float = ERROR_LOG_INTERVAL) -> None:
        self.previous = previous
        self.interval = interval
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        key = (str(context.get("message", "")), type(exc).__name__)
        now = time.monotonic()
        last, repeats = self._last.get(key, (-self.interval, 0))
        if now - last < self.interval:
            self._last[key] = (last, repeats + 1)
            return
        if len(self._last) > 256:
            self._last.clear()
        self._last[key] = (now, 0)
        if repeats:
            context = {**context, "message": f"{key[0]} (and {repeats} times more since)"}
        if self.previous is not None:
            self.previous(loop, context)
        else:
            loop.default_exception_handler(context)


def _write_texts(ws: ServerConnection, messages: list[bytes]) -> None:
    """Write text messages to one connection in one go, as ``broadcast`` writes one.

    Like ``broadcast``: nothing waits, a connection that is not open is skipped, and a
    failed write is logged and skipped (the page gets its state again when it reconnects).
    """
    if ws.protocol.state is not State.OPEN or getattr(ws, "send_in_progress", None):
        return
    try:
        for data in messages:
            ws.protocol.send_text(data)
        # Only the frames just queued (an open connection has no end of stream pending).
        ws.transport.write(b"".join(ws.protocol.data_to_send()))
    except Exception as exc:
        log.warning("skipped a write to a page: %s", exc)


@dataclass(eq=False)
class _Client:
    """What the server knows about one open WebSocket connection."""

    ws: ServerConnection
    address: str
    in_room: bool = False
    participant_id: str | None = None
    resume_token: str | None = field(default=None, repr=False)


class RoomServer:
    """Serves one :class:`Room` to participants' browsers."""

    def __init__(
        self,
        room: Room,
        host: str | None = None,
        port: int = DEFAULT_PORT,
        *,
        advertise_host: str | None = None,
        trusted_proxies: tuple[str, ...] | list[str] = (),
        forwarded_header: str = "x-forwarded-for",
    ) -> None:
        """Prepare a server; nothing is bound until :meth:`start`.

        Args:
            room: the live room participants join.
            host: address to bind; None binds every interface.
            port: preferred port; a taken port falls back to a free one.
            advertise_host: address to put in the join link; default: the LAN address found
                by listing interfaces (or ``host`` when a specific one is bound).
            trusted_proxies: addresses or networks of reverse proxies whose forwarded header
                names the participant (this machine, where the tunnel ends, always counts).
            forwarded_header: the header those proxies set: ``x-forwarded-for`` (Caddy,
                nginx) or ``forwarded`` (RFC 7239).

        Raises:
            ValueError: for a trusted proxy that is no address or network, or another header.
        """
        self.room = room
        self.host = host
        self.requested_port = port
        self.port = port
        self.port_fallback = False
        self._advertise_host = advertise_host
        if forwarded_header.lower() not in FORWARDED_HEADERS:
            raise ValueError(f"forwarded_header is one of {', '.join(FORWARDED_HEADERS)}")
        self.forwarded_header = forwarded_header.lower()
        self.trusted_proxies = trusted_networks([*LOOPBACK_PROXIES, *trusted_proxies])
        self.loopback_only = False
        self._files = static.load()
        self._server: Server | None = None
        self._clients: set[_Client] = set()
        self._by_participant: dict[str, set[_Client]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._entry_limiter = RateLimiter(ENTRY_ATTEMPTS_PER_MINUTE, 60.0)
        self._code_guesses = RateLimiter(ROOM_CODE_GUESSES_PER_MINUTE, 60.0)
        self.writes_per_participant_10s = WRITES_PER_PARTICIPANT_10S  # read by start()
        self._write_limiter = RateLimiter(WRITES_PER_PARTICIPANT_10S, 10.0)
        self._origins: frozenset[str] = frozenset()
        self._csp = content_security_policy(self._origins)
        self._public_url: str | None = None
        self._devices_seen: dict[str, bool] = {}  # address -> is loopback (this machine)
        self.max_connections = MAX_CONNECTIONS
        self.max_per_address = MAX_PER_ADDRESS
        self._per_address: Counter[str] = Counter()
        self.max_waiting = MAX_WAITING  # read by start(), bounded there by the fd limit
        self._doorway = _Doorway(MAX_WAITING)
        self.fd_limit = 0  # the process's descriptor limit, read by start()
        self.idle_timeout = IDLE_TIMEOUT
        self.open_timeout = OPEN_TIMEOUT  # read by start()
        self.messages_per_10s = MESSAGES_PER_10S  # read when a connection opens
        self._presence_handle: asyncio.TimerHandle | None = None
        self._roster_handle: asyncio.TimerHandle | None = None
        self._group_states: set[str] | None = None  # pages whose group changed, to update
        self._settle_handle: asyncio.Handle | None = None
        self._froze = False  # this server froze the heap (see SETTLE_HEAP_MIN)
        self._committer: GroupCommitter | None = None
        self._frames_out: list[Frame] = []
        self._frames_since = 0.0  # when the oldest of _frames_out was queued
        room.subscribe(self._on_room_event)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving; falls back to another port if the asked one is taken."""
        self.fd_limit = raise_fd_limit()
        self._write_limiter = RateLimiter(self.writes_per_participant_10s, 10.0)
        # Waiting sockets may briefly reach twice their cap (see _Doorway): both fit.
        room_for_sockets = max(32, self.fd_limit - FD_RESERVE)
        self._doorway.cap = max(8, min(self.max_waiting, room_for_sockets // 5))
        self.max_connections = max(
            8, min(self.max_connections, room_for_sockets - 2 * self._doorway.cap)
        )
        loop = asyncio.get_running_loop()
        if not isinstance(loop.get_exception_handler(), _QuietErrors):
            loop.set_exception_handler(_QuietErrors(loop.get_exception_handler()))
        ports = [self.requested_port + i for i in range(PORT_TRIES)] if self.requested_port else []
        last_error: OSError | None = None
        for port in [*ports, 0]:
            try:
                self._server = await self._serve(port)
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES) and port != 0:
                    raise
                last_error = exc
                continue
            break
        if self._server is None:
            raise last_error or OSError("no port available")
        self._committer = GroupCommitter(self.room.store.path)
        self.room.live.groups.write_late = self._write_late
        self.port = self._server.sockets[0].getsockname()[1]
        self.port_fallback = bool(self.requested_port) and self.port != self.requested_port
        if self._advertise_host is None:
            if self.host not in (None, "", "0.0.0.0", "::"):
                self._advertise_host = self.host
                self.loopback_only = self.host.startswith("127.") or self.host in (
                    "localhost",
                    "::1",
                )
            else:
                self._advertise_host, self.loopback_only = netinfo.lan_address()
                if self.loopback_only:
                    log.warning(
                        "This computer has no network address other devices can reach: "
                        "only this computer can join. Join a Wi-Fi network or a phone "
                        "hotspot and restart."
                    )
        self._set_origins()
        if self.requested_port and self.port != self.requested_port:
            log.warning(
                "Port %d was taken, so the server uses port %d instead; "
                "the join address shows the right port.",
                self.requested_port,
                self.port,
            )
        # The join address carries the room token, so it is shown to the facilitator (console,
        # terminal) but never written to the log.
        log.info("Room server listening on port %d", self.port)

    async def _serve(self, port: int) -> Server:
        # With host=None asyncio binds IPv4 and IPv6 separately, and port 0 would give each
        # its own port; the last-resort random port therefore binds IPv4 only.
        host = self.host if (port or self.host) else "0.0.0.0"
        return await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            process_response=self._process_response,
            compression=None,
            max_size=MAX_FRAME,
            max_queue=16,
            open_timeout=self.open_timeout,
            ping_interval=20,
            ping_timeout=20,
            server_header=None,
            logger=_QUIET_LOGGER,
            create_connection=_counted_connection(self._doorway),
        )

    async def stop(self, *, ended: bool = False) -> None:
        """Tell connected participants the server goes away, then close every connection.

        Args:
            ended: the facilitator ended the session on purpose: pages say goodbye and stop
                reconnecting. Otherwise (quitting the console, switching workshop files) pages
                say the facilitator's computer is away and keep trying, so that they come back
                by themselves when the console starts again.
        """
        if self._presence_handle is not None:
            self._presence_handle.cancel()
        if self._roster_handle is not None:
            self._roster_handle.cancel()
        if self._settle_handle is not None:
            self._settle_handle.cancel()
            self._settle_handle = None
        if self._froze:
            gc.unfreeze()  # the room's heap is the collector's again
            self._froze = False
        self._doorway.close()
        if self._server is None:
            return
        message = protocol.encode_bytes(protocol.ended() if ended else protocol.away())
        broadcast([c.ws for c in self._clients], message, text=True)
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        if self.room.live.groups.write_late == self._write_late:
            self.room.live.groups.write_late = None
        if self._committer is not None:
            await self._committer.close()  # whatever is still on its way gets committed
            self._committer = None

    @property
    def commit_stats(self) -> tuple[int, int]:
        """(commits made, largest batch) of participants' writes since :meth:`start`."""
        if self._committer is None:
            return (0, 0)
        return (self._committer.batches, self._committer.largest_batch)

    # -- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The short address people can type, e.g. ``http://192.168.1.20:8765``.

        The public address, when the organisers set one (see :meth:`set_public_url`).
        """
        if self._public_url is not None:
            return self._public_url
        host = self._advertise_host or "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def origin(self) -> str:
        """The page's origin as browsers send it in the Origin header."""
        return self.base_url

    @property
    def join_url(self) -> str:
        """The address the QR code encodes: the page plus the room token.

        The token travels in the fragment, which browsers never send in HTTP requests or
        Referer headers, so it stays out of logs along the way.
        """
        return join_url(self.base_url, self.room.room_token)

    def join_info(self) -> JoinInfo:
        """Return how participants reach the room (for the console's QR panel)."""
        return JoinInfo(
            join_url=self.join_url,
            base_url=self.base_url,
            room_code=self.room.display_code,
            requested_port=self.requested_port,
            port=self.port,
            loopback_only=self.loopback_only and self._public_url is None,
            public=self._public_url is not None,
        )

    def set_public_url(self, url: str | None) -> JoinInfo:
        """Advertise the organisers' public address (their reverse proxy), or stop (None).

        The QR code and short address then show it, and pages loaded from it may open the
        WebSocket (their Origin is allowed); this machine's own addresses keep working.

        Raises:
            ValueError: if ``url`` is not an http(s) address of a host (see
                :func:`app.room.normalise_public_url`).
        """
        self._public_url = normalise_public_url(url)
        if self._server is not None:
            self._set_origins()
        return self.join_info()

    def client_address(self, connection: ServerConnection, request: Request | None) -> str:
        """Return the address a connection's limits count against: the real participant's.

        The one place the client's address is decided: the wrong-code limit, the per-address
        connection cap, join rates and the device count all use it. Behind the tunnel or a
        trusted proxy it is the address the proxy names; from anyone else the TCP peer's,
        whatever headers they send (see :func:`real_address`).
        """
        peer = str(connection.remote_address[0]) if connection.remote_address else "?"
        headers = request.headers if request is not None else None
        return real_address(peer, headers, self.trusted_proxies, self.forwarded_header)

    def device_counts(self) -> tuple[int, int]:
        """Return (devices that opened the page or its socket, of which not this machine).

        Devices are told apart by address only: behind the organisers' reverse proxy every
        remote participant shares the proxy's address.
        """
        others = sum(1 for loopback in self._devices_seen.values() if not loopback)
        return len(self._devices_seen), others

    def _seen_device(self, address: str) -> None:
        if address in self._devices_seen or len(self._devices_seen) >= MAX_DEVICES_SEEN:
            return
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return
        mapped = getattr(ip, "ipv4_mapped", None)
        self._devices_seen[address] = (mapped or ip).is_loopback

    @property
    def waiting_count(self) -> int:
        """Open connections that have not said ``hello`` yet."""
        return len(self._doorway)

    @property
    def connection_count(self) -> int:
        """Open WebSocket connections right now."""
        return len(self._clients)

    # -- HTTP ----------------------------------------------------------------------------------

    def _set_origins(self) -> None:
        self._origins = self._allowed_origins()
        self._csp = content_security_policy(self._origins)

    def _allowed_origins(self) -> frozenset[str]:
        """Return the origins the page can have: this machine's addresses at our port."""
        hosts = {c.address for c in netinfo.candidates()} | {"localhost", "127.0.0.1"}
        if self._advertise_host:
            hosts.add(self._advertise_host)
        if self.host not in (None, "", "0.0.0.0", "::"):
            hosts.add(str(self.host))
        origins = {f"http://{f'[{h}]' if ':' in h else h}:{self.port}" for h in hosts}
        if self._public_url is not None:
            origins.add(self._public_url)  # already in Origin form (normalise_public_url)
        return frozenset(origins)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if any(len(request.headers.get_all(name)) > 1 for name in _SINGLE_HEADERS):
            # Two Origin (or Host) headers: which one would a check read? Neither.
            return self._response(
                HTTPStatus.BAD_REQUEST, b"Repeated header\n", "text/plain", request
            )
        if request.method != "GET":
            response = self._response(
                HTTPStatus.METHOD_NOT_ALLOWED, b"Method not allowed\n", "text/plain", request
            )
            response.headers["Allow"] = "GET"
            return response
        path = request.path.split("?", 1)[0]
        address = self.client_address(connection, request)
        if path in ("/", "/index.html", WS_PATH):
            self._seen_device(address)
        if path == WS_PATH:
            # Only our own page may open the socket: a foreign site (or a DNS-rebinding name
            # for our address) sends another Origin; scripts without a browser send none.
            if _single_header(request, "Origin") not in self._origins:
                return self._response(
                    HTTPStatus.FORBIDDEN, b"Forbidden origin\n", "text/plain", request
                )
            if len(self._clients) >= self.max_connections:
                return self._response(
                    HTTPStatus.SERVICE_UNAVAILABLE, b"Room is full\n", "text/plain", request
                )
            if (
                address not in UNCAPPED_ADDRESSES
                and self._per_address[address] >= self.max_per_address
            ):
                return self._response(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    b"Too many connections from this device\n",
                    "text/plain",
                    request,
                )
            return None  # go on with the WebSocket handshake
        file = self._files.get(path)
        if file is None:
            return self._response(HTTPStatus.NOT_FOUND, b"Not found\n", "text/plain", request)
        return self._response(HTTPStatus.OK, file.body, file.content_type, request)

    def _response(
        self, status: HTTPStatus, body: bytes, content_type: str, request: Request
    ) -> Response:
        headers = Headers()
        headers["Content-Type"] = content_type
        headers["Content-Length"] = str(len(body))
        headers["Cache-Control"] = "no-store"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Content-Security-Policy"] = self._csp
        return Response(status.value, status.phrase, headers, body)

    def _process_response(
        self, connection: ServerConnection, request: Request, response: Response
    ) -> Response | None:
        # websockets answers some requests itself (426 for a plain GET of /ws, 400 for a
        # broken handshake); give those the same security headers as ours.
        if response.status_code == 101 or "Content-Security-Policy" in response.headers:
            return None
        status = response.status_code
        if status == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            status = HTTPStatus.BAD_REQUEST  # a malformed handshake is the client's: a 4xx
        secured = self._response(
            HTTPStatus(status),
            response.body or b"",
            "text/plain; charset=utf-8",
            request,
        )
        for key, value in response.headers.raw_items():
            if key not in secured.headers:  # e.g. ``Upgrade: websocket`` with a 426
                secured.headers[key] = value
        return secured

    # -- WebSocket ---------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        address = self.client_address(ws, ws.request)
        client = _Client(ws, address)
        self._clients.add(client)
        self._per_address[address] += 1
        limiter = RateLimiter(self.messages_per_10s, 10.0)
        try:
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), self.idle_timeout)
                except TimeoutError:
                    await ws.close(1001, "idle")
                    break
                if limiter.blocked("messages"):
                    await self._send(client, ProtocolError(ErrorCode.RATE_LIMITED).to_message())
                    continue
                limiter.hit("messages")
                await self._dispatch(client, raw)
        except ConnectionClosed:
            pass
        finally:
            self._clients.discard(client)
            self._per_address[address] -= 1
            if self._per_address[address] <= 0:
                del self._per_address[address]
            if client.participant_id is not None:
                peers = self._by_participant.get(client.participant_id, set())
                peers.discard(client)
                if not peers:
                    self._by_participant.pop(client.participant_id, None)
                self.room.detach(client.participant_id)

    async def _send(self, client: _Client, message: protocol.ServerMessage) -> None:
        try:
            await client.ws.send(protocol.encode_bytes(message), text=True)
        except ConnectionClosed:
            pass

    async def _dispatch(self, client: _Client, raw: str | bytes) -> None:
        try:
            message = protocol.parse(raw)
            if isinstance(message, Ping):
                await self._send(client, protocol.pong())
            elif isinstance(message, Hello):
                await self._hello(client, message)
            elif isinstance(message, Join):
                await self._join(client, message)
            else:
                await self._participant_message(client, message)
        except ProtocolError as exc:
            await self._send(client, exc.to_message())
        except Exception:
            # A bug must not take the room down for everyone: log it, tell this client.
            log.exception("error while handling a participant message")
            await self._send(client, ProtocolError(ErrorCode.SERVER_ERROR).to_message())

    async def _hello(self, client: _Client, hello: Hello) -> None:
        if self.room.live.clock.status == PhaseStatus.ENDED:
            # The room token dies with the session: nobody joins a session that is over.
            raise ProtocolError(ErrorCode.SESSION_ENDED)
        if not client.in_room:
            if self._entry_limiter.blocked(client.address):
                raise ProtocolError(ErrorCode.RATE_LIMITED)
            if hello.room_token is not None:
                if not self.room.token_ok(hello.room_token):
                    self._entry_limiter.hit(client.address)
                    raise ProtocolError(ErrorCode.BAD_TOKEN, "room_token")
            elif hello.room_code is not None:
                if self._code_guesses.blocked("room"):
                    # Not even a right code is checked now: an answer would tell a guesser.
                    raise ProtocolError(ErrorCode.RATE_LIMITED)
                if not self.room.code_ok(hello.room_code):
                    self._entry_limiter.hit(client.address)
                    self._code_guesses.hit("room")
                    raise ProtocolError(ErrorCode.BAD_CODE, "room_code")
            else:
                raise ProtocolError(ErrorCode.NOT_IN_ROOM)
            client.in_room = True
            self._doorway.left(client.ws)  # in the room now: no longer a waiting socket
        await self._send(client, self.room.welcome_message())
        if hello.resume_token is not None and client.participant_id is None:
            participant = self.room.resume(hello.resume_token)
            if participant is None:
                raise ProtocolError(ErrorCode.BAD_RESUME, "resume_token")
            await self._admit(client, JoinResult(participant, hello.resume_token), resumed=True)

    async def _join(self, client: _Client, form: Join) -> None:
        if not client.in_room:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM)
        if client.participant_id is not None and client.resume_token is not None:
            # A double-tapped join button must not make a second participant.
            participant = self.room.resume(client.resume_token)
            if participant is not None:
                await self._admit(client, JoinResult(participant, client.resume_token), True)
                return
        # Committed to disk (in a batch with the other joins of a storm) before we answer.
        # A join repeating an earlier one's join_key (its `joined` was lost to a cut or a
        # crash) gets that participant back with a new resume token, as resumed: the page
        # handles both alike, and no second participant is made.
        plan = self.room.plan_join(form)
        assert self._committer is not None  # messages arrive only while serving
        try:
            result = plan.finish(await self._committer.write(plan.write))
        except ProtocolError as exc:
            if exc.code == ErrorCode.ROOM_FULL:
                self.room.report_full()  # the console says so
            raise
        if result.rejoined and result.participant.id == client.participant_id:
            # This connection's own token was just replaced: later double taps send the new one.
            client.resume_token = result.resume_token
        await self._admit(client, result, resumed=result.rejoined)

    async def _admit(self, client: _Client, result: JoinResult, resumed: bool) -> None:
        if client.participant_id is None:
            client.participant_id = result.participant.id
            client.resume_token = result.resume_token
            # A late joiner is placed on attaching: the group they land in gets a ``state``
            # (sent soon, see _on_room_event), but not this page, which gets its own right
            # below, after ``joined`` (one ``state``, not two; the first before ``joined``).
            self.room.attach(result.participant.id)
            if self._group_states is not None:
                # Their own state, below, has the group they landed in.
                self._group_states.discard(result.participant.id)
            self._by_participant.setdefault(result.participant.id, set()).add(client)
        await self._send(client, self.room.joined_message(result, resumed))
        # Encoded by the core as for a broadcast (the group's shared parts once).
        for _, data in self.room.live.frames.state_frames([result.participant], time.time()):
            try:
                await client.ws.send(data, text=True)
            except ConnectionClosed:
                pass

    async def _participant_message(
        self, client: _Client, message: Reflect | Withdraw | SurveyAnswers | Vote
    ) -> None:
        participant = (
            self.room.participant(client.participant_id) if client.participant_id else None
        )
        if participant is None:
            raise ProtocolError(ErrorCode.NOT_JOINED)
        try:
            # Per person, not per connection: twenty tabs do not write twenty times as fast.
            if self._write_limiter.blocked(participant.id):
                raise ProtocolError(ErrorCode.RATE_LIMITED)
            self._write_limiter.hit(participant.id)
            await self._apply(client, participant, message)
        except ProtocolError as exc:
            # ``ref`` tells the page which outbox item was refused.
            await self._send(client, exc.to_message(ref=message.id))
        except Exception:
            # Not stored (disk full, a bug): no ack, so the page keeps the item in its outbox
            # and sends it again. The log gets the error, never the participant's text.
            log.exception("could not store a %s", type(message).__name__)
            error = ProtocolError(ErrorCode.SERVER_ERROR).to_message(ref=message.id)
            await self._send(client, error)

    async def _apply(
        self,
        client: _Client,
        participant: Participant,
        message: Reflect | Withdraw | SurveyAnswers | Vote,
    ) -> None:
        live = self.room.live
        if isinstance(message, Reflect):
            pending = live.plan_reflect(participant, message)
        elif isinstance(message, Withdraw):
            pending = live.plan_withdraw(participant, message)
        elif isinstance(message, Vote):
            pending = live.plan_vote(participant, message)
        else:
            pending = live.plan_survey(participant, message)
        stored = None
        if pending.write is not None:
            # The ack below is a promise: it goes out only after the batch holding this
            # write is committed. A failed commit raises here, so no ack, and the page's
            # outbox sends the item again.
            assert self._committer is not None  # messages arrive only while serving
            stored = await self._committer.write(pending.write)
        # Queued now, written right after this ack (and the other acks of the batch): the
        # group sees the card even if this ack is held up.
        self._queue_frames(pending.apply(stored))
        await self._send(client, protocol.ack(message.id, pending.revision))

    # -- broadcasts --------------------------------------------------------------------------

    def _on_room_event(self, event: RoomEvent) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving (e.g. the console edits before the server started)
        if isinstance(event, ConnectionChanged) and self._presence_handle is None:
            self._presence_handle = loop.call_later(PRESENCE_DELAY, self._send_presence)
        elif isinstance(event, PhaseChanged):
            self._send_states()
            self._schedule_settle(loop)
        elif isinstance(event, GroupsChanged) and event.affected is not None:
            # A late joiner's group (or a moved person's): sent once the handlers woken with
            # it have answered (a late-join storm's joiners get ``joined`` first), and once
            # for a group that several joiners landed in meanwhile.
            if self._group_states is None:
                self._group_states = set()
                loop.call_soon(self._send_group_states)
            self._group_states |= event.affected
        elif isinstance(event, GroupsChanged):
            self._send_states()
            self._schedule_settle(loop)
        elif isinstance(event, VotesChanged):
            self._send_states(event.affected)
        elif isinstance(event, ReflectionChanged) and self._voting():
            self._send_states()  # a card hidden (or shown) changes the ballots of a vote
        elif isinstance(event, FramesOut):
            # Frames of a change made outside this server's writes (the console's moderation).
            self._queue_frames(event.frames)
        elif isinstance(event, ParticipantRemoved):
            # One event for the whole erasure: drop their pages, show everyone else's page
            # afresh (groups and cards without them) and the join form's roster too.
            for participant_id in event.participant_ids:
                self._drop_participant(participant_id)
            self._send_states()
            self._schedule_roster(loop)
        elif isinstance(event, RosterChanged):
            self._schedule_roster(loop)
        elif isinstance(event, WorkshopChanged) and event.what == "clear":
            if event.session_number == self.room.session.number:
                self._drop_everyone()

    def _schedule_roster(self, loop: asyncio.AbstractEventLoop) -> None:
        # Batched like presence: during a join storm the list goes out twice a second.
        if self._roster_handle is None:
            self._roster_handle = loop.call_later(PRESENCE_DELAY, self._send_roster)

    def _voting(self) -> bool:
        phase = self.room.live.phase
        return phase is not None and phase.kind == PhaseKind.PRIORITISE

    def _send_roster(self) -> None:
        # People still on the join form see a name disappear as soon as someone picks it.
        self._roster_handle = None
        waiting = [c.ws for c in self._clients if c.in_room and c.participant_id is None]
        if waiting:
            roster = protocol.roster(self.room.roster_payload())
            broadcast(waiting, protocol.encode_bytes(roster), text=True)

    def _drop_participant(self, participant_id: str) -> None:
        # Their data was erased on request: the page must not go on as them. Its resume token
        # is void now, so after reconnecting it gets bad_resume and shows the join form.
        for client in self._by_participant.pop(participant_id, set()):
            client.participant_id = None
            client.resume_token = None
            task = asyncio.get_running_loop().create_task(client.ws.close(4001, "erased"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _drop_everyone(self) -> None:
        # The running session was cleared: nobody's place is left, and its room token and
        # code are new, so every page (also one still on the join form) is closed as erased.
        for participant_id in list(self._by_participant):
            self._drop_participant(participant_id)
        for client in [c for c in self._clients if c.in_room]:
            client.in_room = False
            task = asyncio.get_running_loop().create_task(client.ws.close(4001, "erased"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _schedule_settle(self, loop: asyncio.AbstractEventLoop) -> None:
        # After the room-wide state was written (the pages have it already), in a big room.
        if self._settle_handle is None and len(self._by_participant) >= SETTLE_HEAP_MIN:
            self._settle_handle = loop.call_soon(self._settle_heap)

    def _settle_heap(self) -> None:
        # What was frozen last time is collected now too (nothing stays frozen for good, so
        # a connection closed since leaks nothing); then what lives on is frozen again.
        self._settle_handle = None
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._froze = True

    def _send_group_states(self) -> None:
        people, self._group_states = self._group_states, None
        if people:
            self._send_states(frozenset(people))

    def _send_states(self, only: frozenset[str] | None = None) -> None:
        # Fan-out to the whole room (or to ``only``, e.g. the group a late joiner landed
        # in): each participant's state is built once (whatever their number of tabs), what
        # a group shares once per group, all with one clock reading, and written at once
        # with ``broadcast``, which queues the frame without a task or a wait per connection
        # (a slow phone cannot hold up the others; the bench measured a task per client as
        # the cost).
        pids = self._by_participant.keys() if only is None else only
        online = [pid for pid in pids if self._by_participant.get(pid)]
        people = [p for p in map(self.room.participant, online) if p is not None]
        # Encoded by the core from pieces each group shares (app.session.frames): the bytes
        # go out as text frames as they are.
        # One message per group in a reflection phase: one ``broadcast`` for all its members.
        for readers, data in self.room.live.frames.state_frames(people, time.time()):
            sockets = [c.ws for p in readers for c in self._by_participant.get(p.id, ())]
            if sockets:
                broadcast(sockets, data, text=True)

    def _write_late(self, write: Callable[[Store], None]) -> None:
        # A late joiner's place in their group, committed with the other writes of the
        # moment (see app.session.groups.Groups.write_late); nobody waits for it.
        assert self._committer is not None  # set while serving only
        task = asyncio.get_running_loop().create_task(self._committer.write(write))
        self._tasks.add(task)
        task.add_done_callback(self._late_written)

    def _late_written(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a late joiner's group could not be stored: %s", task.exception())

    def _queue_frames(self, frames: tuple[Frame, ...]) -> None:
        # A committed batch wakes hundreds of handlers at once: their acks go out first and
        # the cards to the authors' groups right after (call_soon runs after the handlers
        # already woken), so no ack waits behind other people's fan-outs. Who gets what was
        # decided (and encoded, once) by the core when it applied the change.
        if not frames:
            return
        if not self._frames_out:
            self._frames_since = time.monotonic()
            asyncio.get_running_loop().call_soon(self._send_frames)
        self._frames_out.extend(frames)

    def _send_frames(self) -> None:
        committer = self._committer
        if (
            committer is not None
            and committer.busy
            and time.monotonic() - self._frames_since < FRAMES_HELD_MAX
        ):
            # A burst: more writes are being committed now. Their acks go out first (each a
            # promise a page is waiting for, which otherwise resends); the cards follow when
            # the writes are done, each page's in one write (see FRAMES_HELD_MAX).
            asyncio.get_running_loop().call_later(FRAMES_RECHECK, self._send_frames)
            return
        frames, self._frames_out = self._frames_out, []
        # Gathered per connection: in a burst a page gets several of its group's cards at
        # once, and one write (one system call) per page instead of one per card is what the
        # loop pays then, between the acks of one commit and the next.
        out: dict[ServerConnection, list[bytes]] = {}
        for frame in frames:
            for pid in frame.recipients:
                for c in self._by_participant.get(pid, ()):
                    out.setdefault(c.ws, []).append(frame.data)
        for ws, messages in out.items():
            _write_texts(ws, messages)

    def _send_presence(self) -> None:
        self._presence_handle = None
        joined = [c.ws for c in self._clients if c.participant_id is not None]
        count = len({c.participant_id for c in self._clients if c.participant_id is not None})
        broadcast(joined, protocol.encode_bytes(protocol.presence(count)), text=True)
