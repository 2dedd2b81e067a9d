"""The session's cards: written, edited and withdrawn by participants, moderated by the console.

:class:`Reflections` owns the cards of one session in memory (as stored) and the rules of a
participant's write: their own card only, while its phase is open, at most
:data:`MAX_CARDS_PER_PARTICIPANT`, idempotent by revision. Writes are planned as
:class:`app.session.events.Pending` and applied once committed; the facilitator's moderation
is stored and applied at once. Which card a page may see is :mod:`app.cards`' one rule.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from app.cards import page_sees
from app.clock import PhaseClock
from app.model import REFLECTION_PHASES, GroupRound, Participant, Phase, Reflection
from app.protocol import ErrorCode, Frame, ProtocolError, Reflect, Withdraw
from app.session.events import Emit, FramesOut, Pending, ReflectionChanged, settle
from app.store import NotYours

if TYPE_CHECKING:
    from app.store import Store

# Cards (and withdrawn placeholders) one participant may make in a session, whatever their
# number of tabs: a real person writes a handful per phase; a script must not fill the wall.
MAX_CARDS_PER_PARTICIPANT = 100


class _Cards(dict[str, Reflection]):
    """The session's cards by id, with a counter that changes on every write."""

    version = 0

    def __setitem__(self, key: str, value: Reflection) -> None:
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.version += 1


class Reflections:
    """The cards of one session and the rules for writing and moderating them."""

    def __init__(
        self,
        store: Callable[[], Store],
        session_id: int,
        clock: Callable[[], PhaseClock],
        phases: Callable[[], tuple[Phase, ...]],
        round_of: Callable[[int], GroupRound | None],
        participant: Callable[[str], Participant | None],
        emit: Emit,
        frames_for: Callable[[Reflection], tuple[Frame, ...]],
        card_gone: Callable[[str, bool], None],
    ) -> None:
        """Load the session's cards from ``store``.

        ``round_of`` gives a phase's groups, ``participant`` looks a person up (None: erased),
        ``frames_for`` gives the frames a changed card sends to pages and ``card_gone`` tells
        the votes a card left the wall (withdrawn, hidden, erased), and whether to announce it.
        """
        self._store = store
        self._session_id = session_id
        self._clock = clock
        self._phases = phases
        self._round = round_of
        self._participant = participant
        self._emit = emit
        self._frames_for = frames_for
        self._card_gone = card_gone
        self._cards = _Cards({r.id: r for r in store().reflections(session_id)})
        self._authored: Counter[str] = Counter(r.participant_id for r in self._cards.values())
        self._buckets: tuple[tuple[int, int], dict[str, list[tuple[int, Reflection]]]] | None = None

    @property
    def version(self) -> int:
        """A number that changes whenever any card is written, edited or moderated."""
        return self._cards.version

    def forget(self, gone: set[str]) -> None:
        """Drop erased participants' cards (already deleted from the store) from memory.

        Each is shown once more as withdrawn and blank, so every view that keeps cards of its
        own (the wall, the projector) drops it; then it is gone from memory too.
        """
        for card in [c for c in self._cards.values() if c.participant_id in gone]:
            blank = replace(card, text="", withdrawn=True)
            self._cards[card.id] = blank
            self._emit(ReflectionChanged(blank, moderated=True))
            del self._cards[card.id]
            self._card_gone(card.id, True)
        for participant_id in gone:
            self._authored.pop(participant_id, None)

    def cards(self) -> list[Reflection]:
        """Return all cards of the session, withdrawn ones included, in the order written."""
        return list(self._cards.values())

    def card(self, reflection_id: str) -> Reflection | None:
        """Return one card by id, or None."""
        return self._cards.get(reflection_id)

    def reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Reflection:
        """Store a participant's card (new or edited), idempotently; commit before returning.

        Raises:
            ProtocolError: as :meth:`plan_reflect`.
        """
        settle(self.plan_reflect(participant, message, now), self._store(), self._emit)
        card = self._cards.get(message.id)
        assert card is not None  # stored and applied just now
        return card

    def plan_reflect(
        self, participant: Participant, message: Reflect, now: float | None = None
    ) -> Pending:
        """Check a card (new or edited) and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for a phase that collects no reflections, someone else's card, or
                an edit after the phase closed.
        """
        now = time.time() if now is None else now
        existing = self._cards.get(message.id)
        if existing is not None:
            if existing.participant_id != participant.id:
                raise ProtocolError(ErrorCode.NOT_YOURS, "id")
            if message.revision <= existing.revision:
                return Pending(existing.revision)  # a resend: just ack again
            if existing.withdrawn or not self._clock().is_open(existing.phase_index):
                raise ProtocolError(ErrorCode.PHASE_CLOSED, "id")
            card = replace(existing, text=message.text, revision=message.revision, updated_at=now)
        else:
            self._check_card_count(participant)
            index = message.phase
            if not 0 <= index < len(self._phases()) or index > max(self._clock().index, -1):
                raise ProtocolError(ErrorCode.NO_REFLECTIONS, "phase")
            if self._phases()[index].kind not in REFLECTION_PHASES:
                raise ProtocolError(ErrorCode.NO_REFLECTIONS, "phase")
            # A new card for a phase that has just closed was written while it was open
            # (it waited in the page's outbox): it is kept, never lost.
            rnd = self._round(index)
            group_no = rnd.group_of(participant.id) if rnd is not None else None
            card = Reflection(
                id=message.id,
                session_id=self._session_id,
                participant_id=participant.id,
                phase_index=index,
                round_id=rnd.id if rnd is not None and group_no is not None else None,
                group_no=group_no,
                organisation_id=participant.organisation_id,
                text=message.text,
                revision=message.revision,
                created_at=now,
                updated_at=now,
            )
        return self._card_write(card, announce=True)

    def withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Reflection | None:
        """Withdraw one's own card while its phase is open; a repeat is acknowledged quietly.

        Raises:
            ProtocolError: as :meth:`plan_withdraw`.
        """
        settle(self.plan_withdraw(participant, message, now), self._store(), self._emit)
        return self._cards.get(message.id)

    def plan_withdraw(
        self, participant: Participant, message: Withdraw, now: float | None = None
    ) -> Pending:
        """Check a withdrawal and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for someone else's card or a closed phase.
        """
        now = time.time() if now is None else now
        card = self._cards.get(message.id)
        if card is None:
            # The card itself has not arrived (it may still be on its way over an old
            # connection): keep a withdrawn tombstone so it cannot come back to life later.
            self._check_card_count(participant)
            tombstone = Reflection(
                id=message.id,
                session_id=self._session_id,
                participant_id=participant.id,
                phase_index=max(self._clock().index, 0),
                round_id=None,
                group_no=None,
                organisation_id=participant.organisation_id,
                text="",
                revision=message.revision,
                withdrawn=True,
                created_at=now,
                updated_at=now,
            )
            return self._card_write(tombstone, announce=False)
        if card.participant_id != participant.id:
            raise ProtocolError(ErrorCode.NOT_YOURS, "id")
        if card.withdrawn:
            return Pending(card.revision)
        if not self._clock().is_open(card.phase_index):
            raise ProtocolError(ErrorCode.PHASE_CLOSED, "id")
        card = replace(
            card, withdrawn=True, revision=max(card.revision + 1, message.revision), updated_at=now
        )
        return self._card_write(card, announce=True)

    def _check_card_count(self, participant: Participant) -> None:
        if self._authored[participant.id] >= MAX_CARDS_PER_PARTICIPANT:
            raise ProtocolError(ErrorCode.TOO_MANY_CARDS, "id")

    def _card_write(self, card: Reflection, announce: bool) -> Pending:
        def apply(stored: object) -> tuple[Frame, ...]:
            assert isinstance(stored, Reflection)
            if self._participant(stored.participant_id) is None:
                return ()  # erased while this was being committed: their words stay gone
            current = self._cards.get(stored.id)
            if current is not None:
                if current.revision > stored.revision:
                    return ()  # a newer revision was applied meanwhile (another tab)
                # Moderation is the facilitator's, set on this thread, store and memory at
                # once: the row read back on the writer's thread may predate a click.
                stored = replace(stored, hidden=current.hidden, highlighted=current.highlighted)
            else:
                self._authored[stored.participant_id] += 1
            self._cards[stored.id] = stored
            if announce:
                self._emit(ReflectionChanged(stored))
            if stored.withdrawn:
                self._card_gone(stored.id, True)  # the store dropped its votes with it
            return self._frames_for(stored) if announce else ()

        def write(store: Store) -> Reflection:
            try:
                return store.put_reflection(card)
            except NotYours:
                # Another person's card, e.g. of an earlier session (its id is not in memory).
                raise ProtocolError(ErrorCode.NOT_YOURS, "id") from None

        return Pending(card.revision, write=write, apply=apply)

    def moderate(
        self, reflection_id: str, *, hidden: bool | None = None, highlighted: bool | None = None
    ) -> None:
        """Hide a card from the wall or highlight it (the facilitator's moderation)."""
        before = self._cards.get(reflection_id)
        if before is None:
            raise KeyError(reflection_id)
        card = replace(
            before,
            hidden=before.hidden if hidden is None else hidden,
            highlighted=before.highlighted if highlighted is None else highlighted,
        )
        # One write (the store drops a hidden card's votes in the same transaction), then
        # memory, then one change event; the frames pages get come with it, as data.
        self._store().set_moderation(card.id, hidden=card.hidden, highlighted=card.highlighted)
        self._cards[card.id] = card
        if card.hidden:
            self._card_gone(card.id, False)  # its dots: said by the one event below
        changed = card.hidden != before.hidden
        self._emit(ReflectionChanged(card, moderated=True, visibility_changed=changed))
        if changed:
            # A card hidden (or shown again) leaves (or comes back to) its group's pages.
            frames = self._frames_for(card)
            if frames:
                self._emit(FramesOut(frames))

    def group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the live cards a participant sees in a phase: their group's, or their own.

        A card the facilitator hid is seen by its author only (marked so), never by the group.
        """
        return [
            c
            for c in self.all_group_cards(phase_index, participant_id)
            if page_sees(c, participant_id)
        ]

    def all_group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the cards of a participant's group (hidden ones too), or their own."""
        rnd = self._round(phase_index)
        group_no = rnd.group_of(participant_id) if rnd is not None else None
        by_author = self._cards_by_author(phase_index)
        if rnd is None or group_no is None:
            return [card for _, card in by_author.get(participant_id, ())]
        found = [c for pid in rnd.groups[group_no] for c in by_author.get(pid, ())]
        found.sort(key=lambda c: c[0])  # in the order written, as the cards are kept
        return [card for _, card in found]

    def _cards_by_author(self, phase_index: int) -> dict[str, list[tuple[int, Reflection]]]:
        # A phase change sends every participant their group's cards: the cards are sorted
        # by author once per change (not once per participant), which keeps that linear in
        # room size. By author, not by group, so a late joiner (a new round each time) does
        # not sort every card of the room again: a group's cards are its members'.
        key = (self._cards.version, phase_index)
        if self._buckets is not None and self._buckets[0] == key:
            return self._buckets[1]
        by_author: dict[str, list[tuple[int, Reflection]]] = {}
        for position, card in enumerate(self._cards.values()):
            if card.phase_index != phase_index or card.withdrawn:
                continue
            by_author.setdefault(card.participant_id, []).append((position, card))
        self._buckets = (key, by_author)
        return by_author
