"""Entry to the room: its token and code, joining (by form or roster name) and resuming.

:class:`Entry` owns the session's room credentials (made once and persisted, so a restarted
console shows the same QR code and participants' links keep working), the limit on
participants and the rules of a join. A join is split like a participant's write
(:meth:`Entry.plan_join`): the room server commits a join storm in batches
(:mod:`app.commit`).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from app.model import Organisation, Participant
from app.protocol import ErrorCode, Join, ProtocolError, normalise_room_code
from app.session.people import ParticipantJoined, Participants, RosterChanged
from app.store import JoinKeyErased, Store
from app.workshop_db import RosterTaken

# No 0/O, 1/I/L: the code is read off a projector and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
TOKEN_BYTES = 12  # 96 bits: a QR join needs no typing, and guessing is hopeless

# The workshop's limit on participants per session (``tankesmedja --max-participants``):
# a script with the room token must not fill the database with junk joins. Far above the
# 88 of the Fyrbodal series and the 500 of the load bench.
MAX_PARTICIPANTS_KEY = "max_participants"
DEFAULT_MAX_PARTICIPANTS = 1000


def new_credentials() -> tuple[str, str]:
    """Return a fresh room token (for the QR code) and room code (to type)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return token, code


def join_url(base_url: str, room_token: str) -> str:
    """Return the address the QR code encodes: the page plus the room token.

    The token travels in the fragment, which browsers never send in HTTP requests or
    Referer headers, so it stays out of logs along the way.
    """
    return f"{base_url}/#t={room_token}"


def format_room_code(code: str) -> str:
    """Return a room code as shown to people: two groups of three, e.g. ``K7M-Q2P``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass(frozen=True, slots=True)
class RoomFull:
    """A join was refused: the session has as many participants as its limit allows."""

    limit: int


@dataclass(frozen=True, slots=True)
class JoinInfo:
    """How participants reach the room, as the console shows it."""

    join_url: str  # what the QR code encodes: base_url plus the room token
    base_url: str  # the short address to type
    room_code: str  # formatted for display, e.g. "K7M-Q2P"
    requested_port: int
    port: int
    loopback_only: bool  # no address other devices can reach
    public: bool = False  # join_url is the organisers' public address (their reverse proxy)

    @property
    def port_fallback(self) -> bool:
        """True when the asked-for port was taken and another one is used.

        Port 0 asks for any free port: whichever the system picks is no fallback.
        """
        return bool(self.requested_port) and self.port != self.requested_port

    def with_room(self, room_token: str, room_code: str) -> JoinInfo:
        """Return the same addresses for a room with a new token and code (shown formatted)."""
        return replace(self, join_url=join_url(self.base_url, room_token), room_code=room_code)


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_public_url(text: str | None) -> str | None:
    """Return a public join address in canonical form, or None when ``text`` is empty.

    The organisers' reverse proxy serves the participant page at the root of this address,
    e.g. ``https://workshop.example.se`` (the page loads ``/app.js`` and opens ``/ws`` from
    the root, so a path prefix would not work). The canonical form is what browsers send as
    the page's Origin: lower-case scheme and host, no default port, no trailing slash.

    Raises:
        ValueError: for anything but an http(s) address of a host, with an optional port.
    """
    text = (text or "").strip()
    if not text:
        return None
    if any(c.isspace() for c in text) or "?" in text or "#" in text or "@" in text:
        raise ValueError("a public address has no spaces, query, fragment or user name")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError("a public address starts with https:// or http://")
    if parts.path not in ("", "/"):
        raise ValueError("a public address has no path: the page is served at its root")
    host = parts.hostname or ""
    if not host:
        raise ValueError("a public address needs a host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port of a public address is a number from 1 to 65535") from None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if not all(_HOST_LABEL.match(label) for label in host.split(".")):
            raise ValueError(f"{host!r} is not a host name") from None
        shown = host
    else:
        shown = f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
    if port == 0:
        raise ValueError("the port of a public address is a number from 1 to 65535")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        shown += f":{port}"
    return f"{scheme}://{shown}"


@dataclass(frozen=True, slots=True)
class JoinResult:
    """What a successful join or resume gives the participant."""

    participant: Participant
    resume_token: str
    # The join repeated an earlier one's key: the participant existed before this message.
    rejoined: bool = False


@dataclass(frozen=True)
class JoinPlan:
    """A checked join: commit ``write`` (its result goes to ``finish``), then ``finish``."""

    write: Callable[[Store], Participant | None]
    finish: Callable[[object], JoinResult]


EntryEvent = ParticipantJoined | RosterChanged | RoomFull


class Entry:
    """Who may enter a session's room, and how they join or come back."""

    def __init__(
        self,
        store: Callable[[], Store],
        session_id: int,
        organisations: Callable[[], Sequence[Organisation]],
        people: Participants,
        emit: Callable[[EntryEvent], None],
    ) -> None:
        """Load (or make and store) the session's room token and code and the join limit."""
        self._store = store
        self._session_id = session_id
        self._organisations = organisations
        self._people = people
        self._emit = emit
        token, code = store().room_credentials(session_id)
        if not token or not code:
            token, code = new_credentials()
            store().set_room_credentials(session_id, token, code)
        self.room_token: str = token
        self.room_code: str = code
        # Known only to this process: the console's own simulated participants send it with
        # their join, which marks them as rehearsal (left out of exports, removed in one step).
        self.rehearsal_key: str = secrets.token_urlsafe(24)
        stored_limit = store().get_meta(MAX_PARTICIPANTS_KEY)
        self.max_participants = (
            int(stored_limit)
            if stored_limit and stored_limit.isdigit() and int(stored_limit) > 0
            else DEFAULT_MAX_PARTICIPANTS
        )
        self._full_reported = 0.0

    def set_max_participants(self, limit: int) -> None:
        """Set (and remember in the workshop) how many may join a session.

        Raises:
            ValueError: for a limit below 1.
        """
        if limit < 1:
            raise ValueError("the limit on participants is at least 1")
        self._store().set_meta(MAX_PARTICIPANTS_KEY, str(limit))
        self.max_participants = limit

    def report_full(self) -> None:
        """Tell the console that a join was refused because the session is full.

        At most once every ten seconds: a queue of refused joins is one message.
        """
        now = time.monotonic()
        if now - self._full_reported >= 10.0:
            self._full_reported = now
            self._emit(RoomFull(self.max_participants))

    def token_ok(self, token: str) -> bool:
        """Return True if ``token`` is this room's token (constant-time comparison)."""
        return hmac.compare_digest(token.encode("utf-8"), self.room_token.encode("utf-8"))

    def code_ok(self, code: str) -> bool:
        """Return True if a typed ``code`` is this room's code, ignoring case and dashes."""
        typed = normalise_room_code(code).encode("utf-8")
        return hmac.compare_digest(typed, self.room_code.encode("utf-8"))

    @property
    def display_code(self) -> str:
        """The room code as shown on the console."""
        return format_room_code(self.room_code)

    def join(self, form: Join) -> JoinResult:
        """Add a participant; the row is committed before this returns.

        A join whose ``join_key`` an earlier join of this session had already used is that
        join sent again (its ``joined`` was lost): it returns the participant the first one
        made, with a fresh resume token, whatever the form says now; nothing else changes.

        Raises:
            ProtocolError: as :meth:`plan_join`.
        """
        plan = self.plan_join(form)
        return plan.finish(plan.write(self._store()))

    def plan_join(self, form: Join) -> JoinPlan:
        """Check a join and say what to store; the room changes only on ``finish``.

        Split like :meth:`app.live.Live.plan_reflect` so the room server can commit a join
        storm in batches (:mod:`app.commit`): ``write`` runs on the writer's connection (it
        reads there too, so a roster claim or a join key is checked in the same transaction
        that stores it) and ``finish`` takes its result on the loop.

        Raises:
            ProtocolError: if the organisation is not one of the series', (``roster_taken``)
                the picked roster name is claimed already or gone, or (``bad_resume``) the
                join key's participant has been erased. ``write`` raises these too.
        """
        session_id = self._session_id
        resume_token = secrets.token_urlsafe(24)
        entry = None
        if form.roster_id is not None:
            entry = self._store().roster_entry(form.roster_id)
            if entry is not None and entry.session_id != session_id:
                entry = None
        elif not any(o.id == form.organisation_id for o in self._organisations()):
            raise ProtocolError(ErrorCode.UNKNOWN_ORGANISATION, "organisation_id")
        participant: Participant | None = None  # None: the picked roster name is gone
        if entry is not None or form.roster_id is None:
            # A roster pick takes the entry's details; attendance and function only where
            # the entry has none.
            participant = Participant(
                id=uuid.uuid4().hex,
                session_id=session_id,
                name=entry.name if entry else form.name,
                organisation_id=entry.organisation_id if entry else form.organisation_id,
                role=entry.role if entry else form.role,
                attendance=(entry.attendance if entry else None) or form.attendance,
                function=(entry.function if entry else "") or form.function,
                joined_at=time.time(),
                rehearsal=form.rehearsal_key is not None
                and secrets.compare_digest(form.rehearsal_key, self.rehearsal_key),
            )
        roster_id = entry.id if entry is not None else None
        limit = self.max_participants

        def write(store: Store) -> Participant | None:
            """Store the join; return the earlier participant when this repeats a join key."""
            if form.join_key is not None:
                # Before the roster claim: a name the first join claimed is taken now, by
                # this very person, and must not be refused as roster_taken.
                try:
                    earlier = store.rejoin(session_id, form.join_key, resume_token)
                except JoinKeyErased:
                    # Erased on request: the page that still holds the key must not bring
                    # them back (nor their name) on its own; it is told their place is gone,
                    # as with a resume token, and shows the join form for a new join.
                    raise ProtocolError(ErrorCode.BAD_RESUME, "join_key") from None
                if earlier is not None:
                    return earlier
            if participant is None:
                raise ProtocolError(ErrorCode.ROSTER_TAKEN, "roster_id")
            # Counted on the writer's connection, in the transaction that adds them: joins
            # committed in one batch cannot slip past the limit together.
            if store.participant_count(session_id) >= limit:
                raise ProtocolError(ErrorCode.ROOM_FULL)
            try:
                store.add_participant(
                    participant, resume_token, roster_id=roster_id, join_key=form.join_key
                )
            except RosterTaken:
                raise ProtocolError(ErrorCode.ROSTER_TAKEN, "roster_id") from None
            return None

        def finish(earlier: object) -> JoinResult:
            if isinstance(earlier, Participant):
                # Already in the roster, the groups and the console: nothing new to show.
                found = self._people.participant(earlier.id)
                if found is None:  # erased while the repeat was being committed
                    raise ProtocolError(ErrorCode.BAD_RESUME, "join_key")
                return JoinResult(found, resume_token, rejoined=True)
            assert participant is not None  # ``write`` stored them
            self._people.add(participant)
            self._emit(ParticipantJoined(participant))
            if roster_id is not None:
                self._emit(RosterChanged())
            return JoinResult(participant, resume_token)

        return JoinPlan(write, finish)

    def resume(self, resume_token: str) -> Participant | None:
        """Return the participant this resume token belongs to in this session, or None."""
        found = self._store().participant_by_resume(self._session_id, resume_token)
        return None if found is None else (self._people.participant(found.id) or found)
