"""What a participant's page is sent: ``state`` messages and ``card`` frames.

The one place that turns the live session (clock, program, groups, cards, survey, votes) into
the payloads of :mod:`app.protocol`. :class:`Frames` is built with a :class:`FrameSource`, the
few things it reads, and never imports its owner (:class:`app.live.Live`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict

from app import protocol
from app.cards import page_info, page_sees
from app.clock import WARNING_SECONDS, PhaseClock, PhaseStatus
from app.model import (
    REFLECTION_PHASES,
    GroupRound,
    Participant,
    Phase,
    PhaseKind,
    Reflection,
    SurveyItem,
)
from app.protocol import Frame

if TYPE_CHECKING:
    from app.votes import Votes


class _Member(TypedDict):
    """A group member without their public key (shared by the group's messages)."""

    name: str
    organisation: str


class _GroupSkeleton(TypedDict):
    """A group's part of ``state`` without its members (shared by the group's messages)."""

    kind: str
    number: int
    attendance: str | None
    link: str | None


@dataclass(frozen=True, slots=True)
class _EncodedGroup:
    """A group's ``state`` in a reflection phase, encoded once for all its members."""

    start: bytes  # the message up to the opening of its card list
    # (author, the card encoded as the group sees it, card); hidden ones too
    cards: list[tuple[str, bytes, Reflection]]
    shared: bytes  # the whole message as every member without a hidden card of theirs gets it
    hiding: frozenset[str]  # members with a hidden card of their own: each gets their own


class FrameSource(Protocol):
    """What :class:`Frames` reads from the live session, handed over when it is built."""

    @property
    def clock(self) -> PhaseClock:
        """The program clock."""
        ...

    @property
    def phase(self) -> Phase | None:
        """The current phase, or None before the start and after the end."""
        ...

    @property
    def program(self) -> tuple[Phase, ...]:
        """The session's phases."""
        ...

    @property
    def survey(self) -> tuple[SurveyItem, ...]:
        """The session's survey items."""
        ...

    @property
    def votes(self) -> Votes:
        """The dot votes of the prioritise phases."""
        ...

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase, if made."""
        ...

    def all_group_cards(self, phase_index: int, participant_id: str) -> list[Reflection]:
        """Return the cards of a participant's group in a phase (hidden ones too), or their own."""
        ...

    def answers(self, participant_id: str) -> dict[str, int | str]:
        """Return a participant's saved survey answers."""
        ...

    def participant(self, participant_id: str) -> Participant | None:
        """Return a participant of the session, or None (erased, unknown)."""
        ...

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ("" if unknown)."""
        ...


class Frames:
    """Builds the ``state`` and ``card`` payloads pages get, from a :class:`FrameSource`."""

    def __init__(self, source: FrameSource) -> None:
        """Read the live session through ``source`` (nothing is copied)."""
        self._source = source
        # Public keys: derived from the participant id with a secret of this run, so they
        # say nothing about the id (nor about any token) and cannot be guessed.
        self._key_secret = secrets.token_bytes(32)
        self._keys: dict[str, str] = {}

    def public_key(self, participant_id: str) -> str:
        """Return a participant's public key: marks their member entry and cards in a group.

        Opaque and stable while this console runs (a page learns its own in ``joined``, also
        on every resume), so the members of a group can all get one and the same ``state``.
        """
        key = self._keys.get(participant_id)
        if key is None:
            digest = hmac.new(self._key_secret, participant_id.encode(), hashlib.sha256).digest()
            key = self._keys[participant_id] = base64.urlsafe_b64encode(digest[:12]).decode()
        return key

    # -- what a participant's page shows ------------------------------------------------------

    def state_message(
        self, participant: Participant, now: float | None = None
    ) -> protocol.StateMessage:
        """Return the ``state`` message: phase, timer, group, cards and survey for one person."""
        return next(self.state_messages([participant], now))[1]

    def state_messages(
        self, participants: Iterable[Participant], now: float | None = None
    ) -> Iterator[tuple[Participant, protocol.StateMessage]]:
        """Yield each participant with their ``state`` message, all read at one moment.

        For a room-wide broadcast: what the members of a group share (the member list, the
        cards) is built once per group, not once per member. The messages share sub-objects:
        encode them, do not change them.
        """
        now = time.time() if now is None else now
        phase = self._source.phase
        index = self._source.clock.index
        base = self._base(now)
        reflecting = phase is not None and phase.kind in REFLECTION_PHASES
        survey_items = (
            [
                protocol.SurveyItemInfo(key=i.key, kind=i.kind.value, text=i.text)
                for i in self._source.survey
            ]
            if phase is not None and phase.kind == PhaseKind.SURVEY
            else None
        )
        voting = phase is not None and phase.kind == PhaseKind.PRIORITISE
        ballots = self._source.votes.ballots(index) if voting else {}
        shared: dict[object, list[protocol.CardInfo]] = {}  # a group's ballot, encoded once
        rnd = self._source.round(index) if reflecting else None
        groups: dict[int, tuple[_GroupSkeleton, list[tuple[str, _Member]]]] = {}
        cards: dict[int, list[tuple[str, protocol.CardInfo, Reflection]]] = {}
        for participant in participants:
            message = protocol.StateMessage(**base)
            if reflecting:
                number = rnd.group_of(participant.id) if rnd is not None else None
                if rnd is not None and number is not None:
                    if number not in groups:
                        groups[number] = self._group_template(rnd, number)
                        cards[number] = self._payloads(index, participant.id)
                    skeleton, members = groups[number]
                    message["group"] = protocol.GroupInfo(
                        **skeleton,
                        members=[
                            protocol.MemberInfo(**m, key=self.public_key(pid)) for pid, m in members
                        ],
                    )
                    shown = cards[number]
                else:  # not in a group: only their own cards
                    shown = self._payloads(index, participant.id)
                # Shared by the group; a hidden card only for its author (marked hidden).
                message["cards"] = [
                    self.card_payload(card, participant.id) if card.hidden else payload
                    for author, payload, card in shown
                    if author == participant.id or not card.hidden
                ]
            if survey_items is not None:
                message["survey"] = protocol.SurveyInfo(
                    items=survey_items, answers=self._source.answers(participant.id)
                )
            if voting:
                key = self._source.votes.group_key(index, participant)
                if key not in shared:
                    shared[key] = [
                        self.card_payload(c, "") for c in (ballots.get(key, []) if key else [])
                    ]
                message["cards"] = shared[key]
                message["vote"] = self._source.votes.payload(index, participant)
            yield participant, message

    def _base(self, now: float) -> protocol.StateMessage:
        """Return what every reader's ``state`` shares: status, phase and timer."""
        phase = self._source.phase
        index = self._source.clock.index
        return protocol.state(
            self._source.clock.status.value,
            None
            if phase is None
            else protocol.PhaseInfo(
                index=index,
                count=len(self._source.program),
                kind=phase.kind.value,
                title=phase.title,
                prompt=phase.prompt,
                minutes=phase.minutes,
                remaining_ms=int(self._source.clock.seconds_left(now) * 1000),
                running=self._source.clock.status == PhaseStatus.RUNNING,
            ),
            WARNING_SECONDS,
        )

    def state_frames(
        self, participants: Iterable[Participant], now: float | None = None
    ) -> Iterator[tuple[list[Participant], bytes]]:
        """Yield the ``state`` messages encoded (UTF-8 JSON), each with the people it goes to.

        The same messages as :meth:`state_messages` (decoded, they are equal), made for a
        room-wide broadcast: in a reflection phase the members of a group share one message
        (their own entry and cards are marked by public keys the page knows, not per reader),
        encoded once; only a member with a hidden card of their own gets their own message.
        Other phases encode :meth:`state_messages`, one message per participant.
        """
        now = time.time() if now is None else now
        phase = self._source.phase
        if phase is None or phase.kind not in REFLECTION_PHASES:
            for participant, message in self.state_messages(participants, now):
                yield [participant], protocol.encode_bytes(message)
            return
        dumps = protocol.encode_bytes
        index = self._source.clock.index
        rnd = self._source.round(index)
        # Everything but the group and the cards (there is no survey or vote in these phases),
        # without its closing brace.
        base = self._base(now)
        head = dumps({k: v for k, v in base.items() if k not in ("group", "cards")})[:-1]
        groups: dict[int, tuple[list[Participant], _EncodedGroup]] = {}
        for participant in participants:
            me = participant.id
            number = rnd.group_of(me) if rnd is not None else None
            if rnd is not None and number is not None:
                entry = groups.get(number)
                if entry is None:
                    entry = groups[number] = ([], self._encoded_group(rnd, number, index, me, head))
                readers, encoded = entry
                if me not in encoded.hiding:
                    readers.append(participant)
                    continue
                start, shown = encoded.start, encoded.cards
            else:  # not in a group: only their own cards
                start = head + b',"group":null,"cards":['
                shown = [(a, dumps(p), c) for a, p, c in self._payloads(index, me)]
            yield [participant], self._own_frame(start, shown, me)
        for readers, encoded in groups.values():
            if readers:
                yield readers, encoded.shared

    def _own_frame(
        self, start: bytes, shown: list[tuple[str, bytes, Reflection]], me: str
    ) -> bytes:
        """Join one reader's ``state`` from shared pieces, with their own hidden cards."""
        cards = b",".join(
            protocol.encode_bytes(self.card_payload(card, me)) if card.hidden else data
            for author, data, card in shown
            if author == me or not card.hidden
        )
        return start + cards + b"]}"

    def _encoded_group(
        self, rnd: GroupRound, number: int, index: int, member_id: str, head: bytes
    ) -> _EncodedGroup:
        """Encode once what the members of a group share (see :meth:`state_frames`)."""
        dumps = protocol.encode_bytes
        skeleton, members = self._group_template(rnd, number)
        start = (
            head
            + b',"group":'
            + dumps(skeleton)[:-1]
            + b',"members":['
            + b",".join(
                dumps(protocol.MemberInfo(**m, key=self.public_key(pid))) for pid, m in members
            )
            + b']},"cards":['
        )
        cards = [(a, dumps(p), c) for a, p, c in self._payloads(index, member_id)]
        shared = b",".join(data for _, data, card in cards if not card.hidden)
        return _EncodedGroup(
            start=start,
            cards=cards,
            shared=start + shared + b"]}",
            hiding=frozenset(a for a, _, card in cards if card.hidden),
        )

    def _payloads(
        self, phase_index: int, participant_id: str
    ) -> list[tuple[str, protocol.CardInfo, Reflection]]:
        """Return (author, card as others see it, card) for each card of a participant's group.

        Hidden cards are in it too: the state message keeps them for their author only.
        """
        return [
            (c.participant_id, self.card_payload(c, ""), c)
            for c in self._source.all_group_cards(phase_index, participant_id)
        ]

    def _group_template(
        self, rnd: GroupRound, number: int
    ) -> tuple[_GroupSkeleton, list[tuple[str, _Member]]]:
        """Return a group's payload without keys: (skeleton, [(member id, member)])."""
        members: list[tuple[str, _Member]] = []
        modes: set[str] = set()
        for pid in rnd.groups[number]:
            p = self._source.participant(pid)
            if p is None:
                continue
            modes.add(p.attendance.value)
            members.append(
                (
                    pid,
                    _Member(
                        name=p.name, organisation=self._source.organisation_name(p.organisation_id)
                    ),
                )
            )
        # A hybrid group (a municipality's table and its people at home) is "mixed": each
        # page then tells its member where to go by their own attendance.
        attendance = modes.pop() if len(modes) == 1 else ("mixed" if modes else None)
        skeleton = _GroupSkeleton(
            kind=rnd.kind.value, number=number + 1, attendance=attendance, link=rnd.link(number)
        )
        return skeleton, members

    def card_payload(self, card: Reflection, viewer_id: str) -> protocol.CardInfo:
        """Return a card as a group member's page shows it.

        A hidden card goes to its author only (with ``hidden``: the page says the facilitator
        hid it); anyone else gets it as withdrawn and blank, so their page drops it.
        """
        if not page_sees(card, viewer_id):
            return page_info(card, viewer_id, "", "")
        author = self._source.participant(card.participant_id)
        return page_info(
            card,
            viewer_id,
            author.name if author else "",
            self._source.organisation_name(card.organisation_id),
            self.public_key(card.participant_id),
        )

    def card_frames(self, card: Reflection) -> tuple[Frame, ...]:
        """Return the ``card`` frames a changed card sends: its author's and its group's.

        Two encodings per card, not one per reader. A card of a phase that is no longer the
        current one goes to no page (the console shows it; the pages have moved on).
        """
        if card.phase_index != self._source.clock.index:
            return ()
        author = card.participant_id
        others = frozenset(self.card_audience(card) - {author})
        frames = [
            Frame(
                frozenset({author}),
                protocol.encode_bytes(protocol.card(self.card_payload(card, author))),
            )
        ]
        if others:  # ``mine`` false: a ``card`` frame names its reader's own cards
            info = protocol.CardInfo(**{**self.card_payload(card, ""), "mine": False})
            frames.append(Frame(others, protocol.encode_bytes(protocol.card(info))))
        return tuple(frames)

    def card_audience(self, card: Reflection) -> set[str]:
        """Return the ids of the participants whose page shows this card live."""
        audience = {card.participant_id}
        rnd = self._source.round(card.phase_index)
        if rnd is not None:
            number = rnd.group_of(card.participant_id)
            if number is not None:
                audience.update(rnd.groups[number])
        return audience
