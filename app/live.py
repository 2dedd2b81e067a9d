"""The live session: one facade over its parts (program clock, groups, cards, survey, votes).

:class:`Live` is what the room server and the console drive. It owns no rule itself: it builds
the parts of :mod:`app.session` (and :class:`app.votes.Votes`), each with what it reads, and
hands every call to the part that owns it. Every command validates, commits to the store,
updates memory and then emits events; nothing here waits on the network. Participants' writes
are also offered split (``plan_*`` returns a :class:`Pending`) so the room server can commit
many of them together (:mod:`app.commit`).

The parts and their one owner each:

- :mod:`app.session.program` — the program and its clock;
- :mod:`app.session.groups` — the groups of each phase, late joiners, undo, locks, links;
- :mod:`app.session.reflections` — the cards and their moderation;
- :mod:`app.session.survey` — the survey items and answers;
- :mod:`app.votes` — the dots of the prioritise phases;
- :mod:`app.session.frames` — what a participant's page is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from app import grouping, protocol
from app.cards import on_wall
from app.clock import WARNING_SECONDS as WARNING_SECONDS  # re-exported for the shells
from app.clock import PhaseClock, PhaseStatus
from app.model import (
    GroupRound,
    Participant,
    Phase,
    PhaseKind,
    Reflection,
    Series,
    Session,
    SurveyItem,
    VoteScope,
)
from app.protocol import Frame, Reflect, SurveyAnswers, Vote, Withdraw
from app.session.events import (
    FramesOut,
    GroupsChanged,
    LiveEvent,
    Pending,
    PhaseChanged,
    ReflectionChanged,
    SurveyAnswered,
    changed_members,
    settle,
)
from app.session.frames import Frames
from app.session.groups import (
    DEFAULT_GROUP_SIZE,
    MUNICIPALITY_MAX_SIZE,
    UNDO_DEPTH,
    GroupJob,
    Groups,
)
from app.session.program import ProgramClock
from app.session.reflections import MAX_CARDS_PER_PARTICIPANT, Reflections
from app.session.survey import Survey
from app.survey import SurveyResults
from app.votes import Votes, VotesChanged

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.store import Store

__all__ = [
    "DEFAULT_GROUP_SIZE",
    "MAX_CARDS_PER_PARTICIPANT",
    "MUNICIPALITY_MAX_SIZE",
    "UNDO_DEPTH",
    "WARNING_SECONDS",
    "FramesOut",
    "GroupJob",
    "GroupsChanged",
    "Host",
    "Live",
    "LiveEvent",
    "Pending",
    "PhaseChanged",
    "PhaseClock",
    "PhaseStatus",
    "ReflectionChanged",
    "SurveyAnswered",
    "VotesChanged",
    "changed_members",
]


class Host(Protocol):
    """What :class:`Live` needs from the room that owns it, handed over when it is built.

    Live never imports its owner (:mod:`app.room`): the room builds it with itself as this
    host, so the import graph has no cycle, and everything Live asks of the room is listed
    here.
    """

    @property
    def store(self) -> Store:
        """The workshop file."""
        ...

    @property
    def session(self) -> Session:
        """The session the room runs now."""
        ...

    @property
    def series(self) -> Series:
        """The series the session belongs to."""
        ...

    def participant(self, participant_id: str) -> Participant | None:
        """Return a participant of the session, or None (erased, unknown)."""
        ...

    def participants(self) -> list[Participant]:
        """Return the session's participants."""
        ...

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ("" if unknown)."""
        ...

    def is_connected(self, participant_id: str) -> bool:
        """Return whether a participant has a page open now."""
        ...

    def survey_saved(self, items: tuple[SurveyItem, ...]) -> None:
        """Take note that the session's survey items were saved (the room keeps the session)."""
        ...


class Live:
    """The live part of a room's session: its parts, composed."""

    def __init__(self, room: Host, emit: Callable[[LiveEvent], None]) -> None:
        """Load the session's saved state (clock, groups, cards) from the room's store."""
        self.room = room
        self._emit = emit
        self._quiet = 0  # > 0 while a change the owner announces itself is applied
        self._load()

    def _load(self) -> None:
        room = self.room
        session = room.session

        def store() -> Store:
            # Read on every write: "Spara som…" switches the room to the copy mid-session.
            return room.store

        self.clock_part = ProgramClock(store, session.id, session.program, self._send)
        self.groups = Groups(
            store,
            session.id,
            room.series.id,
            lambda: self.clock_part.clock,
            lambda: self.clock_part.phases,
            room,
            self._send,
        )
        self.reflections = Reflections(
            store,
            session.id,
            lambda: self.clock_part.clock,
            lambda: self.clock_part.phases,
            self.groups.round,
            room.participant,
            self._send,
            frames_for=lambda card: self.frames.card_frames(card),
            card_gone=lambda card_id, announce: self.votes.drop_card(card_id, announce),
        )
        self.answers_part = Survey(
            store,
            session.id,
            session.survey,
            lambda: self.clock_part.clock,
            lambda: self.clock_part.phases,
            room,
            room.survey_saved,
            self._send,
        )
        self.votes = Votes(self, store, session.id, room.participants, self._send)
        self.frames = Frames(self)

    def reload(self) -> None:
        """Read the session's state from the store again (after its data was cleared).

        The parts are made anew; whoever holds this :class:`Live` keeps using it.
        """
        self._load()

    def _send(self, event: LiveEvent) -> None:
        # Looked up on every event (not bound once): a test may listen in on ``_emit``.
        if not self._quiet:
            self._emit(event)

    # -- program and clock (app.session.program) -----------------------------------------------

    @property
    def clock(self) -> PhaseClock:
        """The program clock."""
        return self.clock_part.clock

    @property
    def program(self) -> tuple[Phase, ...]:
        """The session's phases."""
        return self.clock_part.phases

    @property
    def phase(self) -> Phase | None:
        """The current phase, or None before the start and after the end."""
        return self.clock_part.phase

    def phase_open(self, index: int) -> bool:
        """Return True while phase ``index`` runs or is paused."""
        return self.clock_part.phase_open(index)

    def set_program(self, program: Sequence[Phase]) -> None:
        """Replace the program; see :meth:`ProgramClock.set_program`."""
        self.clock_part.set_program(program)

    def start(self, index: int | None = None, now: float | None = None) -> None:
        """Start phase ``index`` (default: the current one, or the first) with its full time."""
        self.clock_part.start(index, now)

    def pause(self, now: float | None = None) -> None:
        """Stop the countdown; the phase stays open."""
        self.clock_part.pause(now)

    def resume(self, now: float | None = None) -> None:
        """Restart the countdown where it was paused."""
        self.clock_part.resume(now)

    def add_time(self, seconds: float) -> None:
        """Give the current phase more (or, negative, less) time."""
        self.clock_part.add_time(seconds)

    def next_phase(self, now: float | None = None) -> None:
        """Close the current phase and start the next one (or end the program)."""
        self.clock_part.next_phase(now)

    # -- groups (app.session.groups) ----------------------------------------------------------

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase (default: the current one), if made."""
        return self.groups.round(phase_index)

    def history(self, phase_index: int) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """Return the mixed groups of earlier sessions and of earlier phases of this session."""
        return self.groups.history(phase_index)

    def _member(self, p: Participant) -> grouping.Member:
        return self.groups.member(p)

    def present(self) -> list[Participant]:
        """Return the participants connected now (the people grouping places)."""
        return self.groups.present()

    def group_job(
        self, phase_index: int | None = None, size: int | None = None, *, reshuffle: bool = False
    ) -> GroupJob:
        """Snapshot what grouping needs; see :meth:`Groups.group_job`."""
        return self.groups.group_job(phase_index, size, reshuffle=reshuffle)

    def make_groups(self, phase_index: int | None = None, size: int | None = None) -> GroupRound:
        """Group now, on the caller's thread (fine for a room; shells use an executor)."""
        return self.groups.make_groups(phase_index, size)

    def apply_groups(self, job: GroupJob, groups: list[list[str]]) -> GroupRound:
        """Commit groups computed by ``job.run()``; see :meth:`Groups.apply_groups`."""
        return self.groups.apply_groups(job, groups)

    def move(self, participant_id: str, to_group: int, phase_index: int | None = None) -> None:
        """Move one person to another group (the facilitator's drag and drop)."""
        self.groups.move(participant_id, to_group, phase_index)

    def set_locked(self, group_no: int, locked: bool, phase_index: int | None = None) -> None:
        """Lock a group so a reshuffle keeps it, or unlock it."""
        self.groups.set_locked(group_no, locked, phase_index)

    def set_link(self, group_no: int, link: str, phase_index: int | None = None) -> None:
        """Attach a meeting link (e.g. a video call's breakout room) to a group."""
        self.groups.set_link(group_no, link, phase_index)

    def can_undo(self) -> bool:
        """Return True when there is a group change to undo."""
        return self.groups.can_undo()

    def undo(self) -> None:
        """Put back the groups as they were before the last change."""
        self.groups.undo()

    def place_late(self, participant: Participant) -> int | None:
        """Place a late arrival without moving anyone; see :meth:`Groups.place_late`."""
        return self.groups.place_late(participant)

    def plan_forget(self, *participant_ids: str) -> Pending:
        """Plan dropping erased participants from the live state, as one change.

        ``write`` stores every round without them; call it inside the transaction that
        erases them (:meth:`app.room.Room.erase_participant`), so both commit or neither.
        ``apply`` then drops their cards, votes and answers from memory and takes them out of
        every round and undo step, quietly: the room announces the erasure with one event.
        Several are dropped together, so no round is stored with one of them still in.
        """
        gone = set(participant_ids)
        write_rounds, apply_rounds = self.groups.plan_forget(gone)

        def apply(_stored: object) -> tuple[Frame, ...]:
            self._quiet += 1
            try:
                self.reflections.forget(gone)
                for participant_id in participant_ids:
                    self.votes.forget(participant_id)
                    self.answers_part.forget((participant_id,))
                apply_rounds()
            finally:
                self._quiet -= 1
            return ()

        return Pending(0, write=write_rounds, apply=apply)

    # -- cards and moderation (app.session.reflections) ------------------------------------

    @property
    def cards_version(self) -> int:
        """A number that changes whenever any card is written, edited or moderated."""
        return self.reflections.version

    def cards(self) -> list[Reflection]:
        """Return all cards of the session, withdrawn ones included, in the order written."""
        return self.reflections.cards()

    def card(self, reflection_id: str) -> Reflection | None:
        """Return one card by id, or None."""
        return self.reflections.card(reflection_id)

    def reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Reflection:
        """Store a participant's card (new or edited), idempotently; commit before returning."""
        return self.reflections.reflect(participant, message, now)

    def plan_reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Pending:
        """Check a card and say what to store; see :meth:`Reflections.plan_reflect`."""
        return self.reflections.plan_reflect(participant, message, now)

    def withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Reflection | None:
        """Withdraw one's own card while its phase is open; a repeat is acknowledged quietly."""
        return self.reflections.withdraw(participant, message, now)

    def plan_withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Pending:
        """Check a withdrawal and say what to store; see :meth:`Reflections.plan_withdraw`."""
        return self.reflections.plan_withdraw(participant, message, now)

    def moderate(
        self, reflection_id: str, *, hidden: bool | None = None, highlighted: bool | None = None
    ) -> None:
        """Hide a card from the wall or highlight it (the facilitator's moderation)."""
        self.reflections.moderate(reflection_id, hidden=hidden, highlighted=highlighted)

    def group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the live cards a participant sees in a phase: their group's, or their own."""
        return self.reflections.group_cards(phase_index, participant_id)

    def all_group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the cards of a participant's group (hidden ones too), or their own."""
        return self.reflections.all_group_cards(phase_index, participant_id)

    # -- votes (rules in app.votes) -------------------------------------------------------

    def start_room_vote(self, title: str, minutes: int = 10, now: float | None = None) -> int:
        """Start a room-wide vote on the highlighted cards, right after the current phase.

        A prioritise phase with the scope "highlighted" is put into the program after the
        phase that runs (or at the start) and started. Returns its index.

        Raises:
            ValueError: if no card is highlighted.
        """
        if not any(c.highlighted and on_wall(c) for c in self.cards()):
            raise ValueError("no highlighted cards to vote on")
        at = max(self.clock.index + 1, 0)
        phase = Phase(PhaseKind.PRIORITISE, title, minutes, scope=VoteScope.HIGHLIGHTED)
        self.set_program([*self.program[:at], phase, *self.program[at:]])
        self.start(at, now)
        return at

    def vote(self, participant: Participant, message: Vote) -> None:
        """Set a participant's dots on a card; committed before returning.

        Raises:
            ProtocolError: as :meth:`app.votes.Votes.plan`.
        """
        settle(self.plan_vote(participant, message), self.room.store, self._send)

    def plan_vote(self, participant: Participant, message: Vote) -> Pending:
        """Check a vote and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: as :meth:`app.votes.Votes.plan`.
        """
        write, apply = self.votes.plan(participant, message)

        def applied(stored: object) -> tuple[Frame, ...]:
            apply(stored)  # its pages get new states through VotesChanged
            return ()

        return Pending(0, write=write, apply=applied)

    # -- survey (app.session.survey) ----------------------------------------------------------

    @property
    def survey(self) -> tuple[SurveyItem, ...]:
        """The session's survey items."""
        return self.answers_part.items

    @survey.setter
    def survey(self, items: tuple[SurveyItem, ...]) -> None:
        # Items stored by a console operation's own transaction (app.operations).
        self.answers_part.items = items

    def set_survey(self, items: Sequence[SurveyItem]) -> None:
        """Replace the session's survey items; see :meth:`Survey.set_items`."""
        self.answers_part.set_items(items)

    def check_survey(self, items: Sequence[SurveyItem]) -> None:
        """Check survey items as :meth:`set_survey` would, without saving them."""
        self.answers_part.check(items)

    def answers(self, participant_id: str) -> dict[str, int | str]:
        """Return a participant's saved survey answers."""
        return self.answers_part.answers(participant_id)

    def answer_survey(self, participant: Participant, message: SurveyAnswers) -> None:
        """Store survey answers (only items of this survey; Likert 1–5, open text)."""
        self.answers_part.answer(participant, message)

    def plan_survey(self, participant: Participant, message: SurveyAnswers) -> Pending:
        """Check survey answers and say what to store; see :meth:`Survey.plan`."""
        return self.answers_part.plan(participant, message)

    def survey_results(self) -> SurveyResults:
        """Count the answers per Likert item (overall and per organisation) and list open ones."""
        return self.answers_part.results()

    # -- what a participant's page shows (built in app.session.frames) -------------------------

    def state_message(
        self, participant: Participant, now: float | None = None
    ) -> protocol.StateMessage:
        """Return the ``state`` message: phase, timer, group, cards and survey for one person."""
        return self.frames.state_message(participant, now)

    def state_messages(
        self, participants: Iterable[Participant], now: float | None = None
    ) -> Iterator[tuple[Participant, protocol.StateMessage]]:
        """Yield each participant with their ``state`` message (see :class:`Frames`)."""
        return self.frames.state_messages(participants, now)

    def card_payload(self, card: Reflection, viewer_id: str) -> protocol.CardInfo:
        """Return a card as a group member's page shows it."""
        return self.frames.card_payload(card, viewer_id)

    def card_frames(self, card: Reflection) -> tuple[Frame, ...]:
        """Return the ``card`` frames a changed card sends: its author's and its group's."""
        return self.frames.card_frames(card)

    def card_audience(self, card: Reflection) -> set[str]:
        """Return the ids of the participants whose page shows this card live."""
        return self.frames.card_audience(card)

    def participant(self, participant_id: str) -> Participant | None:
        """Return a participant of the session, or None (erased, unknown)."""
        return self.room.participant(participant_id)

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ("" if unknown)."""
        return self.room.organisation_name(organisation_id)
