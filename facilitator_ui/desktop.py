"""What makes the console behave as a desktop app: icon, Qt's own Swedish, errors the user sees.

- The app icon for windows, the task bar and the Linux desktop entry (``assets/icons``).
- Qt's own translations (``qtbase_sv``), so standard buttons ("Avbryt", "Ja") and file
  dialogs speak the console's language, and follow it when the facilitator switches.
- Qt's messages (warnings from the platform plugin, fonts…) into the Python log, which goes to
  the log file (:mod:`app.logs`).
- An unexpected error becomes a log entry and a dialog that says where the log is; the
  session goes on: the dialog is not modal, so the loop (and with it the room server) keeps
  running while it is open, and a burst of the same error shows one dialog, not fifty.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from importlib import resources
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import (
    QLibraryInfo,
    QLocale,
    QMessageLogContext,
    QObject,
    Qt,
    QtMsgType,
    QTranslator,
    QUrl,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.i18n import tr

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """Return the app's icon with every size we ship (the desktop picks the one it needs)."""
    icon = QIcon()
    folder = resources.files("assets").joinpath("icons")
    for size in ICON_SIZES:
        with resources.as_file(folder.joinpath(f"tankesmedja-{size}.png")) as path:
            icon.addFile(str(path))
    return icon


class QtLanguage:
    """Qt's own catalogue for the current language, installed on the application."""

    def __init__(self, app: QApplication) -> None:
        """Prepare for ``app``; nothing is installed until :meth:`use`."""
        self._app = app
        self._translator: QTranslator | None = None

    def use(self, lang: str) -> bool:
        """Switch Qt's standard texts to ``lang``; return False if Qt has no catalogue for it.

        English is Qt's own language: switching to it only removes the Swedish catalogue.
        """
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
            self._translator = None
        if lang == "en":
            return True
        translator = QTranslator(self._app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if not translator.load(QLocale(lang), "qtbase", "_", folder):
            log.warning("Qt has no %s catalogue in %s; standard buttons stay English", lang, folder)
            return False
        self._app.installTranslator(translator)
        self._translator = translator
        return True


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def route_qt_messages() -> None:
    """Send Qt's own messages to the Python log (and so to the log file)."""
    qInstallMessageHandler(_qt_message)


class ErrorReporter(QObject):
    """Logs unexpected errors and tells the facilitator, without ending the session.

    Installed as :data:`sys.excepthook` (qasync's async slots and the console's task runner
    hand their errors there; PySide6 does for exceptions in slots) and as
    :data:`threading.excepthook`. From any thread the error is logged at once; the dialog is
    shown on the Qt side through a queued signal.

    Signals:
        reported(str): an error was logged; its one-line description.
    """

    reported = Signal(str)

    def __init__(self, log_path: Path | None, parent: QObject | None = None) -> None:
        """Report errors, pointing at ``log_path`` (None: the log could not be opened)."""
        super().__init__(parent)
        self.log_path = log_path
        self.dialog: QMessageBox | None = None
        self._count = 0
        self.reported.connect(self._show)

    def install(self) -> None:
        """Become the process's hook for uncaught errors (main thread and other threads)."""
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_hook

    def excepthook(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        """Log the error with its traceback and show (or update) the dialog."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.error("unhandled error", exc_info=(kind, value, tb))
        self.reported.emit("".join(traceback.format_exception_only(kind, value)).strip())

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, details: str) -> None:
        self._count += 1
        if self.dialog is None:
            self.dialog = QMessageBox(
                QMessageBox.Icon.Critical, tr("error_title"), "", QMessageBox.StandardButton.Ok
            )
            self.dialog.setTextFormat(Qt.TextFormat.PlainText)
            if self.log_path is not None:
                folder = self.dialog.addButton(
                    tr("error_open_log"), QMessageBox.ButtonRole.ActionRole
                )
                folder.clicked.connect(self.open_log_folder)
            self.dialog.finished.connect(self._closed)
        where = str(self.log_path) if self.log_path is not None else tr("error_no_log")
        text = tr("error_text", error=details) + "\n\n" + tr("error_log_at", path=where)
        if self._count > 1:
            text += "\n\n" + tr("error_repeated", count=self._count)
        self.dialog.setText(text)
        self.dialog.show()  # not exec(): the loop, and with it the room server, goes on
        self.dialog.raise_()

    def _closed(self) -> None:
        self._count = 0

    def open_log_folder(self) -> None:
        """Open the folder of the log file in the file manager."""
        if self.log_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_path.parent)))


def set_window_icon(window: QWidget) -> None:
    """Give ``window`` (and the application) the app icon."""
    icon = app_icon()
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setWindowIcon(icon)
    window.setWindowIcon(icon)
