"""Who is in the session: the participants and their presence (open pages).

:class:`Participants` keeps everyone who joined the session and counts each one's open
connections. The parts of the live session (groups, cards, survey, votes, frames) read people
through :class:`People`, handed over when they are built, and never import their owner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from app.model import Participant


class People(Protocol):
    """The session's participants and who of them has a page open now."""

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
class RosterChanged:
    """The session's unclaimed roster names changed (import, a claim, an erasure)."""


@dataclass(frozen=True, slots=True)
class ParticipantRemoved(RosterChanged):
    """Participants' data was erased on request (GDPR) or as a rehearsal's: one event.

    Their connections are dropped; their cards, answers, votes and group places are gone
    from the live state already (quietly: this is the one event of the erasure), so every
    page and view shows the session afresh. It is a :class:`RosterChanged` too: an erasure
    also takes the names the people had claimed off the roster.
    """

    participant_ids: tuple[str, ...]


PeopleEvent = ParticipantJoined | ConnectionChanged | ParticipantRemoved | RosterChanged


class Participants:
    """Everyone who joined the session, and how many pages each has open now."""

    def __init__(
        self,
        joined: Iterable[Participant],
        emit: Callable[[PeopleEvent], None],
        arrived: Callable[[Participant], object],
    ) -> None:
        """Start with the stored participants, nobody connected.

        ``arrived`` hears of a participant whose first page opened (the groups place a late
        joiner); ``emit`` gets :class:`ConnectionChanged` events.
        """
        self._participants: dict[str, Participant] = {p.id: p for p in joined}
        self._connections: Counter[str] = Counter()
        self._emit = emit
        self._arrived = arrived

    def participant(self, participant_id: str) -> Participant | None:
        """Return one participant of this session by id, or None."""
        return self._participants.get(participant_id)

    def participants(self) -> list[Participant]:
        """Return everyone who joined this session, in joining order."""
        return list(self._participants.values())

    def add(self, participant: Participant) -> None:
        """Take in a participant whose join was committed."""
        self._participants[participant.id] = participant

    def remove(self, participant_id: str) -> bool:
        """Drop an erased participant and their connections; True if they were here."""
        if participant_id not in self._participants:
            return False
        del self._participants[participant_id]
        self._connections.pop(participant_id, None)
        return True

    def attach(self, participant_id: str) -> None:
        """Record one more open connection for a participant."""
        self._connections[participant_id] += 1
        if self._connections[participant_id] == 1:
            self._emit(ConnectionChanged(participant_id, True))
            participant = self._participants.get(participant_id)
            if participant is not None:
                self._arrived(participant)

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

    def connected_count(self) -> int:
        """Return how many participants have a page open now."""
        return len(self._connections)
