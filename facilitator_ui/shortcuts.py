"""The console's keyboard shortcuts: one table that both registers them and lists them.

:data:`SHORTCUTS` is the single source: :func:`bind` gives an action its keys from it and the
help overlay (:mod:`facilitator_ui.help_overlay`) lists exactly its rows, so the help cannot
drift from what the keys do. Keys are written in Qt's portable form (``"Ctrl+Right"``) and
shown in the platform's (``⌘→`` on macOS).

Single keys (Space, N, ?) do nothing while a text field has the focus: Qt gives the field
the key first, so typing "N" in a phase title does not jump to the next phase. The same goes
for a button, check box, list or menu reached with Tab (:class:`PlainKeyGuard`): a keyboard
user's Space presses the button they moved to. A widget that merely got the focus from a
click leaves the keys to the shortcuts, so Space after clicking "Nästa moment" pauses the
timer rather than skipping another phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QWidget

from app.i18n import tr


class Command(StrEnum):
    """What a shortcut does."""

    TIMER = "timer"  # start the first phase, pause, or resume
    NEXT_PHASE = "next_phase"
    SHUFFLE = "shuffle"  # reshuffle unlocked groups, or make them
    AUDIENCE = "audience"  # show or hide the audience window
    HELP = "help"
    QUIT = "quit"


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One row of the table: a command, its keys (portable text) and its description key."""

    command: Command
    keys: tuple[str, ...]
    text_key: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut(Command.TIMER, ("Space",), "shortcut_timer"),
    Shortcut(Command.NEXT_PHASE, ("Ctrl+Right", "N"), "shortcut_next_phase"),
    Shortcut(Command.SHUFFLE, ("Ctrl+Shift+S",), "shortcut_shuffle"),
    Shortcut(Command.AUDIENCE, ("F5", "Ctrl+P"), "shortcut_audience"),
    Shortcut(Command.HELP, ("F1", "?"), "shortcut_help"),
    # Explicit, because the platform's standard Quit key is empty on Windows.
    Shortcut(Command.QUIT, ("Ctrl+Q",), "shortcut_quit"),
)

# Key names shown in words or symbols rather than Qt's English names.
_KEY_WORDS = {"Space": "key_space"}
_KEY_SYMBOLS = {"Right": "→", "Left": "←", "Up": "↑", "Down": "↓"}


def shortcut(command: Command) -> Shortcut:
    """Return the table's row of ``command``."""
    return next(row for row in SHORTCUTS if row.command == command)


def sequences(command: Command) -> list[QKeySequence]:
    """Return the key sequences of ``command``, the first one the main one (shown in menus)."""
    return [QKeySequence(keys) for keys in shortcut(command).keys]


def bind(action: QAction, command: Command) -> QAction:
    """Give ``action`` the keys of ``command`` (active in every window it is added to)."""
    action.setShortcuts(sequences(command))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setData(command.value)
    return action


def key_text(keys: str) -> str:
    """Return one key sequence as people read it, e.g. ``Ctrl+→`` or ``Mellanslag``."""
    native = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
    parts = native.split("+") if native != "+" else [native]
    shown = []
    for part in parts:
        if part in _KEY_WORDS:
            shown.append(tr(_KEY_WORDS[part]))
        else:
            shown.append(_KEY_SYMBOLS.get(part, part))
    return "+".join(shown)


_PLAIN = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier


class PlainKeyGuard(QObject):
    """Leaves plain keys (Space, letters) to the widget the user moved to with Tab.

    The window calls :meth:`watch` after moving the focus with Tab (its
    ``focusNextPrevChild``). Qt asks the focused widget first with a ShortcutOverride event;
    accepting it gives that widget the key instead of the shortcut. Only the one watched
    widget is filtered, so the guard costs nothing on the loop the room server shares.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        """Make a guard that watches nothing yet."""
        super().__init__(parent)
        self._tabbed: QWidget | None = None

    def watched(self) -> QWidget | None:
        """Return the widget that keeps plain keys, if any."""
        return self._tabbed

    def watch(self, widget: QWidget | None) -> None:
        """Let ``widget`` (just reached with Tab) keep plain keys until it loses the focus."""
        self.release()
        if widget is not None:
            widget.installEventFilter(self)
            self._tabbed = widget

    def release(self) -> None:
        """Give plain keys back to the shortcuts."""
        if self._tabbed is not None and shiboken6.isValid(self._tabbed):
            self._tabbed.removeEventFilter(self)
        self._tabbed = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Accept plain keys' ShortcutOverride for the watched widget; stop at FocusOut."""
        if watched is self._tabbed:
            kind = event.type()
            if kind == QEvent.Type.FocusOut:
                self.release()
            elif kind == QEvent.Type.ShortcutOverride:
                assert isinstance(event, QKeyEvent)
                plain = not (event.modifiers() & ~_PLAIN)
                if plain and (event.key() == Qt.Key.Key_Space or event.text().strip()):
                    event.accept()
        return False
