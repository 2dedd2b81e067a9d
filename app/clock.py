"""The program clock: which phase runs and how much time it has left.

Pure data, persisted as JSON in the workshop file; :class:`app.live.Live` owns the one clock
of a session and moves it (start, pause, add time, next phase).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

WARNING_SECONDS = 120  # "two minutes left", on the console and every participant's page


class PhaseStatus(StrEnum):
    """Where the session is in its program."""

    WAITING = "waiting"  # before the first phase starts
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"  # after the last phase


@dataclass(frozen=True, slots=True)
class PhaseClock:
    """Which phase runs and how much time it has left; persisted as JSON."""

    index: int = -1
    status: PhaseStatus = PhaseStatus.WAITING
    deadline: float = 0.0  # wall-clock end while running
    remaining: float = 0.0  # seconds left while paused

    def seconds_left(self, now: float) -> float:
        """Seconds until the phase's time is up (negative when it runs over)."""
        if self.status == PhaseStatus.RUNNING:
            return self.deadline - now
        if self.status == PhaseStatus.PAUSED:
            return self.remaining
        return 0.0

    def is_open(self, index: int) -> bool:
        """Return True while phase ``index`` runs or is paused (its cards can still change)."""
        return self.index == index and self.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED)

    def to_json(self) -> dict[str, object]:
        """Return the clock as a JSON object."""
        return {
            "index": self.index,
            "status": self.status.value,
            "deadline": self.deadline,
            "remaining": self.remaining,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PhaseClock:
        """Read a clock saved by :meth:`to_json` (an empty object is a fresh clock)."""
        try:
            return cls(
                int(data.get("index", -1)),
                PhaseStatus(data.get("status", "waiting")),
                float(data.get("deadline", 0.0)),
                float(data.get("remaining", 0.0)),
            )
        except (TypeError, ValueError):
            return cls()
