"""The live room: who may enter, who has joined, who is connected now.

This is the core's state machine for the foundation of a live session. The room server calls
it with validated protocol messages; the console reads it and listens to its events. It does
no network I/O: every method returns at once, after any write is committed.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from app import protocol
from app.live import Live, LiveEvent, PhaseChanged
from app.model import Participant, Series, Session, SurveyItem
from app.protocol import (
    ErrorCode,
    Join,
    ProtocolError,
    normalise_room_code,
)
from app.store import JoinKeyErased, Store
from app.workshop_db import RosterEntry, RosterTaken

# No 0/O, 1/I/L: the code is read off a projector and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
TOKEN_BYTES = 12  # 96 bits: a QR join needs no typing, and guessing is hopeless

CURRENT_SESSION_KEY = "current_session"
# The workshop's limit on participants per session (``tankesmedja --max-participants``):
# a script with the room token must not fill the database with junk joins. Far above the
# 88 of the Fyrbodal series and the 500 of the load bench.
MAX_PARTICIPANTS_KEY = "max_participants"
DEFAULT_MAX_PARTICIPANTS = 1000


def format_room_code(code: str) -> str:
    """Return a room code as shown to people: two groups of three, e.g. ``K7M-Q2P``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    """A new participant has joined (and is stored)."""

    participant: Participant


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """A participant's number of open connections went to or from zero."""

    participant_id: str
    connected: bool


@dataclass(frozen=True, slots=True)
class ParticipantRemoved:
    """A participant's data was erased on request (GDPR); their connections are dropped."""

    participant_id: str


@dataclass(frozen=True, slots=True)
class RosterChanged:
    """The session's unclaimed roster names changed (import, a claim, an erasure)."""


@dataclass(frozen=True, slots=True)
class WorkshopChanged:
    """A console operation changed the workshop (see :mod:`app.operations`); views reload.

    One event per operation, emitted after its one transaction committed. ``what`` names the
    operation (``"edit"``, ``"roster"``, ``"clear"``); ``session_number`` the session it
    touched, when it touched one.
    """

    what: str
    session_number: int | None = None


@dataclass(frozen=True, slots=True)
class RoomFull:
    """A join was refused: the session has as many participants as its limit allows."""

    limit: int


RoomEvent = (
    ParticipantJoined
    | ConnectionChanged
    | ParticipantRemoved
    | RosterChanged
    | RoomFull
    | WorkshopChanged
    | LiveEvent
)


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
        """True when the asked-for port was taken and another one is used."""
        return self.port != self.requested_port


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


class Room:
    """The current session's room, backed by a :class:`Store`."""

    def __init__(self, store: Store, session_number: int | None = None) -> None:
        """Open the room of the given (or the last used, or the first) session.

        The room token and code are made once and persisted, so a restarted console keeps
        showing the same QR code and participants' links keep working.
        """
        self.store = store
        self.series: Series = store.ensure_sample()
        self._org_names: tuple[object, dict[int, str]] = ((), {})
        self.session: Session = self._pick_session(session_number)
        store.set_meta(CURRENT_SESSION_KEY, str(self.session.number))
        token, code = store.room_credentials(self.session.id)
        if not token or not code:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            store.set_room_credentials(self.session.id, token, code)
        self.room_token: str = token
        self.room_code: str = code
        # Known only to this process: the console's own simulated participants send it with
        # their join, which marks them as rehearsal (left out of exports, removed in one step).
        self.rehearsal_key: str = secrets.token_urlsafe(24)
        self._participants: dict[str, Participant] = {
            p.id: p for p in store.participants(self.session.id)
        }
        self._connections: Counter[str] = Counter()
        self._listeners: list[Callable[[RoomEvent], None]] = []
        stored_limit = store.get_meta(MAX_PARTICIPANTS_KEY)
        self.max_participants = (
            int(stored_limit)
            if stored_limit and stored_limit.isdigit() and int(stored_limit) > 0
            else DEFAULT_MAX_PARTICIPANTS
        )
        self._full_reported = 0.0
        self.live = Live(self, self._emit)

    def set_max_participants(self, limit: int) -> None:
        """Set (and remember in the workshop) how many may join a session.

        Raises:
            ValueError: for a limit below 1.
        """
        if limit < 1:
            raise ValueError("the limit on participants is at least 1")
        self.store.set_meta(MAX_PARTICIPANTS_KEY, str(limit))
        self.max_participants = limit

    def report_full(self) -> None:
        """Tell the console that a join was refused because the session is full.

        At most once every ten seconds: a queue of refused joins is one message.
        """
        now = time.monotonic()
        if now - self._full_reported >= 10.0:
            self._full_reported = now
            self._emit(RoomFull(self.max_participants))

    def _pick_session(self, number: int | None) -> Session:
        if number is None:
            stored = self.store.get_meta(CURRENT_SESSION_KEY)
            number = int(stored) if stored and stored.isdigit() else None
        for session in self.series.sessions:
            if number is None or session.number == number:
                return session
        raise ValueError(f"no session number {number} in {self.series.name}")

    # -- events --------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[RoomEvent], None]) -> None:
        """Call ``listener`` with every event from now on (on the caller's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[RoomEvent], None]) -> None:
        """Stop calling ``listener``."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, event: WorkshopChanged) -> None:
        """Tell every listener that an operation of :mod:`app.operations` changed the workshop."""
        self._emit(event)

    def _emit(self, event: RoomEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- entry ----------------------------------------------------------------------------

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
        return plan.finish(plan.write(self.store))

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
        session_id = self.session.id
        resume_token = secrets.token_urlsafe(24)
        entry = None
        if form.roster_id is not None:
            entry = self.store.roster_entry(form.roster_id)
            if entry is not None and entry.session_id != session_id:
                entry = None
        elif not any(o.id == form.organisation_id for o in self.series.organisations):
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
                found = self._participants.get(earlier.id)
                if found is None:  # erased while the repeat was being committed
                    raise ProtocolError(ErrorCode.BAD_RESUME, "join_key")
                return JoinResult(found, resume_token, rejoined=True)
            assert participant is not None  # ``write`` stored them
            self._participants[participant.id] = participant
            self._emit(ParticipantJoined(participant))
            if roster_id is not None:
                self._emit(RosterChanged())
            return JoinResult(participant, resume_token)

        return JoinPlan(write, finish)

    def resume(self, resume_token: str) -> Participant | None:
        """Return the participant this resume token belongs to in this session, or None."""
        found = self.store.participant_by_resume(self.session.id, resume_token)
        return None if found is None else self._participants.get(found.id, found)

    # -- presence -------------------------------------------------------------------------

    def attach(self, participant_id: str) -> None:
        """Record one more open connection for a participant."""
        self._connections[participant_id] += 1
        if self._connections[participant_id] == 1:
            self._emit(ConnectionChanged(participant_id, True))
            participant = self._participants.get(participant_id)
            if participant is not None:
                # Someone arriving while groups already exist is placed without moving others.
                self.live.place_late(participant)

    def detach(self, participant_id: str) -> None:
        """Record that one of a participant's connections closed."""
        if self._connections[participant_id] <= 0:
            return
        self._connections[participant_id] -= 1
        if self._connections[participant_id] == 0:
            del self._connections[participant_id]
            self._emit(ConnectionChanged(participant_id, False))

    def is_connected(self, participant_id: str) -> bool:
        """Return True while the participant has at least one open connection."""
        return self._connections[participant_id] > 0

    def participant(self, participant_id: str) -> Participant | None:
        """Return one participant of this session by id, or None."""
        return self._participants.get(participant_id)

    def participants(self) -> list[Participant]:
        """Return everyone who joined this session, in joining order."""
        return list(self._participants.values())

    def survey_saved(self, items: tuple[SurveyItem, ...]) -> None:
        """Keep the session's survey items as :meth:`app.live.Live.set_survey` saved them."""
        self.session = replace(self.session, survey=items)

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name (empty if unknown)."""
        # Asked for every member of every group when pages are sent their state: a dict,
        # made again whenever the series (and so its organisations) is replaced.
        organisations = self.series.organisations
        if self._org_names[0] is not organisations:
            self._org_names = (organisations, {o.id: o.name for o in organisations})
        return self._org_names[1].get(organisation_id, "")

    # -- editing the workshop and erasing data ----------------------------------------------

    def reload_series(self) -> None:
        """Re-read organisations and themes after the workshop was edited; pages follow."""
        series = self.store.series()
        assert series is not None
        self.series = series
        self.session = next(s for s in series.sessions if s.id == self.session.id)
        self._emit(PhaseChanged(self.live.clock))  # every page gets a fresh state

    def import_roster(self, entries: list[RosterEntry]) -> tuple[int, int]:
        """Replace the session's unclaimed roster; return (added, kept because claimed)."""
        counts = self.store.replace_roster(self.session.id, entries)
        self._emit(RosterChanged())
        return counts

    def erase_participant(self, participant_id: str) -> bool:
        """Erase a participant of any session of the series (GDPR); True if found.

        For someone of this session the live state forgets them too: their cards leave the
        wall and their groups, everyone's page is updated and their own is disconnected.
        """
        found = self.store.erase_participant(participant_id)
        if participant_id in self._participants:
            del self._participants[participant_id]
            self._connections.pop(participant_id, None)
            self.live.forget(participant_id)
            self._emit(ParticipantRemoved(participant_id))
            self._emit(RosterChanged())
            self._emit(PhaseChanged(self.live.clock))  # every view and page shows it afresh
        return found

    def rehearsal_participants(self) -> list[Participant]:
        """Return this session's simulated participants (of any rehearsal, also an earlier run)."""
        return [p for p in self.store.participants(self.session.id) if p.rehearsal]

    def remove_rehearsal(self) -> int:
        """Erase every rehearsal participant of this session; return how many there were.

        Their cards, answers and group places go with them, in one transaction.
        """
        ids = [p.id for p in self.rehearsal_participants()]
        if not ids:
            return 0
        self.store.erase_participants(ids)
        self.live.forget(*ids)
        for participant_id in ids:
            if participant_id in self._participants:
                del self._participants[participant_id]
                self._connections.pop(participant_id, None)
                self._emit(ParticipantRemoved(participant_id))
        self._emit(RosterChanged())
        return len(ids)

    def erase_roster_entry(self, roster_id: int) -> bool:
        """Erase a roster name nobody claimed (GDPR); True if found."""
        found = self.store.erase_roster_entry(roster_id)
        self._emit(RosterChanged())
        return found

    # -- payloads for the participant page -------------------------------------------------

    def roster_payload(self) -> list[protocol.RosterEntryInfo]:
        """Return the unclaimed roster names people pick from, sorted by name."""
        entries = self.store.roster(self.session.id, unclaimed=True)
        return [
            protocol.RosterEntryInfo(id=e.id, name=e.name, organisation_id=e.organisation_id)
            for e in sorted(entries, key=lambda e: (e.name.casefold(), e.id))
        ]

    def welcome_message(self) -> protocol.WelcomeMessage:
        """Return the ``welcome`` message: what the join form needs to show.

        It carries the room token: the page keeps it so that a reload needs no code, also
        when the person typed the code.
        """
        return protocol.welcome(
            self.series.name,
            protocol.SessionInfo(
                number=self.session.number,
                theme=self.session.theme,
                subtitle=self.session.subtitle,
            ),
            [protocol.OrganisationInfo(id=o.id, name=o.name) for o in self.series.organisations],
            self.roster_payload(),
            self.room_token,
        )

    def joined_message(self, result: JoinResult, resumed: bool) -> protocol.JoinedMessage:
        """Return the ``joined`` message that puts the participant in the lobby."""
        p = result.participant
        info = protocol.ParticipantInfo(
            id=p.id,
            name=p.name,
            organisation_id=p.organisation_id,
            organisation=self.organisation_name(p.organisation_id),
            role=p.role.value,
            attendance=p.attendance.value,
            function=p.function,
        )
        return protocol.joined(
            info, result.resume_token, resumed=resumed, present=len(self._connections)
        )
