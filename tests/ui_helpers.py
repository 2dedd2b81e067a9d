"""Helpers shared by the console's tests: a hand-moved clock, joining people, a join address."""

from __future__ import annotations

from app.model import Attendance, Role
from app.protocol import Join
from app.room import JoinInfo, Room

T0 = 1_700_000_000.0


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def join_info(room: Room) -> JoinInfo:
    """A realistic LAN join address for ``room``."""
    base = "http://192.168.1.20:8765"
    return JoinInfo(f"{base}/#t={room.room_token}", base, room.display_code, 8765, 8765, False)


def join(
    room: Room,
    name: str,
    org_index: int,
    *,
    role: Role = Role.OFFICIAL,
    attendance: Attendance = Attendance.IN_ROOM,
    present: bool = True,
) -> str:
    """Join someone of the ``org_index``-th organisation; connected unless ``present`` is False."""
    org = room.series.organisations[org_index % len(room.series.organisations)]
    pid = room.join(Join(name, org.id, role, attendance, "")).participant.id
    if present:
        room.attach(pid)
    return pid
