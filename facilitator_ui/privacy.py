"""Erasing data on request (GDPR): one person's data, or everything a session collected.

*Radera en persons uppgifter…* lists everyone in the workshop file (every session's
participants, and roster names nobody has claimed yet); after a confirmation that names the
person, :meth:`app.room.Room.erase_participant` deletes them, their cards, survey answers,
group places and roster entry, and compacts the file so nothing lingers in it. The room,
every participant's page and the console follow at once.

*Radera träff…* deletes everything a session collected (participants, roster, cards, answers,
groups, phase state); its theme, program and survey stay in the series. The confirmation is
strong: the facilitator types the session's theme.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.model import Session
from app.operations import clear_session
from app.room import Room
from facilitator_ui.common import ask, plain_label

_KEY = Qt.ItemDataRole.UserRole


def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """Ask before deleting; the safe answer (Avbryt) is the default; True for ``action``."""
    return ask(parent, title, text, action, destructive=True)


def erase_with_confirmation(parent: QWidget | None, room: Room, participant_id: str) -> bool:
    """Ask (naming the person), then erase a participant of any session; True if erased."""
    found = [
        (number, person)
        for number, person in room.store.series_participants(room.series.id)
        if person.id == participant_id
    ]
    if not found:
        return False
    number, person = found[0]
    cards = sum(
        1 for r in room.store.reflections(person.session_id) if r.participant_id == participant_id
    )
    text = tr(
        "privacy_erase_confirm",
        name=person.name,
        organisation=room.organisation_name(person.organisation_id) or tr("org_unknown"),
        number=number,
        cards=cards,
    )
    if not confirm(parent, tr("privacy_erase_title"), text, tr("privacy_erase_button")):
        return False
    return room.erase_participant(participant_id)


def run_menu(menu: QMenu, where: QPoint) -> QAction | None:
    """Show a context menu at ``where`` (global) and return the action chosen, if any."""
    return menu.exec(where)


def install_roster_menu(
    view: QTreeView, room: Room, erased: Callable[[], None], parent: QWidget | None = None
) -> None:
    """Give the console's roster a context menu to erase the person under the mouse.

    Args:
        view: the roster tree (its model is a :class:`facilitator_ui.roster_model.RosterModel`).
        room: the live room.
        erased: called with no argument after an erasure (e.g. to reload the roster).
        parent: the dialogs' parent.
    """
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def menu_at(point: QPoint) -> None:
        index = view.indexAt(point)
        participant = view.model().participant(index) if index.isValid() else None  # type: ignore[attr-defined]
        if participant is None:
            return
        menu = QMenu(view)
        action = menu.addAction(tr("privacy_menu_erase", name=participant.name))
        action.setObjectName("eraseParticipantAction")
        chosen = run_menu(menu, view.viewport().mapToGlobal(point))
        menu.deleteLater()
        if chosen is action and erase_with_confirmation(parent or view, room, participant.id):
            erased()

    view.customContextMenuRequested.connect(menu_at)


class EraseDialog(QDialog):
    """Choose a person of the workshop and erase everything about them.

    Attributes:
        filter_edit: narrows the list by name or organisation.
        people_list: everyone: joined participants of every session, and unclaimed roster
            names; each item's data is ``("participant", id)`` or ``("roster", id)``.
        erase_button: erase the selected person (after a confirmation naming them).
        status_label: what was erased.

    Signals:
        erased(str): someone was erased (their name, for a status message).
    """

    erased = Signal(str)

    def __init__(self, room: Room, parent: QWidget | None = None) -> None:
        """List ``room``'s workshop's people."""
        super().__init__(parent)
        self.setObjectName("eraseDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._room = room
        layout = QVBoxLayout(self)
        self._intro = plain_label("privacyIntro", wrap=True)
        layout.addWidget(self._intro)
        self.filter_edit = QLineEdit()
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)
        layout.addWidget(self.filter_edit)
        self.people_list = QListWidget()
        self.people_list.setObjectName("eraseList")
        self.people_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.people_list.currentItemChanged.connect(
            lambda item, _old: self.erase_button.setEnabled(item is not None)
        )
        layout.addWidget(self.people_list, 1)
        self.status_label = plain_label("privacyStatus", bold=True, wrap=True)
        layout.addWidget(self.status_label)
        row = QHBoxLayout()
        self.erase_button = QPushButton()
        self.erase_button.setObjectName("eraseButton")
        self.erase_button.setEnabled(False)
        self.erase_button.clicked.connect(self.erase_selected)
        self._close_button = QPushButton()
        self._close_button.clicked.connect(self.accept)
        row.addStretch(1)
        row.addWidget(self.erase_button)
        row.addWidget(self._close_button)
        layout.addLayout(row)
        self.resize(640, 560)
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language (and list the people again)."""
        self.setWindowTitle(tr("privacy_erase_title"))
        self._intro.setText(tr("privacy_erase_intro"))
        self.filter_edit.setPlaceholderText(tr("privacy_filter"))
        self.erase_button.setText(tr("privacy_erase_button"))
        self._close_button.setText(tr("privacy_close"))
        self.reload()

    def reload(self) -> None:
        """List everyone in the workshop file now."""
        room = self._room
        self.people_list.clear()
        for number, person in room.store.series_participants(room.series.id):
            self._add(
                tr(
                    "privacy_person",
                    name=person.name,
                    organisation=room.organisation_name(person.organisation_id),
                    number=number,
                ),
                ("participant", person.id),
            )
        for session in room.series.sessions:
            for entry in room.store.roster(session.id, unclaimed=True):
                self._add(
                    tr(
                        "privacy_roster_person",
                        name=entry.name,
                        organisation=room.organisation_name(entry.organisation_id),
                        number=session.number,
                    ),
                    ("roster", entry.id),
                )
        self._apply_filter(self.filter_edit.text())
        self.erase_button.setEnabled(False)

    def _add(self, text: str, key: tuple[str, object]) -> None:
        item = QListWidgetItem(text)
        item.setData(_KEY, key)
        self.people_list.addItem(item)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.people_list.count()):
            item = self.people_list.item(row)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def select(self, kind: str, key: object) -> bool:
        """Select a person by ``("participant", id)`` or ``("roster", id)``."""
        for row in range(self.people_list.count()):
            if self.people_list.item(row).data(_KEY) == (kind, key):
                self.people_list.setCurrentRow(row)
                return True
        return False

    def erase_selected(self) -> bool:
        """Erase the selected person after confirming; True if erased."""
        item = self.people_list.currentItem()
        if item is None:
            return False
        kind, key = item.data(_KEY)
        shown = item.text()
        if kind == "participant":
            done = erase_with_confirmation(self, self._room, str(key))
        else:
            text = tr("privacy_erase_roster_confirm", person=shown)
            done = confirm(
                self, tr("privacy_erase_title"), text, tr("privacy_erase_button")
            ) and self._room.erase_roster_entry(int(key))  # type: ignore[call-overload]
        if done:
            self.reload()
            self.status_label.setText(tr("privacy_erased", person=shown))
            self.erased.emit(shown)
        return done


class DeleteSessionDialog(QDialog):
    """Delete everything a session collected, confirmed by typing its theme.

    Attributes:
        session_combo: which session.
        summary_label: what will be deleted (counts) and what stays.
        confirm_edit: the theme, typed to confirm.
        delete_button: enabled only when the typed theme matches.

    Signals:
        deleted(int): the session (by number) was emptied.
    """

    deleted = Signal(int)

    def __init__(self, room: Room, parent: QWidget | None = None) -> None:
        """Offer ``room``'s sessions, the current one first selected."""
        super().__init__(parent)
        self.setObjectName("deleteSessionDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._room = room
        layout = QVBoxLayout(self)
        self.session_combo = QComboBox()
        for session in room.series.sessions:
            self.session_combo.addItem("", session.number)
        self.session_combo.setCurrentIndex(self.session_combo.findData(room.session.number))
        self.session_combo.currentIndexChanged.connect(lambda _i: self._update())
        layout.addWidget(self.session_combo)
        self.summary_label = plain_label("deleteSummary", wrap=True)
        layout.addWidget(self.summary_label)
        self._confirm_caption = plain_label("deleteCaption", bold=True, wrap=True)
        layout.addWidget(self._confirm_caption)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.textChanged.connect(lambda _t: self._update())
        layout.addWidget(self.confirm_edit)
        row = QHBoxLayout()
        self.delete_button = QPushButton()
        self.delete_button.setObjectName("deleteSessionButton")
        self.delete_button.setStyleSheet(
            "QPushButton:enabled { background: #b00020; color: #ffffff; border-color: #b00020; }"
        )
        self.delete_button.clicked.connect(self.delete)
        self._cancel_button = QPushButton()
        self._cancel_button.setDefault(True)
        self._cancel_button.clicked.connect(self.reject)
        row.addStretch(1)
        row.addWidget(self.delete_button)
        row.addWidget(self._cancel_button)
        layout.addLayout(row)
        self.setMinimumWidth(600)
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("privacy_delete_title"))
        for i, session in enumerate(self._room.series.sessions):
            self.session_combo.setItemText(
                i, tr("export_session_item", number=session.number, theme=session.theme)
            )
        self.delete_button.setText(tr("privacy_delete_button"))
        self._cancel_button.setText(tr("privacy_cancel"))
        self._update()

    def _session(self) -> Session:
        number = self.session_combo.currentData()
        return next(s for s in self._room.series.sessions if s.number == number)

    def _update(self) -> None:
        session = self._session()
        store = self._room.store
        people = len(store.participants(session.id))
        self.summary_label.setText(
            tr(
                "privacy_delete_summary",
                number=session.number,
                theme=session.theme,
                people=people,
                roster=len(store.roster(session.id)),
                cards=len(store.reflections(session.id)),
                answers=len({a[0] for a in store.survey_answers(session.id)}),
            )
        )
        self._confirm_caption.setText(tr("privacy_delete_type", theme=session.theme))
        typed = " ".join(self.confirm_edit.text().split()).casefold()
        self.delete_button.setEnabled(typed == " ".join(session.theme.split()).casefold())

    def delete(self) -> bool:
        """Delete the session's data if the theme was typed; True if done."""
        if not self.delete_button.isEnabled():
            return False
        session = self._session()
        clear_session(self._room, session.number)
        self.deleted.emit(session.number)
        self.accept()
        return True
