"""The workshop's domain model: plain, immutable value types shared by every layer.

Nothing here does I/O. Storage (`app.store`) persists these types; the live session
(`app.session`) builds them from validated commands; the shells only display them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """A participant's role: elected official or civil servant."""

    ELECTED = "elected"
    OFFICIAL = "official"


class Attendance(StrEnum):
    """Whether a participant is in the room or joins remotely."""

    IN_ROOM = "in_room"
    REMOTE = "remote"


class PhaseKind(StrEnum):
    """The five kinds of phase (moment) a session's program is made of."""

    INSPIRATION = "inspiration"
    MIXED_GROUPS = "mixed_groups"
    MUNICIPALITY = "municipality"
    SURVEY = "survey"
    CLOSING = "closing"


# Words accepted on input (rosters from Excel, the participant page) for each enum value.
ROLE_WORDS: dict[str, Role] = {
    "elected": Role.ELECTED,
    "förtroendevald": Role.ELECTED,
    "official": Role.OFFICIAL,
    "tjänsteperson": Role.OFFICIAL,
}
ATTENDANCE_WORDS: dict[str, Attendance] = {
    "in_room": Attendance.IN_ROOM,
    "på plats": Attendance.IN_ROOM,
    "remote": Attendance.REMOTE,
    "på distans": Attendance.REMOTE,
}


def parse_role(text: str) -> Role | None:
    """Return the role a (possibly Swedish) word names, or None if it names none."""
    return ROLE_WORDS.get(text.strip().casefold())


def parse_attendance(text: str) -> Attendance | None:
    """Return the attendance a (possibly Swedish) word names, or None if it names none."""
    return ATTENDANCE_WORDS.get(" ".join(text.strip().casefold().split()))


@dataclass(frozen=True, slots=True)
class Organisation:
    """A municipality or the regional federation taking part in a series."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase (moment) of a session's program."""

    kind: PhaseKind
    title: str
    minutes: int
    prompt: str = ""


@dataclass(frozen=True, slots=True)
class Session:
    """One session (träff) of a series, with its theme and program."""

    id: int
    number: int
    theme: str
    subtitle: str
    program: tuple[Phase, ...] = ()


@dataclass(frozen=True, slots=True)
class Series:
    """A series of sessions (e.g. Tankesmedja Fyrbodal 2020) and its organisations."""

    id: int
    name: str
    organisations: tuple[Organisation, ...] = ()
    sessions: tuple[Session, ...] = ()


@dataclass(frozen=True, slots=True)
class Participant:
    """A person who joined a session from their own device."""

    id: str
    session_id: int
    name: str
    organisation_id: int
    role: Role
    attendance: Attendance
    function: str = ""
    joined_at: float = 0.0
    connected: bool = field(default=False, compare=False)
