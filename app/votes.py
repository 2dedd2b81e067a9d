"""Dot voting in a prioritise phase: the rules, the tally and the ranking per group.

A prioritise phase (:attr:`app.model.PhaseKind.PRIORITISE`) gives every participant a number
of dots (``Phase.dots``) to spend on the cards of their own group, at most
``Phase.per_card`` on one card. Which cards: those of the latest municipality (or
mixed-group) phase before it, by the phase's ``scope``; or, room-wide, every highlighted card
of the session. Each ``vote`` message sets the dots on one card (an absolute number, so the
last message wins) and carries a client-made id: a resend of an applied id changes nothing,
and an id someone else used is refused.

Withdrawn and hidden cards give their dots back (the store deletes their votes in the same
transaction as the withdrawal or the moderation); an erased participant's votes go with
them. Participants see the counts only after the vote closes (the phase ends, or the
facilitator closes it) unless the phase has ``open_votes``.

:class:`Votes` is built by :class:`app.live.Live` with what it needs (the live cards and
groups through :class:`CardSource`, the store, a way to emit events); it never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.cards import on_wall
from app.model import GroupRound, Participant, Phase, PhaseKind, Reflection, VoteScope
from app.protocol import ErrorCode, ProtocolError, Vote
from app.store import Store, VoteIdTaken, VoteOverBudget

TOP = 3  # how many of its group's top cards a page shows once the vote has closed

# Which reflection phase a scope draws its cards from.
_SOURCE_KIND: dict[VoteScope, PhaseKind] = {
    VoteScope.MUNICIPALITY: PhaseKind.MUNICIPALITY,
    VoteScope.MIXED: PhaseKind.MIXED_GROUPS,
}


class CardSource(Protocol):
    """What the votes read from the live session (implemented by :class:`app.live.Live`)."""

    program: tuple[Phase, ...]

    def card(self, reflection_id: str) -> Reflection | None:
        """Return one card by id."""

    def cards(self) -> list[Reflection]:
        """Return every card of the session."""

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase."""

    def phase_open(self, index: int) -> bool:
        """Return True while phase ``index`` runs or is paused."""

    @property
    def cards_version(self) -> int:
        """A number that changes whenever any card changes."""


# A group whose cards are voted on together: ("group", index in the source round),
# ("organisation", id) for someone of a municipality phase without a group, or ("room", 0).
GroupKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class VotesChanged:
    """Someone's dots changed in a prioritise phase, or its voting closed or reopened.

    ``affected`` names the participants whose page shows something new; None: everyone.
    """

    phase_index: int
    affected: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class RankedCard:
    """A card with its dots and the number of people who gave it any."""

    card: Reflection
    dots: int
    voters: int


@dataclass(frozen=True, slots=True)
class RankedGroup:
    """One group's cards, most dots first (cards without dots last, in the order written)."""

    key: GroupKey
    organisation_id: int | None  # the municipality, for municipality groups
    cards: tuple[RankedCard, ...]

    @property
    def total(self) -> int:
        """All dots spent in this group."""
        return sum(c.dots for c in self.cards)


class Votes:
    """The dots of a session's prioritise phases."""

    def __init__(
        self,
        source: CardSource,
        store: Callable[[], Store],
        session_id: int,
        people: Callable[[], list[Participant]],
        emit: Callable[[VotesChanged], None],
    ) -> None:
        """Load the session's votes, applied vote ids and closed votes from the store.

        ``store`` gives the workshop file at the time of each write (it may be switched).
        """
        self._source = source
        self._store = store
        self._session_id = session_id
        self._people = people
        self._emit = emit
        self._dots: dict[tuple[int, str], dict[str, int]] = {}
        for phase_index, pid, card_id, dots in store().votes(session_id):
            self._dots.setdefault((phase_index, pid), {})[card_id] = dots
        self._ops: dict[str, str] = store().vote_ops(session_id)
        self._closed: set[int] = store().closed_votes(session_id)
        self._ballots: tuple[tuple[int, int, int], dict[GroupKey, list[Reflection]]] | None = None
        # A room-wide state broadcast asks for the tally once per participant: count once per
        # change of the votes (``_changes``) instead.
        self._changes = 0
        self._tally: tuple[tuple[int, int], dict[str, tuple[int, int]]] | None = None

    # -- which cards -----------------------------------------------------------------------

    def phase(self, index: int) -> Phase | None:
        """Return the prioritise phase at ``index``, or None if it is not one."""
        return prioritise_phase(self._source.program, index)

    def source_phase(self, index: int) -> int | None:
        """Return the reflection phase whose cards a prioritise phase votes on (see below)."""
        return source_phase(self._source.program, index)

    def group_key(self, index: int, participant: Participant) -> GroupKey | None:
        """Return the group whose cards this participant votes on in phase ``index``."""
        phase = self.phase(index)
        if phase is None:
            return None
        source = self.source_phase(index)
        rnd = self._source.round(source) if source is not None else None
        return _key(phase, rnd, participant.id, participant.organisation_id)

    def ballots(self, index: int) -> dict[GroupKey, list[Reflection]]:
        """Return the cards each group votes on in phase ``index`` (live, not hidden)."""
        source = self.source_phase(index)
        rnd = self._source.round(source) if source is not None else None
        cache_key = (index, self._source.cards_version, id(rnd))
        if self._ballots is not None and self._ballots[0] == cache_key:
            return self._ballots[1]
        found = ballots(self._source, index)
        self._ballots = (cache_key, found)
        return found

    def ballot(self, index: int, participant: Participant) -> list[Reflection]:
        """Return the cards this participant may put dots on in phase ``index``."""
        key = self.group_key(index, participant)
        return list(self.ballots(index).get(key, ())) if key is not None else []

    # -- state ------------------------------------------------------------------------------

    def is_open(self, index: int) -> bool:
        """Return True while phase ``index`` takes votes (it runs and was not closed)."""
        return (
            self.phase(index) is not None
            and self._source.phase_open(index)
            and index not in self._closed
        )

    def mine(self, index: int, participant_id: str) -> dict[str, int]:
        """Return a participant's dots per card in phase ``index``."""
        return dict(self._dots.get((index, participant_id), {}))

    def remaining(self, index: int, participant_id: str) -> int:
        """Return how many dots a participant has left in phase ``index``."""
        phase = self.phase(index)
        if phase is None:
            return 0
        return max(0, phase.dots - sum(self._dots.get((index, participant_id), {}).values()))

    def tally(self, index: int) -> dict[str, tuple[int, int]]:
        """Return card id -> (dots, voters) in phase ``index`` (do not change it)."""
        if self._tally is not None and self._tally[0] == (index, self._changes):
            return self._tally[1]
        counts: dict[str, tuple[int, int]] = {}
        for (phase_index, _pid), cards in self._dots.items():
            if phase_index != index:
                continue
            for card_id, dots in cards.items():
                total, voters = counts.get(card_id, (0, 0))
                counts[card_id] = (total + dots, voters + 1)
        self._tally = ((index, self._changes), counts)
        return counts

    def ranking(self, index: int) -> list[RankedGroup]:
        """Return every group of phase ``index`` with its cards, most dots first."""
        return rank(self._source, index, self.rows(), self.ballots(index))

    def payload(self, index: int, participant: Participant) -> dict[str, Any] | None:
        """Return the ``vote`` part of a participant's ``state`` message in phase ``index``."""
        phase = self.phase(index)
        if phase is None:
            return None
        open_now = self.is_open(index)
        mine = self.mine(index, participant.id)
        message: dict[str, Any] = {
            "dots": phase.dots,
            "per_card": phase.per_card,
            "remaining": self.remaining(index, participant.id),
            "mine": mine,
            "open": open_now,
            "counts": None,
            "top": [],
        }
        if phase.open_votes or not open_now:
            ballot = self.ballot(index, participant)
            counts = self.tally(index)
            message["counts"] = {c.id: counts[c.id][0] for c in ballot if c.id in counts}
            if not open_now:
                ranked = sorted(
                    (c for c in ballot if counts.get(c.id, (0, 0))[0] > 0),
                    key=lambda c: rank_order(c, *counts[c.id]),
                )
                message["top"] = [
                    {"id": c.id, "text": c.text, "dots": counts[c.id][0]} for c in ranked[:TOP]
                ]
        return message

    # -- changes ------------------------------------------------------------------------------

    def plan(
        self, participant: Participant, message: Vote
    ) -> tuple[Callable[[Store], object] | None, Callable[[object], None]]:
        """Check a vote and return (write, apply) as :class:`app.live.Pending` wants them.

        ``write`` is None for a resend of an applied id (nothing changes; acknowledge again).

        Raises:
            ProtocolError: ``not_yours`` for an id someone else used; ``no_voting`` for a
                phase that is not a prioritise phase; ``voting_closed`` once it has closed;
                ``card_unavailable`` for an unknown, withdrawn or hidden card;
                ``other_group`` for a card not on this participant's ballot;
                ``too_many_dots`` for more than the phase allows on one card or in all.
        """
        owner = self._ops.get(message.id)
        if owner is not None:
            if owner != participant.id:
                raise ProtocolError(ErrorCode.NOT_YOURS, "id")
            return None, _nothing
        phase = self.phase(message.phase)
        if phase is None:
            raise ProtocolError(ErrorCode.NO_VOTING, "phase")
        if not self.is_open(message.phase):
            raise ProtocolError(ErrorCode.VOTING_CLOSED, "phase")
        card = self._source.card(message.card)
        if card is None or not on_wall(card):
            raise ProtocolError(ErrorCode.CARD_UNAVAILABLE, "card")
        if all(c.id != card.id for c in self.ballot(message.phase, participant)):
            raise ProtocolError(ErrorCode.OTHER_GROUP, "card")
        mine = self._dots.get((message.phase, participant.id), {})
        spent = sum(d for cid, d in mine.items() if cid != card.id)
        if message.dots > phase.per_card or spent + message.dots > phase.dots:
            raise ProtocolError(ErrorCode.TOO_MANY_DOTS, "dots")
        session_id, index, budget = self._session_id, message.phase, phase.dots

        def write(store: Store) -> object:
            try:
                return store.put_vote(
                    message.id, session_id, index, participant.id, card.id, message.dots, budget
                )
            except VoteIdTaken:
                raise ProtocolError(ErrorCode.NOT_YOURS, "id") from None
            except VoteOverBudget:
                raise ProtocolError(ErrorCode.TOO_MANY_DOTS, "dots") from None

        def apply(stored: object) -> None:
            if stored is None or not any(p.id == participant.id for p in self._people()):
                return  # a resend committed by another tab first, or erased meanwhile
            assert isinstance(stored, dict)
            self._ops[message.id] = participant.id
            # A card hidden or withdrawn while this was on its way lost its votes in the
            # store; memory follows what is stored and still valid.
            live = {
                cid: dots
                for cid, dots in stored.items()
                if (c := self._source.card(cid)) is not None and on_wall(c)
            }
            if live:
                self._dots[(index, participant.id)] = live
            else:
                self._dots.pop((index, participant.id), None)
            self._changes += 1
            self._emit(VotesChanged(index, self._audience(index, participant)))

        return write, apply

    def _audience(self, index: int, participant: Participant) -> frozenset[str] | None:
        phase = self.phase(index)
        if phase is None or not phase.open_votes:
            return frozenset({participant.id})  # only the voter's page changes
        key = self.group_key(index, participant)
        return frozenset(p.id for p in self._people() if self.group_key(index, p) == key)

    def close(self, index: int, closed: bool = True) -> None:
        """Close the vote of a prioritise phase before the phase ends (or reopen it).

        Raises:
            ValueError: if phase ``index`` is not a prioritise phase.
        """
        if self.phase(index) is None:
            raise ValueError(f"phase {index} is not a prioritise phase")
        if (index in self._closed) == closed:
            return
        self._store().set_votes_closed(self._session_id, index, closed)
        (self._closed.add if closed else self._closed.discard)(index)
        self._emit(VotesChanged(index, None))

    def drop_card(self, card_id: str, announce: bool = True) -> None:
        """Give back the dots on a card that was withdrawn or hidden (already so in the store).

        Without ``announce`` no :class:`VotesChanged` is sent: the caller's own event (a
        moderation's :class:`~app.session.events.ReflectionChanged`) says it all.
        """
        phases = set()
        voters = set()
        self._changes += 1
        for (index, pid), cards in list(self._dots.items()):
            if cards.pop(card_id, None) is not None:
                phases.add(index)
                voters.add(pid)
                if not cards:
                    del self._dots[(index, pid)]
        for index in sorted(phases) if announce else ():
            phase = self.phase(index)
            everyone = phase is not None and phase.open_votes
            self._emit(VotesChanged(index, None if everyone else frozenset(voters)))

    def forget(self, participant_id: str) -> None:
        """Drop an erased participant's votes (already deleted from the store)."""
        phases = {index for (index, pid) in self._dots if pid == participant_id}
        self._changes += 1
        for index in phases:
            del self._dots[(index, participant_id)]
        self._ops = {op: pid for op, pid in self._ops.items() if pid != participant_id}
        for index in sorted(phases):
            self._emit(VotesChanged(index, None))

    def rows(self) -> list[tuple[int, str, str, int]]:
        """Return (phase index, participant id, card id, dots) for every vote in memory."""
        return [
            (index, pid, card_id, dots)
            for (index, pid), cards in sorted(self._dots.items())
            for card_id, dots in sorted(cards.items())
        ]


def _nothing(_stored: object) -> None:
    """Nothing to apply in memory."""


def rank_order(card: Reflection, dots: int, voters: int) -> tuple[int, int, float, str]:
    """Return the sort key of a ranking: most dots, then most voters, then the order written."""
    return (-dots, -voters, card.created_at, card.id)


def prioritise_phase(program: Sequence[Phase], index: int) -> Phase | None:
    """Return ``program[index]`` if it is a prioritise phase, else None."""
    if 0 <= index < len(program) and program[index].kind == PhaseKind.PRIORITISE:
        return program[index]
    return None


def source_phase(program: Sequence[Phase], index: int) -> int | None:
    """Return the reflection phase whose cards prioritise phase ``index`` votes on.

    The latest phase before it of the scope's kind; None for a room-wide vote (or none).
    """
    phase = prioritise_phase(program, index)
    if phase is None or phase.scope not in _SOURCE_KIND:
        return None
    kind = _SOURCE_KIND[phase.scope]
    for earlier in range(index - 1, -1, -1):
        if program[earlier].kind == kind:
            return earlier
    return None


def _key(
    phase: Phase, rnd: GroupRound | None, participant_id: str, organisation_id: int
) -> GroupKey | None:
    if phase.scope == VoteScope.HIGHLIGHTED:
        return ("room", 0)
    number = rnd.group_of(participant_id) if rnd is not None else None
    if number is not None:
        return ("group", number)
    if phase.scope == VoteScope.MUNICIPALITY:
        return ("organisation", organisation_id)
    return None


def ballots(source: CardSource, index: int) -> dict[GroupKey, list[Reflection]]:
    """Return the cards each group votes on in prioritise phase ``index``.

    The one home of the rule "which cards are on whose ballot": the live vote, the console,
    the projector and the exports all ask here. Withdrawn and hidden cards never are.
    """
    phase = prioritise_phase(source.program, index)
    if phase is None:
        return {}
    source_index = source_phase(source.program, index)
    rnd = source.round(source_index) if source_index is not None else None
    found: dict[GroupKey, list[Reflection]] = {}
    for card in source.cards():
        if not on_wall(card):
            continue
        if phase.scope == VoteScope.HIGHLIGHTED:
            if not card.highlighted:
                continue
        elif source_index is None or card.phase_index != source_index:
            continue
        key = _key(phase, rnd, card.participant_id, card.organisation_id)
        if key is not None:
            found.setdefault(key, []).append(card)
    return found


def rank(
    source: CardSource,
    index: int,
    rows: Iterable[tuple[int, str, str, int]],
    groups: dict[GroupKey, list[Reflection]] | None = None,
) -> list[RankedGroup]:
    """Return every group of prioritise phase ``index`` with its cards, most dots first.

    ``rows`` are (phase index, participant id, card id, dots), as :meth:`Votes.rows` and
    the store return them; ``groups`` the ballots if already at hand.
    """
    phase = prioritise_phase(source.program, index)
    if phase is None:
        return []
    counts: dict[str, tuple[int, int]] = {}
    for phase_index, _pid, card_id, dots in rows:
        if phase_index == index:
            total, voters = counts.get(card_id, (0, 0))
            counts[card_id] = (total + dots, voters + 1)
    ranked_groups = []
    for key, cards in (ballots(source, index) if groups is None else groups).items():
        ranked = sorted(
            (RankedCard(c, *counts.get(c.id, (0, 0))) for c in cards),
            key=lambda r: rank_order(r.card, r.dots, r.voters),
        )
        organisations = {c.organisation_id for c in cards}
        org = next(iter(organisations)) if len(organisations) == 1 else None
        if phase.scope != VoteScope.MUNICIPALITY:
            org = None
        ranked_groups.append(RankedGroup(key, org, tuple(ranked)))
    ranked_groups.sort(key=lambda g: g.key)
    return ranked_groups
