"""Who is in the session: what its parts read about people, as one small protocol.

The room (:class:`app.room.Room`) keeps the participants and their connections; the parts of
the live session (groups, cards, survey, votes, frames) read them through :class:`People`,
handed over when they are built, and never import the room.
"""

from __future__ import annotations

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
