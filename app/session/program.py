"""The session's program and its clock: which phase runs and for how long.

:class:`ProgramClock` owns the phases and the one :class:`app.clock.PhaseClock` of a session;
every change is stored before memory follows and is announced as one
:class:`app.session.events.PhaseChanged`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from app.clock import PhaseClock, PhaseStatus
from app.model import Phase, PhaseKind
from app.protocol import MAX_DOTS
from app.session.events import Emit, PhaseChanged

if TYPE_CHECKING:
    from app.store import Store


class ProgramClock:
    """A session's phases and the clock that moves through them."""

    def __init__(
        self,
        store: Callable[[], Store],
        session_id: int,
        phases: tuple[Phase, ...],
        emit: Emit,
    ) -> None:
        """Load the saved clock of session ``session_id``; changes are stored in ``store``."""
        self._store = store
        self._session_id = session_id
        self._emit = emit
        self.phases = phases
        self.clock = PhaseClock.from_json(store().phase_state(session_id))

    @property
    def phase(self) -> Phase | None:
        """The current phase, or None before the start and after the end."""
        if 0 <= self.clock.index < len(self.phases):
            return self.phases[self.clock.index]
        return None

    def phase_open(self, index: int) -> bool:
        """Return True while phase ``index`` runs or is paused."""
        return self.clock.is_open(index)

    def set_program(self, program: Sequence[Phase]) -> None:
        """Replace the program (before or during the day); the running phase keeps its place.

        Raises:
            ValueError: for an empty program, a phase without a title or a duration out of
                1–600 minutes.
        """
        program = tuple(program)
        if not program:
            raise ValueError("the program needs at least one phase")
        for phase in program:
            if not phase.title.strip() or not 1 <= phase.minutes <= 600:
                raise ValueError(f"phase {phase.title!r}: a title and 1–600 minutes are needed")
            if phase.kind == PhaseKind.PRIORITISE and not (
                1 <= phase.dots <= MAX_DOTS and 1 <= phase.per_card <= MAX_DOTS
            ):
                raise ValueError(f"phase {phase.title!r}: 1–{MAX_DOTS} dots are needed")
        self._store().set_program(self._session_id, program)
        self.phases = program
        if self.clock.index >= len(program):
            self._set_clock(replace(self.clock, index=len(program) - 1))
        else:
            self._emit(PhaseChanged(self.clock))

    def _set_clock(self, clock: PhaseClock) -> None:
        self._store().set_phase_state(self._session_id, clock.to_json())
        self.clock = clock
        self._emit(PhaseChanged(clock))

    def start(self, index: int | None = None, now: float | None = None) -> None:
        """Start phase ``index`` (default: the current one, or the first) with its full time."""
        now = time.time() if now is None else now
        index = max(self.clock.index, 0) if index is None else index
        if not 0 <= index < len(self.phases):
            raise ValueError(f"no phase {index}")
        minutes = self.phases[index].minutes
        self._set_clock(PhaseClock(index, PhaseStatus.RUNNING, now + minutes * 60, 0.0))

    def pause(self, now: float | None = None) -> None:
        """Stop the countdown; the phase stays open."""
        if self.clock.status != PhaseStatus.RUNNING:
            return
        now = time.time() if now is None else now
        left = self.clock.seconds_left(now)
        self._set_clock(replace(self.clock, status=PhaseStatus.PAUSED, remaining=left))

    def resume(self, now: float | None = None) -> None:
        """Restart the countdown where it was paused."""
        if self.clock.status != PhaseStatus.PAUSED:
            return
        now = time.time() if now is None else now
        self._set_clock(
            replace(self.clock, status=PhaseStatus.RUNNING, deadline=now + self.clock.remaining)
        )

    def add_time(self, seconds: float) -> None:
        """Give the current phase more (or, negative, less) time."""
        if self.clock.status == PhaseStatus.RUNNING:
            self._set_clock(replace(self.clock, deadline=self.clock.deadline + seconds))
        elif self.clock.status == PhaseStatus.PAUSED:
            self._set_clock(replace(self.clock, remaining=self.clock.remaining + seconds))

    def next_phase(self, now: float | None = None) -> None:
        """Close the current phase and start the next one (or end the program)."""
        if self.clock.index + 1 < len(self.phases):
            self.start(self.clock.index + 1, now)
        else:
            self._set_clock(PhaseClock(len(self.phases), PhaseStatus.ENDED))
