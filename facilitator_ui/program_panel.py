"""The program: the session's phases as a list, the current one marked, and an editor.

Edits go to a draft and reach the live session (and every participant's page) when the
facilitator saves, so typing a title does not broadcast every keystroke. During the day the
phases that have run and the running one stay where they are (they can still be retitled or
given another prompt): :meth:`app.live.Live.set_program` keeps the clock's index, so moving
the running phase would silently make another phase the current one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.live import Live, PhaseStatus
from app.model import Phase, PhaseKind, VoteScope
from app.protocol import MAX_DOTS
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    PHASE_KIND_KEYS,
    ask,
    big_button,
    countdown_seconds,
    plain_label,
)

LIST_POINT_SIZE = 16
MAX_MINUTES = 600
NEW_PHASE_MINUTES = 20
_CURRENT_BACKGROUND = QColor("#fff3c4")
_DONE_FOREGROUND = QColor("#5f6368")


@dataclass(slots=True)
class _Row:
    """A phase of the draft and where it sits in the saved program (None: added)."""

    phase: Phase
    origin: int | None


class ProgramPanel(QFrame):
    """The program list with the current phase marked, and its editor.

    Attributes:
        phase_list: one row per phase of the draft ("2. Mixade grupper · 40 min").
        title_edit, minutes_spin, kind_combo, prompt_edit: the selected phase's fields.
        add_button, remove_button, up_button, down_button: change the draft's phases.
        save_button, discard_button: send the draft to the live session, or drop it.
        start_selected_button: start the selected (saved) phase now, with its full time.

    Signals:
        message(str): something to tell the facilitator in the status bar (translated).
    """

    message = Signal(str)

    def __init__(
        self,
        live: Live,
        bridge: RoomBridge,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        """Load ``live``'s program and follow ``bridge``'s phase changes.

        Args:
            live: the live session whose program to show and edit.
            bridge: the room's signals; ``phaseChanged`` re-marks the current phase.
            clock: the wall clock "start this phase" uses.
            parent: the usual Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("programPanel")
        self._live = live
        self._clock = clock
        self._rows: list[_Row] = []
        self._loading = False

        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(20)

        left = QVBoxLayout()
        self._heading = plain_label("programHeading", 22, bold=True)
        left.addWidget(self._heading)
        self.phase_list = QListWidget()
        self.phase_list.setObjectName("phaseList")
        font = self.phase_list.font()
        font.setPointSize(LIST_POINT_SIZE)
        self.phase_list.setFont(font)
        self.phase_list.setWordWrap(True)
        self.phase_list.setSpacing(3)
        self.phase_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        left.addWidget(self.phase_list, 1)
        row_buttons = QHBoxLayout()
        self.add_button = big_button("addPhase", 14)
        self.remove_button = big_button("removePhase", 14)
        self.up_button = big_button("phaseUp", 14)
        self.down_button = big_button("phaseDown", 14)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            row_buttons.addWidget(button)
        row_buttons.addStretch(1)
        left.addLayout(row_buttons)
        layout.addLayout(left, 3)

        right = QVBoxLayout()
        self._editor_heading = plain_label("editorHeading", 18, bold=True)
        right.addWidget(self._editor_heading)
        form = QGridLayout()
        form.setVerticalSpacing(10)
        form.setHorizontalSpacing(12)
        self._title_caption = plain_label("titleCaption", 14, bold=True)
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(120)
        self._minutes_caption = plain_label("minutesCaption", 14, bold=True)
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(1, MAX_MINUTES)
        self._kind_caption = plain_label("kindCaption", 14, bold=True)
        self.kind_combo = QComboBox()
        for kind in PhaseKind:
            self.kind_combo.addItem("", kind)
        self._prompt_caption = plain_label("promptCaption", 14, bold=True)
        self.prompt_edit = QPlainTextEdit()
        self.prompt_edit.setTabChangesFocus(True)
        # A prioritise phase's vote: dots, at most per card, which cards, open or secret.
        self._vote_caption = plain_label("voteCaption", 14, bold=True)
        self.vote_box = QWidget()
        vote_grid = QGridLayout(self.vote_box)
        vote_grid.setContentsMargins(0, 0, 0, 0)
        self._dots_caption = plain_label("dotsCaption")
        self.dots_spin = QSpinBox()
        self.dots_spin.setRange(1, MAX_DOTS)
        self._per_card_caption = plain_label("perCardCaption")
        self.per_card_spin = QSpinBox()
        self.per_card_spin.setRange(1, MAX_DOTS)
        self._scope_caption = plain_label("scopeCaption")
        self.scope_combo = QComboBox()
        for scope in VoteScope:
            self.scope_combo.addItem("", scope)
        self.open_votes_check = QCheckBox()
        for number, (caption, field) in enumerate(
            (
                (self._dots_caption, self.dots_spin),
                (self._per_card_caption, self.per_card_spin),
                (self._scope_caption, self.scope_combo),
            )
        ):
            vote_grid.addWidget(caption, number, 0)
            vote_grid.addWidget(field, number, 1)
        vote_grid.addWidget(self.open_votes_check, 3, 0, 1, 2)
        for row, (caption, field) in enumerate(
            (
                (self._title_caption, self.title_edit),
                (self._minutes_caption, self.minutes_spin),
                (self._kind_caption, self.kind_combo),
                (self._vote_caption, self.vote_box),
                (self._prompt_caption, self.prompt_edit),
            )
        ):
            align = Qt.AlignmentFlag.AlignTop if field is self.prompt_edit else Qt.AlignmentFlag(0)
            form.addWidget(caption, row, 0, align)
            form.addWidget(field, row, 1)
        form.setRowStretch(4, 1)
        right.addLayout(form, 1)
        self._locked_hint = plain_label("lockedHint", 13, wrap=True)
        self._locked_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        right.addWidget(self._locked_hint)
        self._dirty_label = plain_label("dirtyHint", 14, bold=True, wrap=True)
        self._dirty_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        right.addWidget(self._dirty_label)
        save_row = QHBoxLayout()
        self.save_button = big_button("saveProgram")
        self.discard_button = big_button("discardProgram")
        save_row.addWidget(self.save_button)
        save_row.addWidget(self.discard_button)
        save_row.addStretch(1)
        right.addLayout(save_row)
        self.start_selected_button = big_button("startSelected")
        right.addWidget(self.start_selected_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(right, 2)

        self.phase_list.currentRowChanged.connect(self._show_selected)
        self.title_edit.textEdited.connect(self._edit_title)
        self.minutes_spin.valueChanged.connect(self._edit_minutes)
        self.kind_combo.activated.connect(self._edit_kind)
        self.prompt_edit.textChanged.connect(self._edit_prompt)
        self.dots_spin.valueChanged.connect(lambda value: self._edit_vote(dots=value))
        self.per_card_spin.valueChanged.connect(lambda value: self._edit_vote(per_card=value))
        self.scope_combo.activated.connect(
            lambda index: self._edit_vote(scope=VoteScope(self.scope_combo.itemData(index)))
        )
        self.open_votes_check.toggled.connect(lambda on: self._edit_vote(open_votes=on))
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.save_button.clicked.connect(self.save)
        self.discard_button.clicked.connect(self.discard)
        self.start_selected_button.clicked.connect(self._start_selected)
        bridge.phaseChanged.connect(self._on_phase_changed)

        self._load_from_live()
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def draft(self) -> tuple[Phase, ...]:
        """Return the program as edited (saved or not)."""
        return tuple(row.phase for row in self._rows)

    def is_dirty(self) -> bool:
        """Return True when the draft differs from the live program."""
        return self.draft() != self._live.program

    def save(self) -> bool:
        """Send the draft to the live session; return False (and say why) if refused."""
        fixed = self._fixed_upto()
        if any(self._rows[i].origin != i for i in range(min(fixed + 1, len(self._rows)))):
            self.message.emit(tr("program_moved_under_way"))
            return False
        try:
            self._live.set_program(self.draft())
        except ValueError as exc:
            self.message.emit(tr("program_invalid", error=exc))
            return False
        self._load_from_live()
        self.message.emit(tr("program_saved"))
        return True

    def discard(self) -> None:
        """Drop the draft and show the live program again."""
        self._load_from_live()

    def select_phase(self, index: int) -> None:
        """Select a phase of the draft (e.g. to edit it)."""
        self.phase_list.setCurrentRow(index)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self._heading.setText(tr("program_heading"))
        self._editor_heading.setText(tr("program_editor"))
        self._title_caption.setText(tr("program_title"))
        self._minutes_caption.setText(tr("program_minutes"))
        self._kind_caption.setText(tr("program_kind"))
        self._prompt_caption.setText(tr("program_prompt"))
        self._vote_caption.setText(tr("program_vote"))
        self._dots_caption.setText(tr("program_dots"))
        self._per_card_caption.setText(tr("program_per_card"))
        self._scope_caption.setText(tr("program_scope"))
        self.open_votes_check.setText(tr("program_open_votes"))
        for i in range(self.scope_combo.count()):
            self.scope_combo.setItemText(i, tr(f"scope_{self.scope_combo.itemData(i)}"))
        self.minutes_spin.setSuffix(tr("program_minutes_suffix"))
        for i in range(self.kind_combo.count()):
            self.kind_combo.setItemText(i, tr(PHASE_KIND_KEYS[self.kind_combo.itemData(i)]))
        self.add_button.setText(tr("program_add"))
        self.remove_button.setText(tr("program_remove"))
        self.up_button.setText(tr("program_up"))
        self.down_button.setText(tr("program_down"))
        self.save_button.setText(tr("program_save"))
        self.discard_button.setText(tr("program_discard"))
        self.start_selected_button.setText(tr("program_start_selected"))
        self.phase_list.setAccessibleName(tr("program_heading"))
        self._refresh_list()
        self._update_controls()

    # -- list ---------------------------------------------------------------------------------

    def _fixed_upto(self) -> int:
        """Return the last index that must stay in place (-1: everything can move)."""
        clock = self._live.clock
        if clock.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED):
            return clock.index
        if clock.status == PhaseStatus.ENDED:
            return len(self._live.program) - 1
        return -1

    def _load_from_live(self) -> None:
        self._rows = [_Row(phase, i) for i, phase in enumerate(self._live.program)]
        current = self.phase_list.currentRow()
        self._refresh_list()
        self.phase_list.setCurrentRow(min(max(current, 0), len(self._rows) - 1))
        self._show_selected(self.phase_list.currentRow())

    def _row_text(self, number: int, phase: Phase) -> str:
        kind = tr(PHASE_KIND_KEYS[phase.kind])
        text = tr(
            "program_row", number=number + 1, title=phase.title, minutes=phase.minutes, kind=kind
        )
        return f"{text}\n{phase.prompt}" if phase.prompt else text

    def _refresh_list(self) -> None:
        clock = self._live.clock
        running = clock.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED)
        items = self.phase_list
        while items.count() > len(self._rows):
            items.takeItem(items.count() - 1)
        while items.count() < len(self._rows):
            items.addItem(QListWidgetItem())
        for i, row in enumerate(self._rows):
            item = items.item(i)
            text = self._row_text(i, row.phase)
            current = running and row.origin == clock.index
            if current:
                text = tr("program_row_current", row=text)
            if item.text() != text:
                item.setText(text)
            font = QFont(items.font())
            font.setBold(current)
            item.setFont(font)
            item.setBackground(QBrush(_CURRENT_BACKGROUND) if current else QBrush())
            done = row.origin is not None and row.origin < clock.index
            item.setForeground(QBrush(_DONE_FOREGROUND) if done else QBrush())

    def _selected(self) -> int:
        row = self.phase_list.currentRow()
        return row if 0 <= row < len(self._rows) else -1

    def _show_selected(self, row: int) -> None:
        self._loading = True
        try:
            if 0 <= row < len(self._rows):
                phase = self._rows[row].phase
                self.title_edit.setText(phase.title)
                self.minutes_spin.setValue(phase.minutes)
                self.kind_combo.setCurrentIndex(self.kind_combo.findData(phase.kind))
                if self.prompt_edit.toPlainText() != phase.prompt:
                    self.prompt_edit.setPlainText(phase.prompt)
                self.dots_spin.setValue(phase.dots)
                self.per_card_spin.setValue(phase.per_card)
                self.scope_combo.setCurrentIndex(self.scope_combo.findData(phase.scope))
                self.open_votes_check.setChecked(phase.open_votes)
        finally:
            self._loading = False
        self._update_controls()

    def _update_controls(self) -> None:
        row = self._selected()
        fixed = self._fixed_upto()
        has_row = row >= 0
        movable = has_row and row > fixed
        for field in (self.title_edit, self.minutes_spin, self.prompt_edit):
            field.setEnabled(has_row)
        voting = has_row and self._rows[row].phase.kind == PhaseKind.PRIORITISE
        self.vote_box.setVisible(voting)
        self._vote_caption.setVisible(voting)
        # A phase that has run (or runs) keeps its kind: its groups and cards depend on it.
        self.kind_combo.setEnabled(movable)
        self.scope_combo.setEnabled(movable)  # the ballot of a vote under way stays as it is
        self.remove_button.setEnabled(movable and len(self._rows) > 1)
        self.up_button.setEnabled(movable and row - 1 > fixed)
        self.down_button.setEnabled(movable and row + 1 < len(self._rows))
        dirty = self.is_dirty()
        self.save_button.setEnabled(dirty)
        self.discard_button.setEnabled(dirty)
        self._dirty_label.setText(tr("program_unsaved") if dirty else "")
        self._dirty_label.setVisible(dirty)
        origin = self._rows[row].origin if has_row else None
        self.start_selected_button.setEnabled(origin is not None and not dirty)
        self._locked_hint.setText(tr("program_locked_hint") if has_row and not movable else "")
        self._locked_hint.setVisible(has_row and not movable)

    def _replace(self, row: int, phase: Phase) -> None:
        self._rows[row].phase = phase
        self._refresh_list()
        self._update_controls()

    # -- editing ------------------------------------------------------------------------------

    def _edit_title(self, text: str) -> None:
        row = self._selected()
        if row >= 0 and not self._loading:
            self._replace(row, replace(self._rows[row].phase, title=text))

    def _edit_minutes(self, minutes: int) -> None:
        row = self._selected()
        if row >= 0 and not self._loading:
            self._replace(row, replace(self._rows[row].phase, minutes=minutes))

    def _edit_kind(self, index: int) -> None:
        row = self._selected()
        if row >= 0 and not self._loading:
            kind = PhaseKind(self.kind_combo.itemData(index))
            self._replace(row, replace(self._rows[row].phase, kind=kind))

    def _edit_vote(self, **changes: object) -> None:
        row = self._selected()
        if row >= 0 and not self._loading:
            self._replace(row, replace(self._rows[row].phase, **changes))  # type: ignore[arg-type]

    def _edit_prompt(self) -> None:
        row = self._selected()
        if row >= 0 and not self._loading:
            text = self.prompt_edit.toPlainText()
            if text != self._rows[row].phase.prompt:
                self._replace(row, replace(self._rows[row].phase, prompt=text))

    def _add(self) -> None:
        row = self._selected()
        at = max(row + 1 if row >= 0 else len(self._rows), self._fixed_upto() + 1)
        phase = Phase(PhaseKind.MIXED_GROUPS, tr("program_new_phase"), NEW_PHASE_MINUTES)
        self._rows.insert(at, _Row(phase, None))
        self._refresh_list()
        self.phase_list.setCurrentRow(at)
        self.title_edit.setFocus()
        self.title_edit.selectAll()

    def _remove(self) -> None:
        row = self._selected()
        if row <= self._fixed_upto() or len(self._rows) <= 1:
            return
        del self._rows[row]
        self._refresh_list()
        self.phase_list.setCurrentRow(min(row, len(self._rows) - 1))
        self._update_controls()

    def _move(self, step: int) -> None:
        row = self._selected()
        target = row + step
        if row <= self._fixed_upto() or not self._fixed_upto() < target < len(self._rows):
            return
        self._rows[row], self._rows[target] = self._rows[target], self._rows[row]
        self._refresh_list()
        self.phase_list.setCurrentRow(target)

    def _start_selected(self) -> None:
        row = self._selected()
        origin = self._rows[row].origin if row >= 0 else None
        if origin is None or self.is_dirty():
            return
        # Jumping to another phase cuts the running one short, as Ctrl+→ does: ask first.
        live, now = self._live, self._clock()
        current = live.phase
        running = live.clock.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED)
        left = countdown_seconds(live.clock.seconds_left(now)) if running else 0
        if current is not None and origin != live.clock.index and left > 0:
            question = tr(
                "phase_skip_question",
                phase=current.title,
                minutes=-(-left // 60),
                next=live.program[origin].title,
            )
            if not ask(self, tr("phase_skip_title"), question, tr("phase_skip_action")):
                return
        try:
            self._live.start(origin, now)
        except ValueError as exc:
            self.message.emit(tr("phase_command_failed", error=exc))

    def _on_phase_changed(self) -> None:
        # The phase bar (or a save) changed the clock or the program: follow the live program
        # when there is nothing to lose, otherwise keep the unsaved draft and re-mark it.
        if self.is_dirty():
            self._refresh_list()
            self._update_controls()
        else:
            self._load_from_live()
