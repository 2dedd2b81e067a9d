"""Small pieces the console's views share: plain-text labels, organisation colours, the clock.

Everything here is cheap and stateless (apart from a colour cache and the throttle's timer), so
views can call it from slots without slowing the loop the room server shares; the one
exception is :func:`ask`, the console's modal yes/no question.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.i18n import tr
from app.model import Participant, PhaseKind, Role
from app.room import Room

PARTICIPANT_MIME = "application/x-tankesmedja-participant-id"
"""The MIME type a dragged group member carries: the participant's id, UTF-8."""

MINUS = "\u2212"  # a real minus sign: as wide as a digit, so the countdown does not jump

# A qualitative palette for organisation chips: distinct hues, each dark enough to carry white
# text and readable on a projector. The series' order of organisations picks the colour, so an
# organisation keeps its colour for the whole series.
ORG_PALETTE: tuple[str, ...] = (
    "#1f5fbf",  # blue
    "#d9480f",  # orange
    "#2b8a3e",  # green
    "#c92a2a",  # red
    "#7048e8",  # violet
    "#8d5524",  # brown
    "#c2255c",  # pink
    "#0b7285",  # teal
    "#5c940d",  # olive
    "#364fc7",  # indigo
    "#495057",  # slate
    "#e67700",  # amber
)

PHASE_KIND_KEYS: dict[PhaseKind, str] = {
    PhaseKind.INSPIRATION: "phase_kind_inspiration",
    PhaseKind.MIXED_GROUPS: "phase_kind_mixed_groups",
    PhaseKind.MUNICIPALITY: "phase_kind_municipality",
    PhaseKind.SURVEY: "phase_kind_survey",
    PhaseKind.CLOSING: "phase_kind_closing",
    PhaseKind.PRIORITISE: "phase_kind_prioritise",
}

ROLE_SHORT_KEYS: dict[Role, str] = {
    Role.ELECTED: "role_short_elected",
    Role.OFFICIAL: "role_short_official",
}


CONSOLE_POINT_SIZE = 13  # every dialog's text, list and field: read at arm's length


def use_console_font(app: QApplication) -> None:
    """Give the whole application (every dialog too, not only the main window) readable type.

    Dialogs are windows of their own and do not take the main window's font; without this,
    Repetition, Exportera and Radera person showed their lists in the platform's small font.
    """
    font = app.font()
    if font.pointSize() < CONSOLE_POINT_SIZE:
        font.setPointSize(CONSOLE_POINT_SIZE)
        app.setFont(font)


# Longest run of characters without a break opportunity that the console and the projector
# show as it is; longer words get zero-width break opportunities (see :func:`breakable`).
LONGEST_UNBROKEN = 16
_ZWSP = "\u200b"


def breakable(text: str, longest: int = LONGEST_UNBROKEN) -> str:
    """Return ``text`` for display with a break opportunity in every over-long word.

    Qt wraps only between words: a card of one 2 000-letter word would stretch the wall
    (and its window) off the screen. A zero-width space every ``longest`` letters lets it
    wrap there; what is stored and exported is never changed.
    """
    if len(text) <= longest or all(len(word) <= longest for word in text.split()):
        return text
    out = []
    run = 0
    for ch in text:
        if ch.isspace():
            run = 0
        elif run >= longest:
            out.append(_ZWSP)
            run = 0
        run += 0 if ch.isspace() else 1
        out.append(ch)
    return "".join(out)


def plain_label(
    name: str = "", point_size: int | None = None, *, bold: bool = False, wrap: bool = False
) -> QLabel:
    """Return a plain-text label: it may show what a participant wrote, never as markup.

    Args:
        name: the object name (style sheets and tests find the label by it).
        point_size: the font size, or None for the parent's.
        bold: whether the font is bold.
        wrap: whether long text wraps onto more lines.
    """
    label = QLabel()
    if name:
        label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if point_size is not None or bold:
        font = label.font()
        if point_size is not None:
            font.setPointSize(point_size)
        font.setBold(bold)
        label.setFont(font)
    return label


#: The colour of a dialog's error line (AA contrast on the console's light background).
ERROR_COLOUR = "#b00020"


def error_and_buttons(
    dialog: QDialog,
    layout: QBoxLayout,
    name: str,
    accept: QDialogButtonBox.StandardButton = QDialogButtonBox.StandardButton.Ok,
) -> tuple[QLabel, QDialogButtonBox]:
    """Add a dialog's error line (hidden until it has something to say) and its buttons.

    The buttons are ``accept`` (OK, or Save) and Cancel, wired to the dialog's ``accept`` and
    ``reject``. Returns the label and the button box, in that order.
    """
    error = plain_label(name, bold=True, wrap=True)
    error.setStyleSheet(f"color: {ERROR_COLOUR};")
    error.hide()
    layout.addWidget(error)
    buttons = QDialogButtonBox(accept | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return error, buttons


def big_button(name: str, point_size: int = 15, parent: QWidget | None = None) -> QPushButton:
    """Return a push button with large type (the console is run on a projector, too)."""
    button = QPushButton(parent)
    button.setObjectName(name)
    font = button.font()
    font.setPointSize(point_size)
    font.setBold(True)
    button.setFont(font)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
    return button


def discard(widget: QWidget) -> None:
    """Take a widget out of its window at once and delete it when control returns to Qt.

    ``deleteLater`` alone leaves it among its parent's children until then, where a search
    such as ``findChildren`` (or a screen reader) would still find its old text.
    """
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


class OrgColours:
    """A stable colour per organisation: its place in the series' list picks the colour."""

    def __init__(self, room: Room) -> None:
        """Rank the series' organisations once: the rank picks the colour."""
        self._rank = {org.id: rank for rank, org in enumerate(room.series.organisations)}
        self._cache: dict[int, QColor] = {}

    def colour(self, organisation_id: int) -> QColor:
        """Return the colour of an organisation (unknown ones still get a stable colour)."""
        colour = self._cache.get(organisation_id)
        if colour is None:
            rank = self._rank.get(organisation_id, organisation_id)
            colour = self._cache[organisation_id] = QColor(ORG_PALETTE[rank % len(ORG_PALETTE)])
        return colour


def countdown_seconds(seconds_left: float) -> int:
    """Return the whole seconds a countdown shows: up-rounded, so 0:00 means time is up.

    Overtime counts the other way: 0.4 s over shows as −00:01.
    """
    if seconds_left >= 0:
        return math.ceil(seconds_left)
    return -math.ceil(-seconds_left)


def format_countdown(seconds_left: float) -> str:
    """Return ``mm:ss`` for a countdown, with a minus sign when the phase runs over."""
    whole = countdown_seconds(seconds_left)
    sign = MINUS if whole < 0 else ""
    minutes, seconds = divmod(abs(whole), 60)
    return f"{sign}{minutes:02d}:{seconds:02d}"


def mix_counts(members: list[Participant]) -> tuple[int, int, int]:
    """Return ``(organisations, elected, officials)`` of a group's members."""
    organisations = len({p.organisation_id for p in members})
    elected = sum(1 for p in members if p.role == Role.ELECTED)
    return organisations, elected, len(members) - elected


class Throttle(QObject):
    """Run an action at once, then at most once per interval while calls keep coming.

    For views that follow the room live: one card or one join shows at once, while a burst
    of five hundred (everyone pressing "send" together) costs a few redraws, not five
    hundred, on the loop the room server shares.
    """

    def __init__(self, action: Callable[[], object], interval_ms: int, parent: QObject) -> None:
        """Throttle ``action`` to one run per ``interval_ms`` (the last call always runs)."""
        super().__init__(parent)
        self._action = action
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._fire)

    def __call__(self) -> None:
        """Run the action now, or once the current interval is over."""
        if self._timer.isActive():
            self._pending = True
            return
        self._action()
        self._timer.start()

    def cancel(self) -> None:
        """Forget a waiting call (the view was brought up to date another way)."""
        self._pending = False

    def _fire(self) -> None:
        if self._pending:
            self._pending = False
            self._action()
            self._timer.start()


def ask(
    parent: QWidget | None, title: str, text: str, action: str, *, destructive: bool = False
) -> bool:
    """Ask a question whose safe answer (Avbryt) is the default; True for ``action``.

    The text is plain text: it may name a participant or a file. ``destructive`` marks the
    action as one that deletes (a warning icon, the platform's destructive button).
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    role = (
        QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    )
    yes = box.addButton(action, role)
    cancel = box.addButton(tr("privacy_cancel"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is yes
