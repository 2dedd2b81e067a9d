"""Arkiv → Redigera workshop…: organisations, the sessions' themes, and the survey.

One dialog with three tabs; nothing is stored until *Spara*, and then everything is checked
first (names, organisations still in use, sessions with data, answered survey items) so a
refusal never leaves half of the edits saved. The program and the prompts of the phases are
edited where they are run, on the console's Program tab, not here.

Survey item keys are stable: an item keeps its key however it is retexted or moved; a new
item gets a fresh key (``q1``, ``q2``…) never used before in the session. An item that has
answers keeps its kind and cannot be removed, so the answers stay attached to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.model import SurveyItem, SurveyKind
from app.operations import SessionEdit, WorkshopEdit, edit_workshop
from app.room import Room
from app.workshop_db import MAX_ORGANISATION_NAME, MAX_THEME
from facilitator_ui.common import error_and_buttons, plain_label

_ID = Qt.ItemDataRole.UserRole
_KIND_KEYS = {SurveyKind.LIKERT: "edit_kind_likert", SurveyKind.OPEN: "edit_kind_open"}


def _clean(text: str) -> str:
    return " ".join(text.split())


def new_survey_key(taken: Iterable[str]) -> str:
    """Return a survey item key (``q1``, ``q2``…) that is not in ``taken``."""
    used = set(taken)
    number = 1
    while f"q{number}" in used:
        number += 1
    return f"q{number}"


@dataclass(slots=True)
class _SessionRow:
    """A session as edited: its id (None: to be added) and texts."""

    session_id: int | None
    number: int
    theme: str
    subtitle: str


class WorkshopEditor(QDialog):
    """Edit the series' name and organisations, the sessions' themes, and the survey.

    Attributes:
        series_edit: the series' name.
        org_list: the organisations in order; double-click (or F2) renames.
        org_add, org_remove, org_up, org_down: change the list.
        session_table: number, theme and subtitle of every session.
        session_add, session_remove: add a session (with this one's program and survey) or
            remove one that holds no data.
        survey_table: the current session's survey items (kind, text).
        survey_add_likert, survey_add_open, survey_remove, survey_up, survey_down.
        error_label: why *Spara* was refused (hidden when fine).

    Signals:
        saved(): the edits are stored (the views follow the operation's change event).
    """

    saved = Signal()

    def __init__(self, room: Room, parent: QWidget | None = None) -> None:
        """Load ``room``'s workshop for editing."""
        super().__init__(parent)
        self.setObjectName("workshopEditor")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._room = room
        self._removed_sessions: list[int] = []
        self._answered = room.store.answered_items(room.session.id)

        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(self._build_organisations(), "")
        self.tabs.addTab(self._build_sessions(), "")
        self.tabs.addTab(self._build_survey(), "")
        self._program_note = plain_label("editorNote", wrap=True)
        layout.addWidget(self._program_note)
        self.error_label, self._buttons = error_and_buttons(
            self, layout, "editorError", QDialogButtonBox.StandardButton.Save
        )
        self.resize(820, 620)
        self.retranslate()

    # -- building -----------------------------------------------------------------------------

    def _button_row(self, *buttons: QPushButton) -> QHBoxLayout:
        row = QHBoxLayout()
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _build_organisations(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        self._series_caption = plain_label("editorCaption", bold=True)
        self.series_edit = QLineEdit(self._room.series.name)
        self.series_edit.setMaxLength(120)
        form.addRow(self._series_caption, self.series_edit)
        layout.addLayout(form)
        self.org_list = QListWidget()
        self.org_list.setObjectName("organisationList")
        self.org_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for org in self._room.series.organisations:
            self._add_org_item(org.name, org.id)
        layout.addWidget(self.org_list, 1)
        self.org_add, self.org_remove = QPushButton(), QPushButton()
        self.org_up, self.org_down = QPushButton(), QPushButton()
        self.org_add.clicked.connect(self.add_organisation)
        self.org_remove.clicked.connect(self.remove_organisation)
        self.org_up.clicked.connect(lambda: self._move(self.org_list, -1))
        self.org_down.clicked.connect(lambda: self._move(self.org_list, 1))
        layout.addLayout(
            self._button_row(self.org_add, self.org_remove, self.org_up, self.org_down)
        )
        return page

    def _build_sessions(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.session_table = QTableWidget(0, 3)
        self.session_table.setObjectName("sessionTable")
        self.session_table.verticalHeader().hide()
        self.session_table.horizontalHeader().setStretchLastSection(True)
        self.session_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for session in self._room.series.sessions:
            self._add_session_row(
                _SessionRow(session.id, session.number, session.theme, session.subtitle)
            )
        layout.addWidget(self.session_table, 1)
        self.session_add, self.session_remove = QPushButton(), QPushButton()
        self.session_add.clicked.connect(self.add_session)
        self.session_remove.clicked.connect(self.remove_session)
        layout.addLayout(self._button_row(self.session_add, self.session_remove))
        return page

    def _build_survey(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self._survey_caption = plain_label("editorCaption", bold=True, wrap=True)
        layout.addWidget(self._survey_caption)
        self.survey_table = QTableWidget(0, 2)
        self.survey_table.setObjectName("surveyTable")
        self.survey_table.horizontalHeader().setStretchLastSection(True)
        self.survey_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.survey_table.setWordWrap(True)
        for item in self._room.live.survey:
            self._add_survey_row(item)
        layout.addWidget(self.survey_table, 1)
        self.survey_add_likert, self.survey_add_open = QPushButton(), QPushButton()
        self.survey_remove, self.survey_up, self.survey_down = (
            QPushButton(),
            QPushButton(),
            QPushButton(),
        )
        self.survey_add_likert.clicked.connect(lambda: self.add_survey_item(SurveyKind.LIKERT))
        self.survey_add_open.clicked.connect(lambda: self.add_survey_item(SurveyKind.OPEN))
        self.survey_remove.clicked.connect(self.remove_survey_item)
        self.survey_up.clicked.connect(lambda: self._move_row(self.survey_table, -1))
        self.survey_down.clicked.connect(lambda: self._move_row(self.survey_table, 1))
        layout.addLayout(
            self._button_row(
                self.survey_add_likert,
                self.survey_add_open,
                self.survey_remove,
                self.survey_up,
                self.survey_down,
            )
        )
        return page

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("edit_title"))
        for index, key in enumerate(
            ("edit_tab_organisations", "edit_tab_sessions", "edit_tab_survey")
        ):
            self.tabs.setTabText(index, tr(key))
        self._series_caption.setText(tr("edit_series_name"))
        self.org_add.setText(tr("edit_add"))
        self.org_remove.setText(tr("edit_remove"))
        self.org_up.setText(tr("edit_up"))
        self.org_down.setText(tr("edit_down"))
        self.session_table.setHorizontalHeaderLabels(
            [tr("edit_col_number"), tr("edit_col_theme"), tr("edit_col_subtitle")]
        )
        self.session_add.setText(tr("edit_add_session"))
        self.session_remove.setText(tr("edit_remove_session"))
        self._survey_caption.setText(
            tr(
                "edit_survey_caption",
                number=self._room.session.number,
                theme=self._room.session.theme,
            )
        )
        self.survey_table.setHorizontalHeaderLabels([tr("edit_col_kind"), tr("edit_col_text")])
        for row in range(self.survey_table.rowCount()):
            combo = self._kind_combo(row)
            for i in range(combo.count()):
                combo.setItemText(i, tr(_KIND_KEYS[combo.itemData(i)]))
        self.survey_add_likert.setText(tr("edit_add_likert"))
        self.survey_add_open.setText(tr("edit_add_open"))
        self.survey_remove.setText(tr("edit_remove"))
        self.survey_up.setText(tr("edit_up"))
        self.survey_down.setText(tr("edit_down"))
        self._program_note.setText(tr("edit_program_note"))
        self._buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("edit_save"))
        self._buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("edit_cancel"))

    # -- organisations ------------------------------------------------------------------------

    def _add_org_item(self, name: str, org_id: int | None) -> QListWidgetItem:
        item = QListWidgetItem(name)
        item.setData(_ID, org_id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.org_list.addItem(item)
        return item

    def organisations(self) -> list[tuple[int | None, str]]:
        """Return the organisations as edited: (id or None for new, name)."""
        return [
            (self.org_list.item(i).data(_ID), _clean(self.org_list.item(i).text()))
            for i in range(self.org_list.count())
        ]

    def add_organisation(self, name: str = "") -> None:
        """Append an organisation and start editing its name."""
        item = self._add_org_item(name or tr("edit_new_organisation"), None)
        self.org_list.setCurrentItem(item)
        if not name:
            self.org_list.editItem(item)

    def remove_organisation(self) -> bool:
        """Remove the selected organisation; refused (and said why) if it has people."""
        item = self.org_list.currentItem()
        if item is None:
            return False
        org_id = item.data(_ID)
        if org_id is not None and self._room.store.organisation_in_use(org_id):
            self._fail(tr("edit_org_in_use", name=item.text()))
            return False
        self.org_list.takeItem(self.org_list.row(item))
        self.error_label.hide()
        return True

    def _move(self, widget: QListWidget, step: int) -> None:
        row = widget.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < widget.count():
            return
        item = widget.takeItem(row)
        widget.insertItem(target, item)
        widget.setCurrentRow(target)

    # -- sessions -----------------------------------------------------------------------------

    def _add_session_row(self, row: _SessionRow) -> None:
        at = self.session_table.rowCount()
        self.session_table.insertRow(at)
        number = QTableWidgetItem(str(row.number))
        number.setData(_ID, row.session_id)
        number.setFlags(number.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.session_table.setItem(at, 0, number)
        self.session_table.setItem(at, 1, QTableWidgetItem(row.theme))
        self.session_table.setItem(at, 2, QTableWidgetItem(row.subtitle))

    def sessions(self) -> list[_SessionRow]:
        """Return the sessions as edited."""
        table = self.session_table
        return [
            _SessionRow(
                table.item(r, 0).data(_ID),
                int(table.item(r, 0).text()),
                _clean(table.item(r, 1).text()),
                _clean(table.item(r, 2).text()),
            )
            for r in range(table.rowCount())
        ]

    def add_session(self, theme: str = "", subtitle: str = "") -> None:
        """Append a session (numbered after the last)."""
        number = max((r.number for r in self.sessions()), default=0) + 1
        self._add_session_row(_SessionRow(None, number, theme or tr("edit_new_theme"), subtitle))
        self.session_table.selectRow(self.session_table.rowCount() - 1)

    def remove_session(self) -> bool:
        """Remove the selected session; refused for the running one and one with data."""
        row = self.session_table.currentRow()
        if row < 0:
            return False
        session_id = self.session_table.item(row, 0).data(_ID)
        number = self.session_table.item(row, 0).text()
        if session_id == self._room.session.id:
            self._fail(tr("edit_session_current", number=number))
            return False
        if session_id is not None and self._room.store.session_has_data(session_id):
            self._fail(tr("edit_session_has_data", number=number))
            return False
        if self.session_table.rowCount() <= 1:
            return False
        if session_id is not None:
            self._removed_sessions.append(session_id)
        self.session_table.removeRow(row)
        self.error_label.hide()
        return True

    # -- survey -------------------------------------------------------------------------------

    def _kind_combo(self, row: int) -> QComboBox:
        combo = self.survey_table.cellWidget(row, 0)
        assert isinstance(combo, QComboBox)
        return combo

    def _add_survey_row(self, item: SurveyItem, at: int | None = None) -> None:
        table = self.survey_table
        row = table.rowCount() if at is None else at
        table.insertRow(row)
        combo = QComboBox()
        for kind in SurveyKind:
            combo.addItem(tr(_KIND_KEYS[kind]), kind)
        combo.setCurrentIndex(combo.findData(item.kind))
        answered = item.key in self._answered
        combo.setEnabled(not answered)  # its answers are of this kind
        table.setCellWidget(row, 0, combo)
        text = QTableWidgetItem(item.text)
        text.setData(_ID, item.key)
        if answered:
            text.setToolTip(tr("edit_survey_answered", count=self._answered[item.key]))
        table.setItem(row, 1, text)

    def survey_items(self) -> list[SurveyItem]:
        """Return the survey as edited (keys kept, new items with fresh keys)."""
        table = self.survey_table
        return [
            SurveyItem(
                str(table.item(r, 1).data(_ID)),
                SurveyKind(self._kind_combo(r).currentData()),
                table.item(r, 1).text().strip(),
            )
            for r in range(table.rowCount())
        ]

    def add_survey_item(self, kind: SurveyKind, text: str = "") -> None:
        """Append a Likert statement or an open question with a new, never used key."""
        taken = [i.key for i in self.survey_items()] + list(self._answered)
        taken += [i.key for i in self._room.live.survey]
        item = SurveyItem(new_survey_key(taken), kind, text or tr("edit_new_question"))
        self._add_survey_row(item)
        self.survey_table.selectRow(self.survey_table.rowCount() - 1)

    def remove_survey_item(self) -> bool:
        """Remove the selected item; refused (and said why) if it has answers."""
        row = self.survey_table.currentRow()
        if row < 0:
            return False
        key = self.survey_table.item(row, 1).data(_ID)
        if key in self._answered:
            self._fail(tr("edit_survey_has_answers", text=self.survey_table.item(row, 1).text()))
            return False
        self.survey_table.removeRow(row)
        self.error_label.hide()
        return True

    def _move_row(self, table: QTableWidget, step: int) -> None:
        row = table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < table.rowCount():
            return
        items = self.survey_items()
        item = items.pop(row)
        items.insert(target, item)
        table.setRowCount(0)
        for each in items:
            self._add_survey_row(each)
        table.selectRow(target)

    # -- saving -------------------------------------------------------------------------------

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _check(self) -> str | None:
        """Return why the edits cannot be saved, or None."""
        room = self._room
        if not _clean(self.series_edit.text()):
            return tr("edit_series_empty")
        seen: set[str] = set()
        for _org_id, name in self.organisations():
            if not name or len(name) > MAX_ORGANISATION_NAME:
                return tr("edit_org_name_invalid", max=MAX_ORGANISATION_NAME)
            if name.casefold() in seen:
                return tr("edit_org_twice", name=name)
            seen.add(name.casefold())
        kept = {org_id for org_id, _ in self.organisations()}
        for org in room.series.organisations:
            if org.id not in kept and room.store.organisation_in_use(org.id):
                return tr("edit_org_in_use", name=org.name)
        for row in self.sessions():
            if not row.theme or len(row.theme) > MAX_THEME or len(row.subtitle) > MAX_THEME:
                return tr("edit_theme_invalid", number=row.number, max=MAX_THEME)
        numbers = {s.id: s.number for s in room.series.sessions}
        for session_id in self._removed_sessions:
            if room.store.session_has_data(session_id):
                return tr("edit_session_has_data", number=numbers.get(session_id, "?"))
        try:
            room.live.check_survey(self.survey_items())
        except ValueError as exc:
            return tr("edit_survey_invalid", error=exc)
        return None

    def edit(self) -> WorkshopEdit:
        """Return the dialog's edits as the core operation's data."""
        return WorkshopEdit(
            series_name=self.series_edit.text(),
            organisations=tuple(self.organisations()),
            sessions=tuple(
                SessionEdit(row.session_id, row.theme, row.subtitle) for row in self.sessions()
            ),
            removed_sessions=tuple(self._removed_sessions),
            survey=tuple(self.survey_items()),
        )

    def save(self) -> bool:
        """Check everything, then store it in one operation; False (and why) if refused.

        The operation (:func:`app.operations.edit_workshop`) makes every write in one
        transaction, so a failure stores nothing; its one change event reloads the views.
        """
        problem = self._check()
        if problem is not None:
            self._fail(problem)
            return False
        try:
            edit_workshop(self._room, self.edit())
        except (ValueError, sqlite3.Error) as exc:
            self._fail(tr("edit_save_failed", error=exc))
            return False
        self.error_label.hide()
        self.saved.emit()
        return True

    def accept(self) -> None:
        """*Spara*: store the edits, or stay open and say why not."""
        if self.save():
            super().accept()
