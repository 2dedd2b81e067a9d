"""The grouping engine's data: members, pins, errors, explanations and metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.model import Attendance, Role

#: Attendance modes in the order their groups are listed in a round.
MODE_ORDER: tuple[Attendance, ...] = (Attendance.IN_ROOM, Attendance.REMOTE)

#: Reason codes attached to a soft rule that a group does not meet.
REASON_PINNED = "pinned"
REASON_SINGLE_GROUP = "single_group"
REASON_NO_BETTER_SWAP = "no_better_swap"
REASON_IMPROVABLE = "improvable"

# English templates for GroupingError, keyed by its code; the UI translates by code and params.
ERROR_MESSAGES: dict[str, str] = {
    "size_and_groups": "give either a group size or a number of groups, not both",
    "no_size_or_groups": "give a group size or a number of groups",
    "size_too_small": "group size must be at least 2 (got {size})",
    "groups_too_few": "number of groups must be at least 1 (got {groups})",
    "groups_below_modes": (
        "{groups} group(s) cannot keep remote and in-room participants apart; at least {needed}"
        " are needed"
    ),
    "groups_above_people": "{groups} groups for only {people} present participants",
    "rounds_too_few": "number of rounds must be at least 1 (got {rounds})",
    "max_size_too_small": "maximum municipality group size must be at least 2 (got {max_size})",
    "duplicate_member": "participant id {id!r} appears more than once",
    "unknown_member": "group {group} lists unknown participant id {id!r}",
    "pin_group_out_of_range": "{id!r} is pinned to group {group}, but there are {groups} groups",
    "pin_group_wrong_mode": (
        "{id!r} is pinned to group {group}, which is a group for {group_mode} participants,"
        " but {id!r} is {mode}"
    ),
    "pin_together_modes": (
        "{first!r} and {second!r} are pinned together, but one is remote and the other in the room"
    ),
    "pin_together_groups": (
        "{first!r} and {second!r} must be together (directly or through other together pins)"
        " but are pinned to groups {first_group} and {second_group}"
    ),
    "pin_together_and_apart": (
        "{first!r} and {second!r} are pinned apart but also together (directly or through other"
        " together pins)"
    ),
    "pin_apart_self": "{id!r} is pinned apart from themself",
    "pin_apart_same_group": (
        "{first!r} and {second!r} are pinned apart but both (directly or through together"
        " pins) to group {group}"
    ),
    "pin_cluster_too_big": (
        "{count} people are pinned together ({ids}), but groups of {mode} participants hold at"
        " most {max_size}"
    ),
    "pin_group_overfull": (
        "{count} people are pinned into group {group}, but it holds at most {max_size}"
    ),
    "pins_unsatisfiable": (
        "the pins for {mode} participants cannot all hold with {groups} groups of {min_size} to"
        " {max_size} people"
    ),
}


class GroupingError(ValueError):
    """Impossible grouping input (contradictory pins, size < 2, ...).

    Attributes:
        code: A stable key (see ``ERROR_MESSAGES``) that a UI can translate.
        params: The values the message mentions.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(ERROR_MESSAGES[code].format(**params))


@dataclass(frozen=True, slots=True)
class Member:
    """A present participant as the grouping engine sees them."""

    id: str
    organisation: str
    role: Role
    attendance: Attendance


@dataclass(frozen=True, slots=True)
class Pins:
    """Facilitator pins, which hold in every round.

    Pins that name someone who is not present are ignored, so a pin survives a person leaving.

    Attributes:
        in_group: Participant id -> group index (in-room groups first, then remote ones).
        together: Pairs of ids that must share a group.
        apart: Pairs of ids that must not share a group.
    """

    in_group: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    together: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()


# --------------------------------------------------------------------------------------------
# Structured explanations


@dataclass(frozen=True, slots=True)
class MixedAttendance:
    """Hard rule broken (e.g. by a manual edit): remote and in-room people share the group."""

    code: str = field(default="mixed_attendance", init=False)
    in_room: int
    remote: int


@dataclass(frozen=True, slots=True)
class PinBroken:
    """Hard rule broken (e.g. by a manual edit): a pin does not hold in this group.

    ``kind`` is ``"in_group"`` (``ids[0]`` belongs in group ``target``), ``"together"`` (the
    two ids are in different groups) or ``"apart"`` (the two ids share this group).
    """

    code: str = field(default="pin_broken", init=False)
    kind: str
    ids: tuple[str, ...]
    target: int | None = None


@dataclass(frozen=True, slots=True)
class SizeUnbalanced:
    """The group is more than one larger than the smallest group of its mode (late joiners)."""

    code: str = field(default="size_unbalanced", init=False)
    size: int
    min_size: int


@dataclass(frozen=True, slots=True)
class Alone:
    """The group has a single member (the only participant of their attendance mode)."""

    code: str = field(default="alone", init=False)


@dataclass(frozen=True, slots=True)
class OrgAboveEvenShare:
    """More members of one organisation than an even spread puts in a group.

    Such a group holds same-organisation pairs above the lower bound.
    """

    code: str = field(default="org_pairs_above_bound", init=False)
    organisation: str
    count: int
    even_max: int
    reason: str


@dataclass(frozen=True, slots=True)
class OrgBelowEvenShare:
    """Fewer members of one organisation than an even spread puts in a group.

    Their colleagues are then concentrated elsewhere, above the lower bound.
    """

    code: str = field(default="org_below_even_share", init=False)
    organisation: str
    count: int
    even_min: int
    reason: str


@dataclass(frozen=True, slots=True)
class RepeatedPair:
    """Two members of the group met before (earlier round or session)."""

    code: str = field(default="repeated_pair", init=False)
    first: str
    second: str
    reason: str


@dataclass(frozen=True, slots=True)
class RoleOffShare:
    """The group's count of elected officials is outside its proportional share."""

    code: str = field(default="role_off_share", init=False)
    elected: int
    expected_min: int
    expected_max: int
    reason: str


#: Everything ``explain`` may report about a group.
Issue = (
    MixedAttendance
    | PinBroken
    | SizeUnbalanced
    | Alone
    | OrgAboveEvenShare
    | OrgBelowEvenShare
    | RepeatedPair
    | RoleOffShare
)


@dataclass(frozen=True, slots=True)
class GroupExplanation:
    """What one group mixes, and which rules it does not meet.

    Attributes:
        index: The group's index in the round.
        attendance: The group's attendance mode (None if empty or mixed).
        size: Number of members.
        organisations: ``(organisation, count)``, largest first, then by name.
        elected: Number of elected officials.
        officials: Number of officials (civil servants).
        issues: Rules not met, as structured data (see each class's ``code``). Soft issues
            carry a ``reason``: ``"pinned"`` (a pin forces it), ``"single_group"`` (the mode
            has one group), ``"no_better_swap"`` (no exchange or move of members fixes it
            without breaking a rule of equal or higher priority) or ``"improvable"`` (such
            an exchange exists, e.g. after a late joiner or a manual edit: regroup to fix it).
    """

    index: int
    attendance: Attendance | None
    size: int
    organisations: tuple[tuple[str, int], ...]
    elected: int
    officials: int
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well a round (or a plan, summed over its rounds) meets the soft rules.

    Attributes:
        same_org_pairs: Pairs of people of the same organisation sharing a group.
        org_pair_lower_bound: No grouping with these group sizes has fewer such pairs.
        repeated_pairs: Pairs sharing a group that had met before.
        groups_off_role_share: Groups whose elected count is outside their share.
        role_deviation: Sum over groups of how far the elected count is outside its share.
    """

    same_org_pairs: int
    org_pair_lower_bound: int
    repeated_pairs: int
    groups_off_role_share: int
    role_deviation: int
