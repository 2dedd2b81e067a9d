"""Arkiv → Exportera…: every export file (see :func:`app.export.export_all`), from the console.

The export (:func:`app.export.export_all`) runs in a separate, spawned process
(:func:`app.export.process.export_in_process`), not in a thread: reportlab draws the PDFs in
pure Python, and a thread doing that holds the GIL nearly all the time. The loop's thread is
the Qt main thread and the room server's loop at once: with 500 participants submitting, a load
test measured it stalling up to 467 ms with the export in a thread, 2–13 ms with it in a
process. The child opens the workshop database itself and only reads it, so it exports what the
room server has committed when it starts.

Progress comes back from the child over a pipe and is delivered on the loop's thread, so the
callback updates the widgets directly. Cancelling sets an :class:`asyncio.Event`: the child
stops after the file it is writing, or is terminated if it does not within a moment (files are
written atomically, so that never leaves half a file). Errors of the child (an unwritable
folder, a full disk) come back as the exceptions they were and are shown as before.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.export import ExportCancelled
from app.export.process import export_in_process
from app.i18n import tr
from app.room import Room
from facilitator_ui.common import plain_label
from facilitator_ui.tasks import TaskRunner, running_loop

log = logging.getLogger(__name__)


class ExportDialog(QDialog):
    """Choose what to export and where; watch it run; open the folder.

    Attributes:
        session_radio, series_radio: export one session, or the whole series.
        session_combo: which session (the current one preselected).
        folder_edit, browse_button: the output folder.
        names_check: "Ta med namn" (names in the PDFs and raw data, and the groups' files).
        formats_label: what the export writes (PDF, Word, HTML, Excel, CSV, JSON, …).
        progress_bar: 0–100 % of the files written.
        status_label: what happens now, the result, or what went wrong.
        files_list: the files written.
        export_button, cancel_button, open_folder_button, close_button: the actions.

    Signals:
        exported(list): the export finished; the paths written.
    """

    exported = Signal(list)

    def __init__(
        self, room: Room, parent: QWidget | None = None, *, folder: Path | None = None
    ) -> None:
        """Prepare an export of ``room``'s workshop (nothing runs until Exportera)."""
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._room = room
        self._task: asyncio.Task[Any] | None = None
        self._cancel = asyncio.Event()  # a new one per export (start() makes it)
        self._written: list[Path] = []
        self._folder: Path | None = None
        self.progress_values: list[int] = []  # every percentage shown (tests read it)

        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.session_radio = QRadioButton()
        self.series_radio = QRadioButton()
        scope = QButtonGroup(self)
        scope.addButton(self.session_radio)
        scope.addButton(self.series_radio)
        self.session_radio.setChecked(True)
        self.session_combo = QComboBox()
        for session in room.series.sessions:
            self.session_combo.addItem("", session.number)
        self.session_combo.setCurrentIndex(max(self.session_combo.findData(room.session.number), 0))
        self.series_radio.toggled.connect(lambda on: self.session_combo.setEnabled(not on))
        grid.addWidget(self.session_radio, 0, 0)
        grid.addWidget(self.session_combo, 0, 1, 1, 2)
        grid.addWidget(self.series_radio, 1, 0, 1, 3)
        self._folder_caption = plain_label("exportCaption", bold=True)
        self.folder_edit = QLineEdit(str(folder) if folder else "")
        self.folder_edit.setObjectName("exportFolder")
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self._browse)
        grid.addWidget(self._folder_caption, 2, 0)
        grid.addWidget(self.folder_edit, 2, 1)
        grid.addWidget(self.browse_button, 2, 2)
        self.names_check = QCheckBox()
        grid.addWidget(self.names_check, 3, 0, 1, 3)
        self._names_hint = plain_label("exportHint", wrap=True)
        grid.addWidget(self._names_hint, 4, 0, 1, 3)
        self.formats_label = plain_label("exportFormats", wrap=True)
        grid.addWidget(self.formats_label, 5, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(0)
        layout.addWidget(self.progress_bar)
        self.status_label = plain_label("exportStatus", wrap=True)
        layout.addWidget(self.status_label)
        self.files_list = QListWidget()
        self.files_list.setObjectName("exportFiles")
        self.files_list.hide()
        layout.addWidget(self.files_list, 1)

        buttons = QHBoxLayout()
        self.open_folder_button = QPushButton()
        self.open_folder_button.setEnabled(False)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.export_button = QPushButton()
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton()
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton()
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        for button in (self.export_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.setMinimumWidth(640)
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("export_title"))
        self.session_radio.setText(tr("export_scope_session"))
        self.series_radio.setText(tr("export_scope_series"))
        for i, session in enumerate(self._room.series.sessions):
            self.session_combo.setItemText(
                i, tr("export_session_item", number=session.number, theme=session.theme)
            )
        self._folder_caption.setText(tr("export_folder"))
        self.browse_button.setText(tr("export_browse"))
        self.names_check.setText(tr("export_names"))
        self._names_hint.setText(tr("export_names_hint_groups"))
        self.formats_label.setText(tr("export_formats_note"))
        self.export_button.setText(tr("export_start"))
        self.cancel_button.setText(tr("export_cancel"))
        self.close_button.setText(tr("export_close"))
        self.open_folder_button.setText(tr("export_open_folder"))

    def is_running(self) -> bool:
        """Return True while an export runs."""
        return self._task is not None and not self._task.done()

    def task(self) -> asyncio.Task[Any] | None:
        """Return the running (or last) export's task."""
        return self._task

    def written(self) -> list[Path]:
        """Return the files the last export wrote."""
        return list(self._written)

    def start(self) -> bool:
        """Start exporting with the chosen options; False (and why, shown) if it cannot."""
        if self.is_running():
            return False
        text = self.folder_edit.text().strip()
        if not text:
            self._fail(tr("export_need_folder"))
            return False
        loop = running_loop()
        if loop is None:
            self._fail(tr("export_failed", error="no event loop"))
            return False
        folder = Path(text).expanduser()
        sessions = None if self.series_radio.isChecked() else [self.session_combo.currentData()]
        self._cancel = asyncio.Event()
        self._written = []
        self._folder = folder
        self.progress_values = []
        self.progress_bar.setValue(0)
        self.files_list.clear()
        self.files_list.hide()
        self.status_label.setStyleSheet("")
        self.status_label.setText(tr("export_running"))
        self._set_running(True)
        coro = self._run(folder, sessions, self.names_check.isChecked())
        # The console's task runner cancels it when the window closes (the export process is
        # then terminated; the files it finished stay whole); standalone, the loop runs it.
        runner = getattr(self.parent(), "tasks", None)
        task = runner.start(coro) if isinstance(runner, TaskRunner) else loop.create_task(coro)
        self._task = task
        return task is not None

    def cancel(self) -> None:
        """Ask the running export to stop after the file it is writing (or soon after)."""
        if self.is_running():
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.status_label.setText(tr("export_cancelling"))

    def open_folder(self) -> None:
        """Show the output folder in the system's file manager."""
        if self._folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._folder)))

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a running export instead of closing (close again once it stopped)."""
        if self.is_running():
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        """Escape or closing while it runs cancels it instead; the dialog stays till it stops."""
        if self.is_running():
            self.cancel()
            return
        super().done(result)

    # -- the run ------------------------------------------------------------------------------

    async def _run(self, folder: Path, sessions: list[int] | None, names: bool) -> None:
        try:
            # A task cancelled here (the window closes) terminates the export process too.
            self._written = await export_in_process(
                self._room.store.path,
                folder,
                sessions=sessions,
                names=names,
                progress=self._on_progress,  # delivered on the loop's (the Qt) thread
                cancel=self._cancel,
            )
        except asyncio.CancelledError:  # the window closes: the export process is ended
            if shiboken6.isValid(self):
                self._set_running(False)
            raise
        except ExportCancelled:
            text, outcome = tr("export_cancelled"), "cancelled"
        except OSError as exc:
            text, outcome = tr("export_folder_error", folder=folder, error=exc.strerror or exc), ""
        except Exception as exc:  # a bug: say so here, and log it for support
            log.exception("export failed")
            text, outcome = tr("export_failed", error=exc), ""
        else:
            text, outcome = tr("export_result", count=len(self._written), folder=folder), "done"
        if not shiboken6.isValid(self):
            return  # the dialog was deleted while its export ran: nothing left to show it on
        self._set_running(False)
        if not outcome:
            self._fail(text)
            return
        self.status_label.setText(text)
        if outcome == "done":
            self.progress_bar.setValue(100)
            self.files_list.clear()
            self.files_list.addItems([str(p.relative_to(folder)) for p in self._written])
            self.files_list.show()
            self.open_folder_button.setEnabled(True)
            self.exported.emit(list(self._written))

    def _on_progress(self, done: int, total: int, name: str) -> None:
        if not shiboken6.isValid(self):  # deleted while its export runs: nothing to show
            return
        percent = round(100 * done / total) if total else 100
        self.progress_values.append(percent)
        self.progress_bar.setValue(percent)
        if done == 0:  # the child has counted the files; the first one is being written
            name = tr("export_preparing")
        if not self._cancel.is_set():
            self.status_label.setText(tr("export_progress_line", done=done, total=total, name=name))

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.export_button,
            self.session_radio,
            self.series_radio,
            self.folder_edit,
            self.browse_button,
            self.names_check,
        ):
            widget.setEnabled(not running)
        self.session_combo.setEnabled(not running and self.session_radio.isChecked())
        self.cancel_button.setEnabled(running)
        self.close_button.setEnabled(not running)

    def _fail(self, text: str) -> None:
        self.status_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.status_label.setText(text)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, tr("export_folder"), self.folder_edit.text() or str(Path.home())
        )
        if folder:
            self.folder_edit.setText(folder)
