"""The Arkiv menu's workshop commands: new, open, save as, recent, roster, export, edit, erase.

A workshop is one SQLite file (``*.tankesmedja``; see :mod:`app.workshop`). The console never
switches files by itself: *Ny workshop* and *Öppna* check the file and emit the window's
``openWorkshopRequested(Path)``; the composition root stops the server, closes the store and
rebuilds store, room, server and window on the new file. *Spara som* is different: it copies
the open file (SQLite's online backup, atomically) and goes on in the copy without a restart,
so participants stay connected.

The recent workshops are remembered through the console's
:class:`facilitator_ui.settings.Settings` (see :func:`recent_workshops`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.export import safe_file_name
from app.i18n import tr
from app.operations import import_roster
from app.room import Room
from app.roster import RosterError, read_roster
from app.store import StoreError
from app.workshop import (
    SUFFIX,
    WorkshopFileError,
    check_workshop,
    create_workshop,
    plan_problems,
    plan_roster,
    save_as,
    with_suffix,
)
from facilitator_ui import common
from facilitator_ui.common import error_and_buttons, plain_label
from facilitator_ui.editors import WorkshopEditor
from facilitator_ui.export_dialog import ExportDialog
from facilitator_ui.privacy import DeleteSessionDialog, EraseDialog, install_roster_menu

log = logging.getLogger(__name__)

RECENT_MAX = 8
_RECENT_KEY = "workshop/recent"


# -- recent workshops -------------------------------------------------------------------------


def _recent_store(settings: Any) -> Any:
    # The QSettings (or in-memory) store behind facilitator_ui.settings.Settings. The one place
    # this module reaches into it: a ``recent_workshops`` property on Settings can replace it.
    return settings._store


def recent_workshops(settings: Any) -> list[Path]:
    """Return the recently opened workshops, newest first (a broken value reads as none)."""
    raw = _recent_store(settings).value(_RECENT_KEY)
    try:
        paths = json.loads(str(raw)) if raw else []
    except ValueError:
        return []
    return (
        [Path(p) for p in paths if isinstance(p, str)][:RECENT_MAX]
        if isinstance(paths, list)
        else []
    )


def remember_workshop(settings: Any, path: Path) -> None:
    """Put ``path`` first in the recent workshops and make it the last workshop."""
    path = Path(path).resolve()
    paths = [path, *(p for p in recent_workshops(settings) if p != path)][:RECENT_MAX]
    # JSON text, not a list: QSettings reads a one-item list back as a plain string.
    _recent_store(settings).setValue(_RECENT_KEY, json.dumps([str(p) for p in paths]))
    settings.last_workshop = str(path)


def workshop_filter() -> str:
    """Return the file dialogs' filter for workshop files."""
    return f"{tr('ws_filter')} (*{SUFFIX} *.sqlite3);;{tr('ws_filter_all')} (*)"


# -- dialogs ------------------------------------------------------------------------------------


def show_problems(parent: QWidget | None, title: str, text: str, details: list[str]) -> None:
    """Show what went wrong, with the line-numbered details below (plain text)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text + ("\n\n" + "\n".join(details[:12]) if details else ""))
    if len(details) > 12:
        box.setDetailedText("\n".join(details))
    box.exec()


def default_export_folder(room: Room) -> Path:
    """Return where an export goes unless the facilitator picks another folder.

    The user's documents folder (``~/Documents/Tankesmedja/<series>``), where people look
    for files, never the hidden application data folder the workshop file lives in.
    """
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    base = Path(documents) if documents else Path.home()
    return base / "Tankesmedja" / safe_file_name(room.series.name)


def ask(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """Ask a question whose safe answer (Avbryt) is the default; True for ``action``."""
    return common.ask(parent, title, text, action)


def roster_error_text(error: RosterError) -> str:
    """Return a roster file's error in the console's language, with its line."""
    key = f"roster_error_{error.code}"
    message = tr(key, **error.params) if error.code else error.message
    if message == key:  # a code without a translation yet
        message = error.message
    if error.line and error.column:
        return tr("roster_error_cell", line=error.line, column=error.column, message=message)
    return tr("roster_error_line", line=error.line, message=message) if error.line else message


class NewWorkshopDialog(QDialog):
    """Ny workshop: from the sample series, or an empty series with a name; and where.

    Attributes:
        template_radio, empty_radio: start from the sample series, or an empty one.
        name_edit, theme_edit: the empty series' name and its first session's theme.
        path_edit, browse_button: the new file.
        error_label: why it could not be created.
    """

    def __init__(self, parent: QWidget | None = None, folder: Path | None = None) -> None:
        """Prepare the form (``folder``: where the file dialog starts)."""
        super().__init__(parent)
        self.setObjectName("newWorkshopDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.created: Path | None = None
        self._folder = folder or Path.home()
        layout = QVBoxLayout(self)
        self.template_radio = QRadioButton()
        self.empty_radio = QRadioButton()
        group = QButtonGroup(self)
        group.addButton(self.template_radio)
        group.addButton(self.empty_radio)
        self.template_radio.setChecked(True)
        layout.addWidget(self.template_radio)
        layout.addWidget(self.empty_radio)
        form = QFormLayout()
        self._name_caption = plain_label()
        self._theme_caption = plain_label()
        self._path_caption = plain_label()
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(120)
        self.theme_edit = QLineEdit()
        self.theme_edit.setMaxLength(120)
        self.path_edit = QLineEdit()
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form.addRow(self._name_caption, self.name_edit)
        form.addRow(self._theme_caption, self.theme_edit)
        form.addRow(self._path_caption, path_row)
        layout.addLayout(form)
        self.template_radio.toggled.connect(self._update)
        self.error_label, self._buttons = error_and_buttons(self, layout, "newWorkshopError")
        self.setMinimumWidth(620)
        self.setWindowTitle(tr("ws_new_title"))
        self.template_radio.setText(tr("ws_new_template"))
        self.empty_radio.setText(tr("ws_new_empty"))
        self._name_caption.setText(tr("ws_new_name"))
        self._theme_caption.setText(tr("ws_new_theme"))
        self._path_caption.setText(tr("ws_new_file"))
        self.browse_button.setText(tr("export_browse"))
        self._buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("ws_new_create"))
        self._update()

    def _update(self) -> None:
        empty = self.empty_radio.isChecked()
        self.name_edit.setEnabled(empty)
        self.theme_edit.setEnabled(empty)

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, tr("ws_new_title"), str(self._folder), workshop_filter()
        )
        if name:
            self.path_edit.setText(str(with_suffix(Path(name))))

    def accept(self) -> None:
        """Create the file, or stay open and say why not."""
        text = self.path_edit.text().strip()
        if not text:
            self._fail(tr("ws_need_file"))
            return
        empty = self.empty_radio.isChecked()
        if empty and not self.name_edit.text().strip():
            self._fail(tr("ws_need_name"))
            return
        try:
            self.created = create_workshop(
                Path(text).expanduser(),
                template=not empty,
                name=self.name_edit.text(),
                first_theme=self.theme_edit.text(),
            )
        except WorkshopFileError as exc:  # ``in_use``: another running app has that file
            self._fail(tr("ws_error_in_use", path=exc.path))
            return
        except (OSError, sqlite3.Error, StoreError) as exc:
            self._fail(tr("ws_create_failed", error=getattr(exc, "strerror", None) or exc))
            return
        super().accept()

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()


# -- the menu -------------------------------------------------------------------------------


class WorkshopActions(QObject):
    """The workshop commands of a console window's Arkiv menu.

    The window (a :class:`facilitator_ui.main_window.MainWindow`) gives its room, settings,
    status bar and ``openWorkshopRequested`` signal; nothing here talks to the server.

    Attributes:
        new_action, open_action, save_as_action, recent_menu, import_action, export_action,
        edit_action, erase_action, delete_session_action: the menu's entries.
    """

    def __init__(self, window: Any, room: Room) -> None:
        """Make the actions for ``window`` (not yet in a menu: see :meth:`install`)."""
        super().__init__(window)
        self._window = window
        self._room = room
        self.dialog: QDialog | None = None  # the last dialog opened (tests drive it)

        def action(name: str, slot: Any) -> QAction:
            made = QAction(window)
            made.setObjectName(name)
            made.triggered.connect(lambda _checked=False: slot())
            return made

        self.new_action = action("newWorkshopAction", self.new_workshop)
        self.open_action = action("openWorkshopAction", self.open_workshop)
        self.save_as_action = action("saveWorkshopAsAction", self.save_as)
        self.import_action = action("importRosterAction", self.import_roster)
        self.export_action = action("exportAction", self.open_export)
        self.edit_action = action("editWorkshopAction", self.open_editor)
        self.erase_action = action("eraseAction", self.open_erase)
        self.delete_session_action = action("deleteSessionAction", self.open_delete_session)
        self.recent_menu = QMenu(window)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        view = getattr(window, "roster_view", None)
        if view is not None:
            install_roster_menu(view, room, self._after_erase, window)

    def install(self, menu: QMenu, before: QAction | None = None) -> None:
        """Put the actions into ``menu`` (before ``before``, e.g. Avsluta)."""
        entries: list[QAction | QMenu | None] = [
            self.new_action,
            self.open_action,
            self.recent_menu,
            self.save_as_action,
            None,
            self.import_action,
            self.export_action,
            self.edit_action,
            None,
            self.erase_action,
            self.delete_session_action,
            None,
        ]
        for entry in entries:
            if entry is None:
                if before is None:
                    menu.addSeparator()
                else:
                    menu.insertSeparator(before)
            elif isinstance(entry, QMenu):
                if before is not None:
                    menu.insertMenu(before, entry)
                else:
                    menu.addMenu(entry)
            elif before is not None:
                menu.insertAction(before, entry)
            else:
                menu.addAction(entry)

    def retranslate(self) -> None:
        """Set every text in the current language (and the window's file path)."""
        for entry, key in (
            (self.new_action, "ws_new"),
            (self.open_action, "ws_open"),
            (self.save_as_action, "ws_save_as"),
            (self.import_action, "ws_import_roster"),
            (self.export_action, "ws_export"),
            (self.edit_action, "ws_edit"),
            (self.erase_action, "ws_erase"),
            (self.delete_session_action, "ws_delete_session"),
        ):
            entry.setText(tr(key))
        self.recent_menu.setTitle(tr("ws_recent"))
        # The title stays the app's; the file shows where the platform shows one (macOS'
        # proxy icon, the task switcher), and in the recent list.
        self._window.setWindowFilePath(str(self._room.store.path))

    # -- helpers ------------------------------------------------------------------------------

    def _settings(self) -> Any:
        return getattr(self._window, "settings", None)

    def _message(self, text: str) -> None:
        self._window.statusBar().showMessage(text, 6000)

    def _folder(self) -> Path:
        return self._room.store.path.parent

    def _request_open(self, path: Path) -> None:
        settings = self._settings()
        if settings is not None:
            remember_workshop(settings, self._room.store.path)  # to come back to it
            remember_workshop(settings, path)
        signal = getattr(self._window, "openWorkshopRequested", None)
        if signal is not None:
            signal.emit(Path(path))

    def _after_erase(self) -> None:
        self._window.roster_model.reload()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        settings = self._settings()
        paths = recent_workshops(settings) if settings is not None else []
        current = self._room.store.path.resolve()
        shown = [p for p in paths if p.is_file() and p != current]
        for path in shown:
            entry = self.recent_menu.addAction(
                tr("ws_recent_item", name=path.name, folder=path.parent)
            )
            entry.triggered.connect(lambda _checked=False, p=path: self.open_workshop(p))
        if not shown:
            empty = self.recent_menu.addAction(tr("ws_recent_none"))
            empty.setEnabled(False)

    # -- commands -----------------------------------------------------------------------------

    def new_workshop(self) -> NewWorkshopDialog:
        """Open *Ny workshop*; when created, the console switches to it."""
        dialog = NewWorkshopDialog(self._window, self._folder())
        dialog.accepted.connect(lambda: dialog.created and self._request_open(dialog.created))
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_workshop(self, path: Path | None = None) -> bool:
        """Switch the console to another workshop file (asked for if not given)."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self._window, tr("ws_open_title"), str(self._folder()), workshop_filter()
            )
            if not name:
                return False
            path = Path(name)
        if path.resolve() == self._room.store.path.resolve():
            self._message(tr("ws_already_open", name=path.name))
            return False
        try:
            check_workshop(path)
        except WorkshopFileError as exc:
            show_problems(
                self._window, tr("ws_open_title"), tr(f"ws_error_{exc.code}", path=path), []
            )
            return False
        self._request_open(path)
        return True

    def save_as(self, path: Path | None = None) -> Path | None:
        """Copy the workshop to a new file and go on in it (participants stay connected)."""
        if path is None:
            name, _ = QFileDialog.getSaveFileName(
                self._window, tr("ws_save_as_title"), str(self._folder()), workshop_filter()
            )
            if not name:
                return None
            path = Path(name)
        try:
            saved = save_as(self._room, path)
        except WorkshopFileError as exc:
            text = tr("ws_error_in_use", path=path) if exc.code == "in_use" else None
            show_problems(
                self._window, tr("ws_save_as_title"), text or tr("ws_error_same_file"), []
            )
            return None
        except (OSError, sqlite3.Error) as exc:
            error = getattr(exc, "strerror", None) or exc
            show_problems(
                self._window,
                tr("ws_save_as_title"),
                tr("ws_save_failed", path=path, error=error),
                [],
            )
            return None
        settings = self._settings()
        if settings is not None:
            remember_workshop(settings, saved)
        self.retranslate()  # the title shows the new file
        self._message(tr("ws_saved_as", path=saved))
        return saved

    def import_roster(self, path: Path | None = None) -> bool:
        """Import a roster CSV into the current session; on any error, import nothing."""
        room = self._room
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self._window,
                tr("ws_import_title"),
                str(self._folder()),
                f"{tr('ws_filter_csv')} (*.csv *.txt *.tsv *.xlsx);;{tr('ws_filter_all')} (*)",
            )
            if not name:
                return False
            path = Path(name)
        title = tr("ws_import_title")
        failed = tr("ws_import_failed", file=path.name)
        try:
            rows = read_roster(path)
        except RosterError as exc:
            show_problems(self._window, title, failed, [roster_error_text(exc)])
            return False
        plan = plan_roster(rows, room.series.organisations, room.session.id)
        if plan.unnamed:
            show_problems(self._window, title, failed, plan_problems(plan))
            return False
        if plan.unknown:
            question = tr("ws_import_unknown", organisations="\n".join(plan_problems(plan)))
            if not ask(self._window, title, question, tr("ws_import_add_orgs")):
                return False
        # One operation, one transaction: the new organisations and the roster together.
        try:
            added, kept = import_roster(room, rows, add_unknown=bool(plan.unknown))
        except (ValueError, sqlite3.Error) as exc:
            show_problems(self._window, title, tr("ws_import_failed"), [str(exc)])
            return False
        self._message(tr("ws_imported", added=added, kept=kept, number=room.session.number))
        return True

    def open_export(self) -> ExportDialog:
        """Open *Exportera…* (window-modal; the export runs without blocking the loop)."""
        dialog = ExportDialog(self._room, self._window, folder=default_export_folder(self._room))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_editor(self) -> WorkshopEditor:
        """Open *Redigera workshop…*; saved edits show at once everywhere."""
        dialog = WorkshopEditor(self._room, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda: self._message(tr("edit_saved")))
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_erase(self) -> EraseDialog:
        """Open *Radera en persons uppgifter…*."""
        dialog = EraseDialog(self._room, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.erased.connect(lambda _name: self._after_erase())
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_delete_session(self) -> DeleteSessionDialog:
        """Open *Radera träff…*; the running session, emptied, starts afresh in place."""
        dialog = DeleteSessionDialog(self._room, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.deleted.connect(self._session_deleted)
        dialog.open()
        self.dialog = dialog
        return dialog

    def _session_deleted(self, number: int) -> None:
        # The running session was started afresh by the core operation (new room token and
        # code); the views followed its one event already.
        self._message(tr("privacy_session_deleted", number=number))
