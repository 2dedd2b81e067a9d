"""Municipality groups on online and hybrid days: all of a municipality together, nobody alone.

Issue 15: remote and in-room people of one municipality used to be kept apart, which left
people alone in a "group" of one (3 of 24 groups in a tried 88-person day).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from app.grouping import GroupingError, Member
from app.model import Attendance, Role
from app.municipality import late_group, municipality_groups, split
from app.protocol import Join
from app.room import Room
from app.sample import FYRBODAL_SIZES

IN, REMOTE = Attendance.IN_ROOM, Attendance.REMOTE
ELECTED, OFFICIAL = Role.ELECTED, Role.OFFICIAL


def hybrid_day(seed: int, remote: float = 0.3) -> list[Member]:
    """The 88 people of a full session of the series, a share of them at home."""
    rng = random.Random(seed)
    out = []
    for org, n in FYRBODAL_SIZES.items():
        for j in range(n):
            role = ELECTED if j % 3 == 0 else OFFICIAL
            out.append(Member(f"{org}-{j}", org, role, REMOTE if rng.random() < remote else IN))
    return out


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("remote", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_an_88_person_hybrid_day_keeps_each_municipality_together_and_nobody_alone(
    seed: int, remote: float
) -> None:
    members = hybrid_day(seed, remote)
    people = {m.id: m for m in members}
    groups = municipality_groups(members, max_size=6)
    assert sorted(i for g in groups for i in g) == sorted(people)
    assert min(len(g) for g in groups) >= 2
    # Every group is one organisation, and an organisation's remote and in-room people
    # share groups: Dals-Ed's five are one group whatever their attendance.
    for g in groups:
        assert len({people[i].organisation for i in g}) == 1
        assert len(g) <= 7  # the asked 6, or one more rather than anyone alone
    per_org = Counter(people[g[0]].organisation for g in groups)
    for org, n in FYRBODAL_SIZES.items():
        assert per_org[org] == -(-n // 6)  # the fewest groups
    sizes_by_org: dict[str, list[int]] = {}
    for g in groups:
        sizes_by_org.setdefault(people[g[0]].organisation, []).append(len(g))
    assert all(max(s) - min(s) <= 1 for s in sizes_by_org.values())


def test_the_old_rule_left_people_alone_and_the_new_one_does_not() -> None:
    # Tanum with five in the room and one at home: the old rule made a group of one.
    tanum = [Member(f"t{i}", "Tanum", OFFICIAL, IN) for i in range(5)]
    tanum.append(Member("t-home", "Tanum", ELECTED, REMOTE))
    assert municipality_groups(tanum, max_size=6) == [[m.id for m in [tanum[5], *tanum[:5]]]]


def test_a_large_organisation_is_split_with_its_remote_people_together() -> None:
    udd = [Member(f"u{i}", "Uddevalla", OFFICIAL, IN) for i in range(10)]
    udd += [Member(f"h{i}", "Uddevalla", ELECTED if i < 2 else OFFICIAL, REMOTE) for i in range(4)]
    groups = municipality_groups(udd, max_size=6)
    assert sorted(len(g) for g in groups) == [4, 5, 5]
    # The four at home share one group: only one group needs the video call.
    assert sum(any(i.startswith("h") for i in g) for g in groups) == 1


def test_people_alone_from_their_organisation_share_a_group() -> None:
    members = [Member(f"u{i}", "Uddevalla", OFFICIAL, IN) for i in range(4)]
    members += [
        Member("dals", "Dals-Ed", OFFICIAL, REMOTE),
        Member("tanum", "Tanum", ELECTED, IN),
    ]
    groups = municipality_groups(members, max_size=6)
    assert groups == [["u0", "u1", "u2", "u3"], ["dals", "tanum"]]
    # Only one alone from their organisation: they join the smallest group.
    groups = municipality_groups(members[:5], max_size=6)
    assert groups == [["u0", "u1", "u2", "u3", "dals"]]
    # Just one person in the room: a group of one is all there can be.
    assert municipality_groups(members[:1], max_size=6) == [["u0"]]
    assert municipality_groups([], max_size=6) == []
    with pytest.raises(GroupingError):
        municipality_groups(members, max_size=1)


@pytest.mark.parametrize("n", range(2, 30))
@pytest.mark.parametrize("max_size", [2, 3, 4, 6])
def test_split_never_leaves_anyone_alone(n: int, max_size: int) -> None:
    people = [Member(f"p{i}", "X", OFFICIAL, REMOTE if i % 4 == 0 else IN) for i in range(n)]
    groups = split(people, max_size)
    sizes = [len(g) for g in groups]
    assert sum(sizes) == n and min(sizes) >= 2 and max(sizes) - min(sizes) <= 1
    assert max(sizes) <= max(max_size, 3)  # past the maximum only when it must (3 of 2)


def test_a_late_joiner_goes_to_their_own_organisation_else_never_alone() -> None:
    u = [Member(f"u{i}", "Uddevalla", OFFICIAL, IN) for i in range(5)]
    home = Member("uh", "Uddevalla", OFFICIAL, REMOTE)
    groups = [
        [*u[:3], home],
        u[3:],
        [Member("a", "Åmål", OFFICIAL, IN), Member("b", "Tanum", OFFICIAL, IN)],
    ]
    assert late_group(groups, Member("new", "Uddevalla", OFFICIAL, IN)) == 1  # smallest own
    assert late_group(groups, Member("new", "Uddevalla", OFFICIAL, REMOTE)) == 0  # with home
    assert late_group(groups, Member("new", "Lysekil", OFFICIAL, IN)) == 2  # those alone
    assert late_group(groups[:2], Member("new", "Lysekil", OFFICIAL, IN)) == 1  # smallest
    assert late_group([], Member("new", "Lysekil", OFFICIAL, IN)) is None


def test_the_live_municipality_phase_mixes_attendance_and_places_late_joiners(
    room: Room,
) -> None:
    orgs = {o.name: o.id for o in room.series.organisations}
    ids = {}
    for name, org, attendance in [
        ("Anna", "Tanum", IN),
        ("Bo", "Tanum", IN),
        ("Cilla", "Tanum", REMOTE),
        ("Dan", "Lysekil", REMOTE),
        ("Eva", "Lysekil", IN),
        ("Frej", "Åmål", REMOTE),
    ]:
        result = room.join(Join(name, orgs[org], OFFICIAL, attendance, ""))
        room.attach(result.participant.id)
        ids[name] = result.participant.id
    live = room.live
    live.start(2)  # the sample program's municipality reflection
    rnd = live.make_groups()
    groups = [sorted(g) for g in rnd.groups]
    assert sorted(ids["Cilla"] in g for g in groups).count(True) == 1
    assert min(len(g) for g in groups) >= 2
    tanum = next(g for g in rnd.groups if ids["Anna"] in g)
    assert set(tanum) >= {ids["Anna"], ids["Bo"], ids["Cilla"]}  # remote Cilla with them
    # A late remote joiner from Åmål goes where Frej (alone from Åmål) sits, not alone.
    late = room.join(Join("Greta", orgs["Åmål"], OFFICIAL, REMOTE, ""))
    room.attach(late.participant.id)
    after = live.round()
    assert after is not None
    where = after.group_of(late.participant.id)
    assert where is not None and ids["Frej"] in after.groups[where]
    assert min(len(g) for g in after.groups) >= 2


def test_a_hybrid_group_is_mixed_on_the_wire(room: Room) -> None:
    orgs = {o.name: o.id for o in room.series.organisations}
    people = []
    for name, attendance in [("Anna", IN), ("Cilla", REMOTE)]:
        result = room.join(Join(name, orgs["Tanum"], OFFICIAL, attendance, ""))
        room.attach(result.participant.id)
        people.append(result.participant)
    room.live.start(2)
    room.live.make_groups()
    room.live.set_link(0, "https://meet.example.se/tanum")
    for person in people:
        group = room.live.state_message(person)["group"]
        assert group["attendance"] == "mixed"
        assert group["link"] == "https://meet.example.se/tanum"
