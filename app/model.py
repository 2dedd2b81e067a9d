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
    PRIORITISE = "prioritise"  # dot voting on the cards of an earlier group phase


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


class VoteScope(StrEnum):
    """Which cards a prioritise phase votes on.

    The cards of one's own group in the latest municipality or mixed-group phase before it,
    or every highlighted card of the session, room-wide.
    """

    MUNICIPALITY = "municipality"
    MIXED = "mixed"
    HIGHLIGHTED = "highlighted"


@dataclass(frozen=True, slots=True)
class Organisation:
    """A municipality or the regional federation taking part in a series."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase (moment) of a session's program.

    The last four fields matter only for a :attr:`PhaseKind.PRIORITISE` phase: each
    participant's ``dots``, at most ``per_card`` on one card, which cards (``scope``) and
    whether everyone sees the counts while voting (``open_votes``).
    """

    kind: PhaseKind
    title: str
    minutes: int
    prompt: str = ""
    dots: int = 3
    per_card: int = 2
    scope: VoteScope = VoteScope.MUNICIPALITY
    open_votes: bool = False


@dataclass(frozen=True, slots=True)
class Session:
    """One session (träff) of a series, with its theme and program."""

    id: int
    number: int
    theme: str
    subtitle: str
    program: tuple[Phase, ...] = ()
    survey: tuple[SurveyItem, ...] = ()


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
    # A simulated participant of the console's rehearsal: never in an export.
    rehearsal: bool = False


class SurveyKind(StrEnum):
    """A survey item is a Likert statement (1–5) or an open question."""

    LIKERT = "likert"
    OPEN = "open"


class GroupKind(StrEnum):
    """Mixed (cross-organisation) groups or municipality groups."""

    MIXED = "mixed"
    MUNICIPALITY = "municipality"


# Which phases collect reflections, and in which kind of group.
REFLECTION_PHASES: dict[PhaseKind, GroupKind] = {
    PhaseKind.MIXED_GROUPS: GroupKind.MIXED,
    PhaseKind.MUNICIPALITY: GroupKind.MUNICIPALITY,
}


@dataclass(frozen=True, slots=True)
class SurveyItem:
    """One survey item: ``key`` is stable, ``text`` is shown to participants."""

    key: str
    kind: SurveyKind
    text: str


@dataclass(frozen=True, slots=True)
class Reflection:
    """A reflection card written by a participant in a group phase."""

    id: str
    session_id: int
    participant_id: str
    phase_index: int
    round_id: int | None
    group_no: int | None
    organisation_id: int
    text: str
    revision: int = 0
    withdrawn: bool = False
    hidden: bool = False
    highlighted: bool = False
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupRound:
    """The groups of one group phase: ``groups[g]`` lists participant ids of group ``g``."""

    id: int
    session_id: int
    phase_index: int
    kind: GroupKind
    groups: tuple[tuple[str, ...], ...]
    locked: frozenset[int] = frozenset()
    links: tuple[str, ...] = ()
    late: frozenset[str] = frozenset()
    # participant id -> group index, built once: broadcasts ask this for every card and person.
    _where: dict[str, int] = field(
        default_factory=dict, init=False, compare=False, repr=False, hash=False
    )

    def __post_init__(self) -> None:
        where: dict[str, int] = {}
        for number, members in enumerate(self.groups):
            for pid in members:
                where.setdefault(pid, number)
        object.__setattr__(self, "_where", where)

    def group_of(self, participant_id: str) -> int | None:
        """Return the index of the participant's group, or None if not in this round."""
        return self._where.get(participant_id)

    def link(self, group_no: int) -> str:
        """Return the meeting link attached to a group ('' if none)."""
        return self.links[group_no] if group_no < len(self.links) else ""
