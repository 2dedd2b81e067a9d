"""The online session's way in: an outbound SSH reverse tunnel from this laptop to a relay.

Participants at home open ``https://relay-host/#t=…``. On the relay (the organisers' own
small VM) a TLS proxy (Caddy or nginx) forwards to a port on the relay's loopback, and that
port is the far end of this tunnel: sshd hands each connection to us through the SSH link,
and we connect it to the room server on this machine's loopback. The relay stores nothing;
no port is opened on the laptop and no router or firewall at the venue needs touching.

The tunnel runs on the current asyncio loop (the console's Qt loop through qasync), reports
its state (connecting, up, down) to a callback, reconnects by itself with backoff, and names
what is wrong in terms a facilitator can act on (:class:`TunnelProblem`). The relay's host key
is checked against a known_hosts file kept in the user's config folder; a relay seen for the
first time is pinned there on first use and its fingerprint reported so it can be compared
with what the organisers' IT published. It imports no Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncssh

log = logging.getLogger(__name__)

# Seconds between attempts after a failure, growing; the last one repeats.
BACKOFF = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
# A link that carries nothing is probed this often; after this many unanswered probes it is
# dead (a laptop lid closed, Wi-Fi gone) and we reconnect instead of waiting for TCP.
KEEPALIVE_INTERVAL = 10.0
KEEPALIVE_COUNT_MAX = 3
CONNECT_TIMEOUT = 15.0
# A link that stayed up this long counts as healthy: losing it resets the backoff.
STABLE_AFTER = 10.0


class TunnelState(enum.StrEnum):
    """Where the tunnel is; the console's state light shows it."""

    OFF = "off"
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


class TunnelProblem(enum.StrEnum):
    """Why the tunnel is down, in terms someone can act on (the console words each one)."""

    NONE = ""
    UNREACHABLE = "unreachable"  # no answer from the relay: network, name, firewall
    HOST_KEY_CHANGED = "host_key_changed"  # not the pinned relay: stop, ask IT
    LOGIN_REFUSED = "login_refused"  # the relay does not accept our key for the account
    PORT_TAKEN = "port_taken"  # the relay refused the port (in use, or not permitted)
    KEY_FILE = "key_file"  # our private key file is missing or unreadable
    LINK_LOST = "link_lost"  # was up, the connection dropped


# Problems a retry cannot fix: the tunnel waits for the facilitator (or IT) instead of
# knocking on the relay every 30 s with a key it refuses.
PERMANENT = frozenset(
    {TunnelProblem.HOST_KEY_CHANGED, TunnelProblem.LOGIN_REFUSED, TunnelProblem.KEY_FILE}
)


@dataclass(frozen=True)
class TunnelSettings:
    """How to reach the relay; kept in the user's settings, never in a workshop file.

    Attributes:
        relay_host: the relay's SSH host name or address.
        public_url: the address participants open (the relay's TLS proxy), e.g.
            ``https://workshop.example.se``.
        key_file: this laptop's private key, whose public half the relay's tunnel-only
            account lists in its ``authorized_keys``.
        known_hosts: the file where the relay's host key is pinned (the user config folder).
        user: the relay's tunnel-only account.
        ssh_port: the relay's SSH port.
        relay_port: the port on the relay's loopback that its proxy forwards to (the
            account's ``PermitListen``).
    """

    relay_host: str
    public_url: str
    key_file: Path
    known_hosts: Path
    user: str = "tankesmedja"
    ssh_port: int = 22
    relay_port: int = 9001


@dataclass(frozen=True)
class TunnelStatus:
    """One report of the tunnel's state.

    Attributes:
        state: off, connecting, up or down.
        problem: why it is down (or why the last attempt failed while connecting again).
        detail: the underlying error's text, for IT (not for the room).
        fingerprint: the relay's host key fingerprint (SHA256:…), once seen.
        pinned_now: True when that key was seen for the first time and pinned just now.
        retry_in: seconds until the next attempt, when one is planned.
        attempts: connection attempts since the last time it was up.
    """

    state: TunnelState = TunnelState.OFF
    problem: TunnelProblem = TunnelProblem.NONE
    detail: str = ""
    fingerprint: str | None = None
    pinned_now: bool = False
    retry_in: float | None = None
    attempts: int = 0


def _host_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def pinned_keys(known_hosts: Path, host: str, port: int) -> list[asyncssh.SSHKey]:
    """Return the host keys ``known_hosts`` lists for the relay (empty if none or no file)."""
    try:
        data = known_hosts.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return []
    try:
        addr = socket.gethostbyname(host)
    except OSError:
        addr = host
    keys = asyncssh.import_known_hosts(data).match(host, addr, port)[0]
    unique: dict[bytes, asyncssh.SSHKey] = {}
    for key in keys:  # a line may match by name and by address: the same key twice
        unique.setdefault(key.public_data, key)
    return list(unique.values())


def pin_host_key(known_hosts: Path, host: str, port: int, key: asyncssh.SSHKey) -> None:
    """Append the relay's key to ``known_hosts`` (written whole to a temporary file first)."""
    line = f"{_host_pattern(host, port)} {key.export_public_key().decode().strip()}\n"
    known_hosts.parent.mkdir(parents=True, exist_ok=True)
    try:
        old = known_hosts.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    if old and not old.endswith("\n"):
        old += "\n"
    tmp = known_hosts.with_name(known_hosts.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(old + line)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, known_hosts)


def classify(exc: BaseException) -> TunnelProblem:
    """Return what a connection error means for the facilitator."""
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return TunnelProblem.HOST_KEY_CHANGED
    if isinstance(exc, asyncssh.PermissionDenied):
        return TunnelProblem.LOGIN_REFUSED
    if isinstance(exc, asyncssh.ChannelListenError):
        return TunnelProblem.PORT_TAKEN
    if isinstance(exc, asyncssh.KeyImportError | FileNotFoundError | PermissionError):
        return TunnelProblem.KEY_FILE
    return TunnelProblem.UNREACHABLE


@dataclass(eq=False)
class Tunnel:
    """An SSH reverse tunnel that brings the relay's port to the room server's local port.

    Args:
        settings: how to reach the relay.
        local_port: the room server's port on this machine's loopback.
        on_status: called with every change of :attr:`status` (on the loop).
        backoff: seconds to wait after each failed attempt (the last repeats).
    """

    settings: TunnelSettings
    local_port: int
    on_status: Callable[[TunnelStatus], None] = lambda status: None
    backoff: Sequence[float] = BACKOFF
    keepalive_interval: float = KEEPALIVE_INTERVAL
    status: TunnelStatus = field(default_factory=TunnelStatus)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _conn: asyncssh.SSHClientConnection | None = field(default=None, repr=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    # -- control ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting (and keep reconnecting) on the running loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def retry_now(self) -> None:
        """Cut a wait short: try again at once (e.g. after IT fixed the relay)."""
        self._wake.set()
        self.start()

    async def stop(self) -> None:
        """Close the tunnel for good; participants through the relay lose their connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close_conn()
        self._set(TunnelStatus(fingerprint=self.status.fingerprint))

    # -- the loop ------------------------------------------------------------------------------

    def _set(self, status: TunnelStatus) -> None:
        if status != self.status:
            self.status = status
            self.on_status(status)

    async def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    async def _run(self) -> None:
        failures = 0
        while True:
            self._set(
                replace(
                    self.status,
                    state=TunnelState.CONNECTING,
                    retry_in=None,
                    attempts=failures + 1,
                    pinned_now=False,
                )
            )
            try:
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure is reported, none ends the loop silently
                problem = classify(exc)
                log.warning("tunnel to the relay failed (%s): %s", problem.value, exc)
                self._conn = None
                permanent = problem in PERMANENT
                delay = None if permanent else self.backoff[min(failures, len(self.backoff) - 1)]
                failures += 1
                self._set(
                    replace(
                        self.status,
                        state=TunnelState.DOWN,
                        problem=problem,
                        detail=str(exc),
                        retry_in=delay,
                    )
                )
                if permanent:
                    return  # waits for retry_now() or a new Tunnel with new settings
                await self._sleep(delay)
                continue
            conn = self._conn
            assert conn is not None
            up_since = time.monotonic()
            await conn.wait_closed()
            self._conn = None
            # A link that held a while is tried again at once; one the relay drops right
            # after letting us in (a flapping relay) backs off like a failed attempt.
            lasted = time.monotonic() - up_since
            delay = (
                0.0
                if lasted >= STABLE_AFTER
                else self.backoff[min(failures, len(self.backoff) - 1)]
            )
            failures = 0 if lasted >= STABLE_AFTER else failures + 1
            log.warning("tunnel to the relay lost after %.0f s; reconnecting", lasted)
            self._set(
                replace(
                    self.status,
                    state=TunnelState.DOWN,
                    problem=TunnelProblem.LINK_LOST,
                    detail="",
                    retry_in=delay,
                )
            )
            if delay:
                await self._sleep(delay)

    async def _sleep(self, delay: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    async def _connect(self) -> None:
        s = self.settings
        key = await asyncio.to_thread(asyncssh.read_private_key, str(s.key_file))
        known = await asyncio.to_thread(pinned_keys, s.known_hosts, s.relay_host, s.ssh_port)
        options: dict[str, object] = {}
        if known:
            options["known_hosts"] = str(s.known_hosts)
        else:
            # First contact: accept the key the relay shows, pin it below and report its
            # fingerprint. From then on a different key is refused (host_key_changed).
            options["known_hosts"] = None
        conn = await asyncio.wait_for(
            asyncssh.connect(
                s.relay_host,
                s.ssh_port,
                username=s.user,
                client_keys=[key],
                agent_path=None,
                config=None,
                password=None,
                kbdint_auth=False,
                keepalive_interval=self.keepalive_interval,
                keepalive_count_max=KEEPALIVE_COUNT_MAX,
                **options,  # type: ignore[arg-type]
            ),
            CONNECT_TIMEOUT,
        )
        try:
            host_key = conn.get_server_host_key()
            pinned_now = False
            if host_key is not None and not known:
                await asyncio.to_thread(
                    pin_host_key, s.known_hosts, s.relay_host, s.ssh_port, host_key
                )
                pinned_now = True
                log.info("relay host key pinned on first use: %s", host_key.get_fingerprint())
            # Each connection the relay's proxy opens comes to the room server from this
            # machine's loopback, with the proxy's X-Forwarded-For naming the participant.
            await conn.forward_remote_port("127.0.0.1", s.relay_port, "127.0.0.1", self.local_port)
        except BaseException:
            conn.abort()
            raise
        self._conn = conn
        self._set(
            TunnelStatus(
                state=TunnelState.UP,
                fingerprint=host_key.get_fingerprint() if host_key is not None else None,
                pinned_now=pinned_now,
            )
        )


def create_key(path: Path) -> str:
    """Write a new ed25519 private key to ``path`` (owner-only) and return its public line.

    The line goes to the relay's administrator for the tunnel account's ``authorized_keys``.
    An existing key at ``path`` is kept and its public line returned: replacing it would
    lock this laptop out of a relay that already lists it.

    Raises:
        OSError: if the file cannot be written.
    """
    if path.exists():
        return public_key_line(path)
    key = asyncssh.generate_private_key("ssh-ed25519", comment="tankesmedja")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return public_key_line(path)


def public_key_line(path: Path) -> str:
    """Return the ``ssh-ed25519 AAAA… comment`` line of the private key at ``path``.

    Raises:
        OSError: if the file cannot be read.
        ValueError: if it holds no key this tunnel can use.
    """
    try:
        key = asyncssh.read_private_key(str(path))
    except asyncssh.KeyImportError as exc:
        raise ValueError(str(exc)) from exc
    return key.export_public_key().decode().strip()
