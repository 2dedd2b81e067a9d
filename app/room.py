"""The live room: who may enter, who has joined, who is connected now, and the live session.

This is the core's state machine for a live session, composed of parts with one owner each:
:class:`app.session.entry.Entry` (token, code, join, resume),
:class:`app.session.people.Participants` (people and presence) and :class:`app.live.Live`
(program clock, groups, cards, survey, votes). The room server calls it with validated
protocol messages; the console reads it and listens to its events, which every part sends
through the room. It does no network I/O: every method returns at once, after any write is
committed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from app import protocol
from app.live import Live, LiveEvent, PhaseChanged
from app.model import Participant, Series, Session, SurveyItem
from app.protocol import Join
from app.session.entry import CODE_ALPHABET as CODE_ALPHABET
from app.session.entry import CODE_LENGTH as CODE_LENGTH
from app.session.entry import DEFAULT_MAX_PARTICIPANTS as DEFAULT_MAX_PARTICIPANTS
from app.session.entry import MAX_PARTICIPANTS_KEY as MAX_PARTICIPANTS_KEY
from app.session.entry import TOKEN_BYTES as TOKEN_BYTES
from app.session.entry import Entry, JoinPlan, JoinResult, RoomFull
from app.session.entry import JoinInfo as JoinInfo
from app.session.entry import format_room_code as format_room_code
from app.session.entry import normalise_public_url as normalise_public_url
from app.session.people import (
    ConnectionChanged,
    ParticipantJoined,
    ParticipantRemoved,
    Participants,
    RosterChanged,
)
from app.store import Store
from app.workshop_db import RosterEntry

CURRENT_SESSION_KEY = "current_session"


@dataclass(frozen=True, slots=True)
class WorkshopChanged:
    """A console operation changed the workshop (see :mod:`app.operations`); views reload.

    One event per operation, emitted after its one transaction committed. ``what`` names the
    operation (``"edit"``, ``"roster"``, ``"clear"``); ``session_number`` the session it
    touched, when it touched one.
    """

    what: str
    session_number: int | None = None


RoomEvent = (
    ParticipantJoined
    | ConnectionChanged
    | ParticipantRemoved
    | RosterChanged
    | RoomFull
    | WorkshopChanged
    | LiveEvent
)


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
        self._listeners: list[Callable[[RoomEvent], None]] = []
        self._load_people()
        self.live = Live(self, self._emit)

    def _load_people(self) -> None:
        # Someone arriving while groups already exist is placed without moving others.
        self.people = Participants(
            self.store.participants(self.session.id),
            self._emit,
            lambda participant: self.live.place_late(participant),
        )
        self.entry = Entry(
            lambda: self.store,  # "Spara som…" switches the room to the copy mid-session
            self.session.id,
            lambda: self.series.organisations,
            self.people,
            self._emit,
        )

    def restart(self) -> None:
        """Read the running session afresh from the store, after its data was cleared.

        Its people, room token and code, clock, groups, cards, answers and votes are what
        the store holds now; nobody is connected. The caller announces the change
        (:func:`app.operations.clear_session`).
        """
        series = self.store.series()
        assert series is not None
        self.series = series
        self.session = next(s for s in series.sessions if s.id == self.session.id)
        self._load_people()
        self.live.reload()

    @property
    def room_token(self) -> str:
        """The secret in the QR code's address."""
        return self.entry.room_token

    @property
    def room_code(self) -> str:
        """The code people type, without its dash."""
        return self.entry.room_code

    @property
    def rehearsal_key(self) -> str:
        """The key the console's own simulated participants join with."""
        return self.entry.rehearsal_key

    @property
    def max_participants(self) -> int:
        """How many may join a session."""
        return self.entry.max_participants

    def set_max_participants(self, limit: int) -> None:
        """Set (and remember in the workshop) how many may join a session.

        Raises:
            ValueError: for a limit below 1.
        """
        self.entry.set_max_participants(limit)

    def report_full(self) -> None:
        """Tell the console that a join was refused: the session is full (once in 10 s)."""
        self.entry.report_full()

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
        return self.entry.token_ok(token)

    def code_ok(self, code: str) -> bool:
        """Return True if a typed ``code`` is this room's code, ignoring case and dashes."""
        return self.entry.code_ok(code)

    @property
    def display_code(self) -> str:
        """The room code as shown on the console."""
        return self.entry.display_code

    def join(self, form: Join) -> JoinResult:
        """Add a participant; the row is committed before this returns (see :class:`Entry`)."""
        return self.entry.join(form)

    def plan_join(self, form: Join) -> JoinPlan:
        """Check a join and say what to store; see :meth:`Entry.plan_join`."""
        return self.entry.plan_join(form)

    def resume(self, resume_token: str) -> Participant | None:
        """Return the participant this resume token belongs to in this session, or None."""
        return self.entry.resume(resume_token)

    # -- presence -------------------------------------------------------------------------

    def attach(self, participant_id: str) -> None:
        """Record one more open connection for a participant."""
        self.people.attach(participant_id)

    def detach(self, participant_id: str) -> None:
        """Record that one of a participant's connections closed."""
        self.people.detach(participant_id)

    def is_connected(self, participant_id: str) -> bool:
        """Return True while the participant has at least one open connection."""
        return self.people.is_connected(participant_id)

    def participant(self, participant_id: str) -> Participant | None:
        """Return one participant of this session by id, or None."""
        return self.people.participant(participant_id)

    def participants(self) -> list[Participant]:
        """Return everyone who joined this session, in joining order."""
        return self.people.participants()

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
        See :meth:`_erase`.
        """
        return self._erase([participant_id]) > 0

    def rehearsal_participants(self) -> list[Participant]:
        """Return this session's simulated participants (of any rehearsal, also an earlier run)."""
        return [p for p in self.store.participants(self.session.id) if p.rehearsal]

    def remove_rehearsal(self) -> int:
        """Erase every rehearsal participant of this session; return how many there were.

        Their cards, answers and group places go with them, in one transaction.
        """
        ids = [p.id for p in self.rehearsal_participants()]
        return self._erase(ids) if ids else 0

    def _erase(self, participant_ids: list[str]) -> int:
        # One core operation: every write (the people and all they wrote, and the rounds
        # they leave) in one transaction, so a failure half-way erases nothing; then memory
        # follows and one ParticipantRemoved tells the room server and the console.
        ours = tuple(pid for pid in participant_ids if self.people.participant(pid) is not None)
        forget = self.live.plan_forget(*ours)
        with self.store.transaction():
            found = self.store.erase_participants(participant_ids, compact=False)
            if forget.write is not None:
                forget.write(self.store)
        self.store.compact()  # outside the transaction: VACUUM cannot run inside one
        for participant_id in ours:
            self.people.remove(participant_id)
        forget.apply(None)
        if found or ours:
            self._emit(ParticipantRemoved(ours))
        return found

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
            info,
            result.resume_token,
            resumed=resumed,
            present=self.people.connected_count(),
            key=self.live.frames.public_key(p.id),
        )
