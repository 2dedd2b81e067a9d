"""The room server: the participant page over HTTP and the WebSocket endpoint, on one port.

It runs on whatever asyncio loop is current: the console's Qt loop (through qasync) or a plain
``asyncio.run`` when headless (tests, benchmarks, ``tankesmedja simulate``). It imports no Qt.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
from dataclasses import dataclass, field
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app import protocol
from app.live import GroupsChanged, PhaseChanged, PhaseStatus, ReflectionChanged
from app.model import Participant
from app.protocol import (
    ErrorCode,
    Hello,
    Join,
    Ping,
    ProtocolError,
    Reflect,
    SurveyAnswers,
    Withdraw,
)
from app.ratelimit import RateLimiter
from app.room import ConnectionChanged, JoinInfo, JoinResult, Room, RoomEvent
from room_server import netinfo, static

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
WS_PATH = "/ws"
# How many ports above the asked one we try before letting the OS pick any free port.
PORT_TRIES = 10
# Failed token or code attempts per address per minute before we stop checking.
ENTRY_ATTEMPTS_PER_MINUTE = 5
# Presence counts are batched: a join storm would otherwise cost n^2 messages.
PRESENCE_DELAY = 0.5
MAX_CONNECTIONS = 2000
# The page sends a ping every 25 s; a connection silent for this long is a dead browser.
IDLE_TIMEOUT = 75.0
# Messages one connection may send per 10 s; a page's outbox sends one item at a time.
MESSAGES_PER_10S = 40
MAX_FRAME = 16 * 1024

_HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


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
    ) -> None:
        """Prepare a server; nothing is bound until :meth:`start`.

        Args:
            room: the live room participants join.
            host: address to bind; None binds every interface.
            port: preferred port; a taken port falls back to a free one.
            advertise_host: address to put in the join link; default: the LAN address found
                by listing interfaces (or ``host`` when a specific one is bound).
        """
        self.room = room
        self.host = host
        self.requested_port = port
        self.port = port
        self.port_fallback = False
        self._advertise_host = advertise_host
        self.loopback_only = False
        self._files = static.load()
        self._server: Server | None = None
        self._clients: set[_Client] = set()
        self._by_participant: dict[str, set[_Client]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._entry_limiter = RateLimiter(ENTRY_ATTEMPTS_PER_MINUTE, 60.0)
        self._origins: frozenset[str] = frozenset()
        self.max_connections = MAX_CONNECTIONS
        self.idle_timeout = IDLE_TIMEOUT
        self._presence_handle: asyncio.TimerHandle | None = None
        room.subscribe(self._on_room_event)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving; falls back to another port if the asked one is taken."""
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
        self.port = self._server.sockets[0].getsockname()[1]
        self.port_fallback = self.port != self.requested_port
        if self._advertise_host is None:
            if self.host not in (None, "", "0.0.0.0", "::"):
                self._advertise_host = self.host
                self.loopback_only = self.host.startswith("127.") or self.host in (
                    "localhost",
                    "::1",
                )
            else:
                self._advertise_host, self.loopback_only = netinfo.lan_address()
        self._origins = self._allowed_origins()
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
            compression=None,
            max_size=MAX_FRAME,
            max_queue=16,
            open_timeout=10,
            ping_interval=20,
            ping_timeout=20,
            server_header=None,
        )

    async def stop(self) -> None:
        """Tell connected participants the session ended, then close every connection."""
        if self._presence_handle is not None:
            self._presence_handle.cancel()
        if self._server is None:
            return
        message = protocol.encode({"type": "ended"})
        broadcast([c.ws for c in self._clients], message)
        self._server.close()
        await self._server.wait_closed()
        self._server = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The short address people can type, e.g. ``http://192.168.1.20:8765``."""
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
        return f"{self.base_url}/#t={self.room.room_token}"

    def join_info(self) -> JoinInfo:
        """Return how participants reach the room (for the console's QR panel)."""
        return JoinInfo(
            join_url=self.join_url,
            base_url=self.base_url,
            room_code=self.room.display_code,
            requested_port=self.requested_port,
            port=self.port,
            loopback_only=self.loopback_only,
        )

    @property
    def connection_count(self) -> int:
        """Open WebSocket connections right now."""
        return len(self._clients)

    # -- HTTP ----------------------------------------------------------------------------------

    def _allowed_origins(self) -> frozenset[str]:
        """Return the origins the page can have: this machine's addresses at our port."""
        hosts = {c.address for c in netinfo.candidates()} | {"localhost", "127.0.0.1"}
        if self._advertise_host:
            hosts.add(self._advertise_host)
        if self.host not in (None, "", "0.0.0.0", "::"):
            hosts.add(str(self.host))
        return frozenset(f"http://{f'[{h}]' if ':' in h else h}:{self.port}" for h in hosts)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.method != "GET":
            response = self._response(
                HTTPStatus.METHOD_NOT_ALLOWED, b"Method not allowed\n", "text/plain", request
            )
            response.headers["Allow"] = "GET"
            return response
        path = request.path.split("?", 1)[0]
        if path == WS_PATH:
            # Only our own page may open the socket: a foreign site (or a DNS-rebinding name
            # for our address) sends another Origin; scripts without a browser send none.
            if request.headers.get("Origin") not in self._origins:
                return self._response(
                    HTTPStatus.FORBIDDEN, b"Forbidden origin\n", "text/plain", request
                )
            if len(self._clients) >= self.max_connections:
                return self._response(
                    HTTPStatus.SERVICE_UNAVAILABLE, b"Room is full\n", "text/plain", request
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
        connect = "'self'"
        host = request.headers.get("Host", "")
        if _HOST_HEADER.match(host):
            connect += f" ws://{host}"
        headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src {connect}; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        return Response(status.value, status.phrase, headers, body)

    # -- WebSocket ---------------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        address = str(ws.remote_address[0]) if ws.remote_address else "?"
        client = _Client(ws, address)
        self._clients.add(client)
        limiter = RateLimiter(MESSAGES_PER_10S, 10.0)
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
            if client.participant_id is not None:
                peers = self._by_participant.get(client.participant_id, set())
                peers.discard(client)
                if not peers:
                    self._by_participant.pop(client.participant_id, None)
                self.room.detach(client.participant_id)

    async def _send(self, client: _Client, message: dict[str, object]) -> None:
        try:
            await client.ws.send(protocol.encode(message))
        except ConnectionClosed:
            pass

    async def _dispatch(self, client: _Client, raw: str | bytes) -> None:
        try:
            message = protocol.parse(raw)
            if isinstance(message, Ping):
                await self._send(client, {"type": "pong"})
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
                if not self.room.code_ok(hello.room_code):
                    self._entry_limiter.hit(client.address)
                    raise ProtocolError(ErrorCode.BAD_CODE, "room_code")
            else:
                raise ProtocolError(ErrorCode.NOT_IN_ROOM)
            client.in_room = True
        welcome = self.room.welcome_message()
        # The page keeps the token so a reload needs no code; hand it to code users too.
        welcome["room_token"] = self.room.room_token
        await self._send(client, welcome)
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
        result = self.room.join(form)  # committed to disk before we answer
        await self._admit(client, result, resumed=False)

    async def _admit(self, client: _Client, result: JoinResult, resumed: bool) -> None:
        if client.participant_id is None:
            client.participant_id = result.participant.id
            client.resume_token = result.resume_token
            self._by_participant.setdefault(result.participant.id, set()).add(client)
            self.room.attach(result.participant.id)
        await self._send(client, self.room.joined_message(result, resumed))
        await self._send(client, self.room.live.state_message(result.participant))

    async def _participant_message(
        self, client: _Client, message: Reflect | Withdraw | SurveyAnswers
    ) -> None:
        participant = (
            self.room.participant(client.participant_id) if client.participant_id else None
        )
        if participant is None:
            raise ProtocolError(ErrorCode.NOT_JOINED)
        try:
            await self._apply(client, participant, message)
        except ProtocolError as exc:
            # ``ref`` tells the page which outbox item was refused.
            await self._send(client, exc.to_message(ref=message.id))

    async def _apply(
        self, client: _Client, participant: Participant, message: Reflect | Withdraw | SurveyAnswers
    ) -> None:
        live = self.room.live
        # Each of these commits to SQLite before it returns: the ack below is a promise.
        if isinstance(message, Reflect):
            card = live.reflect(participant, message)
            await self._send(client, {"type": "ack", "id": card.id, "revision": card.revision})
        elif isinstance(message, Withdraw):
            withdrawn = live.withdraw(participant, message)
            revision = withdrawn.revision if withdrawn else message.revision
            await self._send(client, {"type": "ack", "id": message.id, "revision": revision})
        else:
            live.answer_survey(participant, message)
            await self._send(client, {"type": "ack", "id": message.id, "revision": 0})

    # -- broadcasts --------------------------------------------------------------------------

    def _on_room_event(self, event: RoomEvent) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving (e.g. the console edits before the server started)
        if isinstance(event, ConnectionChanged) and self._presence_handle is None:
            self._presence_handle = loop.call_later(PRESENCE_DELAY, self._send_presence)
        elif isinstance(event, PhaseChanged | GroupsChanged):
            self._send_states()
        elif isinstance(event, ReflectionChanged) and not event.moderated:
            self._send_card(event)

    def _spawn(self, client: _Client, message: dict[str, object]) -> None:
        # Personal messages go out as tasks so one slow phone cannot hold up the others;
        # we keep the tasks referenced until done so they are not garbage-collected.
        task = asyncio.get_running_loop().create_task(self._send(client, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _joined_clients(self) -> list[tuple[_Client, Participant]]:
        found = []
        for client in self._clients:
            if client.participant_id is None:
                continue
            participant = self.room.participant(client.participant_id)
            if participant is not None:
                found.append((client, participant))
        return found

    def _send_states(self) -> None:
        live = self.room.live
        for client, participant in self._joined_clients():
            self._spawn(client, live.state_message(participant))

    def _send_card(self, event: ReflectionChanged) -> None:
        live = self.room.live
        if event.reflection.phase_index != live.clock.index:
            return  # a late card for a closed phase: the console shows it, pages have moved on
        for pid in live.card_audience(event.reflection):
            for client in self._by_participant.get(pid, ()):
                payload = live.card_payload(event.reflection, pid)
                self._spawn(client, {"type": "card", "card": payload})

    def _send_presence(self) -> None:
        self._presence_handle = None
        joined = [c.ws for c in self._clients if c.participant_id is not None]
        count = len({c.participant_id for c in self._clients if c.participant_id is not None})
        broadcast(joined, protocol.encode({"type": "presence", "present": count}))
