"""Municipality groups: everyone with their own organisation, in the room and remote together.

On online and hybrid days a municipality's people are partly in the room and partly at home;
the municipality phase asks "what does this mean for us?", which only works if they all sit
in one conversation: the room's table joins the group's meeting link (set by the
facilitator on the console, shown as a button on every member's page). So a municipality
group keeps all its people whatever their attendance, and nobody is ever alone in a group:

- an organisation with more people than the largest group size is split into the fewest
  groups, sizes differing by at most one, never a group of one (a size may then exceed the
  maximum by one rather than leave someone alone), remote people placed together so as few
  groups as possible need the call;
- people who are the only one of their organisation present share one group (split the
  same way when they are many); a single such person joins the smallest group instead.

Pure and deterministic: the same people give the same groups (no randomness, no I/O).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.grouping import GroupingError, Member
from app.model import Attendance, Role


def _order(people: Sequence[Member]) -> list[Member]:
    """Remote people first (they fill groups together), roles interleaved within each mode."""
    out: list[Member] = []
    for mode in (Attendance.REMOTE, Attendance.IN_ROOM):
        elected = [m for m in people if m.attendance == mode and m.role == Role.ELECTED]
        others = [m for m in people if m.attendance == mode and m.role != Role.ELECTED]
        while elected or others:
            if elected:
                out.append(elected.pop(0))
            if others:
                out.append(others.pop(0))
    out.extend(m for m in people if m.attendance not in (Attendance.REMOTE, Attendance.IN_ROOM))
    return out


def split(people: Sequence[Member], max_size: int) -> list[list[str]]:
    """Split one organisation's people into the fewest groups of at most ``max_size``.

    Sizes differ by at most one; no group has fewer than two people when there are two or
    more (the groups then grow past ``max_size`` instead). Remote people fill the first
    groups together.
    """
    n = len(people)
    if n == 0:
        return []
    k = max(1, min(-(-n // max_size), n // 2))
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    ordered = _order(people)
    groups: list[list[str]] = []
    start = 0
    for size in sizes:
        groups.append([m.id for m in ordered[start : start + size]])
        start += size
    return groups


def municipality_groups(members: Iterable[Member], max_size: int) -> list[list[str]]:
    """Group everyone present with their own organisation, in the room and remote together.

    Args:
        members: the present participants (duplicates by id count once).
        max_size: the largest group size asked for, at least 2.

    Returns:
        Groups of participant ids: organisations by name (case-insensitive), then the group
        of those who came alone from their organisation.

    Raises:
        GroupingError: if ``max_size`` is below 2.
    """
    if max_size < 2:
        raise GroupingError("max_size_too_small", max_size=max_size)
    seen: dict[str, Member] = {}
    for m in members:
        seen.setdefault(m.id, m)
    by_org: dict[str, list[Member]] = {}
    for m in seen.values():
        by_org.setdefault(m.organisation, []).append(m)
    out: list[list[str]] = []
    alone: list[Member] = []
    for org in sorted(by_org, key=lambda name: (name.casefold(), name)):
        people = by_org[org]
        if len(people) == 1:
            alone.extend(people)
        else:
            out.extend(split(people, max_size))
    if len(alone) >= 2 or (alone and not out):
        out.extend(split(alone, max_size))
    elif alone:
        smallest = min(range(len(out)), key=lambda g: (len(out[g]), g))
        out[smallest].append(alone[0].id)
    return out


def late_group(groups: Sequence[Sequence[Member]], member: Member) -> int | None:
    """Return the group a late joiner of the municipality phase goes to (None: start one).

    Their organisation's smallest group, preferring one with people of their attendance
    (in the room or remote); else the group of people who came alone from their
    organisation, else the smallest group; None only when there are no groups at all.
    """
    if not groups:
        return None
    own = [
        g
        for g, people in enumerate(groups)
        if any(p.organisation == member.organisation for p in people)
    ]
    if own:
        same_mode = [g for g in own if any(p.attendance == member.attendance for p in groups[g])]
        pool = same_mode or own
        return min(pool, key=lambda g: (len(groups[g]), g))
    mixed = [g for g, people in enumerate(groups) if len({p.organisation for p in people}) > 1]
    pool = mixed or list(range(len(groups)))
    return min(pool, key=lambda g: (len(groups[g]), g))
