"""The phase bar: the current phase, a countdown readable from the back of the room, controls.

The countdown is computed from :meth:`app.live.PhaseClock.seconds_left` on every tick, never
counted down locally, so it agrees with every participant's page and survives a restart. A
single-shot timer is re-armed for the moment the shown second changes (about once a second),
and only while the clock runs: a paused or waiting console does no work at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.live import WARNING_SECONDS, Live, PhaseStatus
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    ask,
    big_button,
    countdown_seconds,
    format_countdown,
    plain_label,
)

COUNTDOWN_PIXEL_SIZE = 60
TICK_SLACK_MS = 15  # wake just after the second changes, never just before


class CountdownState(StrEnum):
    """What the countdown shows, which picks its colours."""

    WAITING = "waiting"  # before the first phase: the first phase's full time, dimmed
    RUNNING = "running"
    PAUSED = "paused"
    WARNING = "warning"  # two minutes or less left (amber)
    OVERTIME = "overtime"  # time is up (red, counting on with a minus sign)
    ENDED = "ended"


# Background, text colour and border per state; checked for contrast on a projector.
_COUNTDOWN_STYLE: dict[CountdownState, tuple[str, str, str]] = {
    CountdownState.WAITING: ("#f4f6f9", "#5f6368", "#c9d0da"),
    CountdownState.RUNNING: ("#ffffff", "#0d1b2a", "#0d1b2a"),
    CountdownState.PAUSED: ("#e9ecef", "#495057", "#868e96"),
    CountdownState.WARNING: ("#ffb300", "#1a1300", "#8a5a00"),
    CountdownState.OVERTIME: ("#fde2e1", "#b00020", "#b00020"),
    CountdownState.ENDED: ("#f4f6f9", "#5f6368", "#c9d0da"),
}

_TAG_KEYS: dict[CountdownState, str] = {
    CountdownState.WAITING: "phase_tag_waiting",
    CountdownState.RUNNING: "phase_tag_running",
    CountdownState.PAUSED: "phase_tag_paused",
    CountdownState.WARNING: "phase_tag_warning",
    CountdownState.OVERTIME: "phase_tag_overtime",
    CountdownState.ENDED: "phase_tag_ended",
}


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; ``full_text`` has it all."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty label (plain text only: a prompt may hold anything)."""
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.full_text = ""

    def set_full_text(self, text: str) -> None:
        """Show ``text``, shortened to the width."""
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Shorten the text again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        self.setText(
            self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, width)
        )


class PhaseBar(QFrame):
    """The current phase with its countdown and the facilitator's controls.

    Attributes:
        countdown_label: ``mm:ss`` in very large type.
        tag_label: the state in words ("Pågår", "Två minuter kvar", "Övertid"...).
        title_label: "Moment 2 av 5: Mixade grupper".
        prompt_label: the phase's prompt (plain text).
        start_button, pause_button, add_minute_button, add_five_button, next_button: the
            controls; the pause button reads "Fortsätt" while paused.

    Signals:
        failed(str): a command was refused (the message is translated, for the status bar).
    """

    failed = Signal(str)

    def __init__(
        self,
        live: Live,
        bridge: RoomBridge,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        """Show ``live``'s clock and follow ``bridge``'s phase changes.

        Args:
            live: the live session whose clock to show and drive.
            bridge: the room's signals; ``phaseChanged`` refreshes the bar.
            clock: the wall clock (tests and screenshots may pass their own).
            parent: the usual Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("phaseBar")
        self._live = live
        self._clock = clock
        self._state: CountdownState | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(18, 6, 12, 6)
        layout.setSpacing(18)

        texts = QVBoxLayout()
        texts.setSpacing(2)
        texts.addStretch(1)
        first_line = QHBoxLayout()
        first_line.setSpacing(12)
        self.position_label = plain_label("phasePosition", 13, bold=True)
        # The state in words next to the position: "Två minuter kvar" must never depend on
        # the countdown's colour alone.
        self.tag_label = plain_label("phaseTag", 14, bold=True)
        first_line.addWidget(self.tag_label)
        first_line.addWidget(self.position_label, 1)
        # The phase's name is never cut: it takes the width it needs, the prompt gives way
        # (one line, the whole of it in the tooltip).
        self.title_label = plain_label("phaseTitle", 20, bold=True)
        self.prompt_label = ElidedLabel()
        self.prompt_label.setObjectName("phasePrompt")
        prompt_font = self.prompt_label.font()
        prompt_font.setPointSize(13)
        self.prompt_label.setFont(prompt_font)
        self.prompt_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title_label.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        texts.addLayout(first_line)
        texts.addWidget(self.title_label)
        texts.addWidget(self.prompt_label)
        texts.addStretch(1)
        layout.addLayout(texts, 1)

        self.countdown_label = plain_label("countdown")
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
        font.setPixelSize(COUNTDOWN_PIXEL_SIZE)
        font.setBold(True)
        # Tabular digits: every digit as wide as the others, so the text does not wobble.
        font.setFeature(QFont.Tag("tnum"), 1)
        self.countdown_label.setFont(font)
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.countdown_label)

        buttons = self._buttons = QGridLayout()
        buttons.setHorizontalSpacing(8)
        buttons.setVerticalSpacing(8)
        self.start_button = big_button("startButton")
        self.pause_button = big_button("pauseButton")
        self.add_minute_button = big_button("addMinuteButton")
        self.add_five_button = big_button("addFiveButton")
        self.next_button = big_button("nextButton")
        self._buttons.addWidget(self.start_button, 0, 0)
        self._buttons.addWidget(self.pause_button, 0, 1)
        self._buttons.addWidget(self.add_minute_button, 1, 0)
        self._buttons.addWidget(self.add_five_button, 1, 1)
        self._buttons.addWidget(self.next_button, 0, 2, 2, 1)
        self.next_button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        widest = self.countdown_label.fontMetrics().horizontalAdvance(format_countdown(-1))
        # Room for the usual "−00:00"; a phase of 100 minutes or more widens it a little.
        self.countdown_label.setMinimumWidth(widest + 40)
        layout.addLayout(buttons)

        self.start_button.clicked.connect(self._start)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.add_minute_button.clicked.connect(lambda: self._add_time(60))
        self.add_five_button.clicked.connect(lambda: self._add_time(300))
        self.next_button.clicked.connect(self._next)
        bridge.phaseChanged.connect(self.refresh)
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def fix_height(self) -> None:
        """Keep one height whatever the phase, its prompt or the tab.

        The tab row below must never move under the facilitator's pointer.
        """
        self.setFixedHeight(self.sizeHint().height())

    def countdown_state(self) -> CountdownState:
        """Return the state the countdown shows now (see :class:`CountdownState`)."""
        return self._compute_state(self._clock())

    def refresh(self) -> None:
        """Show the live clock now (the bridge calls this on every phase change)."""
        live = self._live
        program, clock = live.program, live.clock
        count = len(program)
        phase = live.phase
        if clock.status == PhaseStatus.WAITING and program:
            phase = program[0]
            self.position_label.setText(tr("phase_next_first", count=count))
        elif clock.status == PhaseStatus.ENDED or phase is None:
            self.position_label.setText(tr("phase_all_done", count=count))
        else:
            self.position_label.setText(tr("phase_position", number=clock.index + 1, count=count))
        title = phase.title if phase is not None else tr("phase_program_ended")
        self.title_label.setText(title)
        self.prompt_label.set_full_text(phase.prompt if phase is not None else "")

        status = clock.status
        self.start_button.setEnabled(status == PhaseStatus.WAITING and bool(program))
        self.pause_button.setEnabled(status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED))
        self.pause_button.setText(
            tr("phase_resume") if status == PhaseStatus.PAUSED else tr("phase_pause")
        )
        for button in (self.add_minute_button, self.add_five_button):
            button.setEnabled(status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED))
        self.next_button.setEnabled(status != PhaseStatus.ENDED and bool(program))
        last = clock.index + 1 >= count and status != PhaseStatus.WAITING
        self.next_button.setText(tr("phase_finish") if last else tr("phase_next"))
        self._tick()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.start_button.setText(tr("phase_start"))
        self.add_minute_button.setText(tr("phase_add_one"))
        self.add_five_button.setText(tr("phase_add_five"))
        self.countdown_label.setAccessibleName(tr("phase_countdown"))
        self._state = None  # re-set the tag in the new language
        self.refresh()

    # -- the countdown ------------------------------------------------------------------------

    def _seconds_left(self, now: float) -> float:
        clock = self._live.clock
        if clock.status == PhaseStatus.WAITING:
            program = self._live.program
            return program[0].minutes * 60.0 if program else 0.0
        return clock.seconds_left(now)

    def _compute_state(self, now: float) -> CountdownState:
        status = self._live.clock.status
        if status == PhaseStatus.WAITING:
            return CountdownState.WAITING
        if status == PhaseStatus.ENDED:
            return CountdownState.ENDED
        shown = countdown_seconds(self._seconds_left(now))
        if shown <= 0:
            return CountdownState.OVERTIME
        if shown <= WARNING_SECONDS:
            return CountdownState.WARNING
        return CountdownState.PAUSED if status == PhaseStatus.PAUSED else CountdownState.RUNNING

    def _tick(self) -> None:
        now = self._clock()
        left = self._seconds_left(now)
        text = format_countdown(left)
        if self.countdown_label.text() != text:
            self.countdown_label.setText(text)
        state = self._compute_state(now)
        paused = self._live.clock.status == PhaseStatus.PAUSED
        if state != self._state:
            self._state = state
            background, colour, border = _COUNTDOWN_STYLE[state]
            # Restyled only when the state changes: a style sheet is parsed on every call.
            self.countdown_label.setStyleSheet(
                f"background: {background}; color: {colour}; border: 3px solid {border};"
                "border-radius: 14px; padding: 0px 18px;"
            )
            self.tag_label.setStyleSheet(
                f"background: {background}; color: {colour}; border: 2px solid {border};"
                "border-radius: 6px; padding: 1px 10px;"
            )
        if paused and state == CountdownState.WARNING:
            tag = tr("phase_tag_paused_warning")
        elif paused and state == CountdownState.OVERTIME:
            tag = tr("phase_tag_paused_overtime")
        else:
            tag = tr(_TAG_KEYS[state])
        if self.tag_label.text() != tag:
            self.tag_label.setText(tag)
        if self._live.clock.status == PhaseStatus.RUNNING:
            # Sleep until the shown second changes: ceil() of the time left moves when the
            # time left crosses a whole number, i.e. after its fractional part.
            fraction = left - math.floor(left)
            self._timer.start(int((fraction or 1.0) * 1000) + TICK_SLACK_MS)
        else:
            self._timer.stop()

    # -- commands -----------------------------------------------------------------------------

    def _run(self, command: Callable[[], None]) -> None:
        try:
            command()
        except ValueError as exc:
            self.failed.emit(tr("phase_command_failed", error=exc))

    def _start(self) -> None:
        self._run(lambda: self._live.start(None, self._clock()))

    def _pause_or_resume(self) -> None:
        if self._live.clock.status == PhaseStatus.PAUSED:
            self._run(lambda: self._live.resume(self._clock()))
        else:
            self._run(lambda: self._live.pause(self._clock()))

    def _add_time(self, seconds: int) -> None:
        self._run(lambda: self._live.add_time(seconds))

    def skip_question(self) -> str | None:
        """Return the question to ask before the next phase cuts this one short; None if none.

        A phase that runs (or is paused) with time left is worth a question: Ctrl+→ or N
        pressed by mistake would otherwise end the groups' work in front of everyone.
        """
        clock = self._live.clock
        phase = self._live.phase
        if phase is None or clock.status not in (PhaseStatus.RUNNING, PhaseStatus.PAUSED):
            return None
        left = countdown_seconds(self._seconds_left(self._clock()))
        if left <= 0:
            return None
        minutes = math.ceil(left / 60)
        program = self._live.program
        if clock.index + 1 >= len(program):
            return tr("phase_finish_question", phase=phase.title, minutes=minutes)
        following = program[clock.index + 1].title
        return tr("phase_skip_question", phase=phase.title, minutes=minutes, next=following)

    def _next(self) -> None:
        question = self.skip_question()
        if question is not None:
            last = self._live.clock.index + 1 >= len(self._live.program)
            action = tr("phase_finish") if last else tr("phase_skip_action")
            if not ask(self, tr("phase_skip_title"), question, action):
                return
        self._run(lambda: self._live.next_phase(self._clock()))
