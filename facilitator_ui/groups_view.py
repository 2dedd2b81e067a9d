"""The groups of a group phase as cards: make them, drag people between them, lock, link, undo.

Grouping a large room takes a moment, and the loop it would block is the room server's, so
"Skapa grupper" snapshots a :class:`app.live.GroupJob`, runs its pure ``run`` in an executor
and applies the result on the loop thread. Everything else (a move, a lock, a link, undo) is
a quick core command. The cards follow :class:`~facilitator_ui.bridge.RoomBridge` signals; a
burst of changes (late joiners arriving together) is redrawn once, and only the cards whose
members changed are rebuilt.

A member is dragged as :data:`~facilitator_ui.common.PARTICIPANT_MIME` carrying their id and
nothing else (no text), so a drop on a text field does nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMimeData,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.live import DEFAULT_GROUP_SIZE, GroupJob, Live
from app.model import REFLECTION_PHASES, Attendance, GroupRound, Participant
from app.room import Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    PARTICIPANT_MIME,
    ROLE_SHORT_KEYS,
    OrgColours,
    big_button,
    discard,
    mix_counts,
    plain_label,
)
from facilitator_ui.tasks import TaskRunner, running_loop

log = logging.getLogger(__name__)

CARD_MIN_WIDTH = 470
NAME_POINT_SIZE = 15
PILL_POINT_SIZE = 11
PILL_MAX_WIDTH = 280  # "Fyrbodals kommunalförbund" whole; longer names are shortened
MAX_GROUP_SIZE = 30
# Seconds of widget building per turn of the loop: 500 people in 83 groups take about 0.4 s
# to build, and the room server shares the loop; the rest follows on the next turns.
REFRESH_BUDGET_S = 0.02
_LATE_BACKGROUND = QColor("#fff3c4")
_LATE_BORDER = QColor("#e0a800")
_CHIP_BACKGROUND = QColor("#f4f6f9")
_FOCUS = QColor("#0b3d91")


def _repolish(widget: QWidget) -> None:
    # Dynamic properties only restyle after a re-polish; done on rare changes only.
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class OrgPill(QWidget):
    """An organisation's name on its colour, painted (no style sheet per chip)."""

    def __init__(self, name: str, colour: QColor, parent: QWidget | None = None) -> None:
        """Show ``name`` (elided if long) in white on ``colour``."""
        super().__init__(parent)
        self.setObjectName("orgPill")
        self._name = name
        self._colour = colour
        font = QFont(self.font())
        font.setPointSize(PILL_POINT_SIZE)
        font.setBold(True)
        self.setFont(font)
        metrics = QFontMetrics(font)
        self._text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, PILL_MAX_WIDTH)
        self._size = QSize(metrics.horizontalAdvance(self._text) + 18, metrics.height() + 8)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(name)

    def text(self) -> str:
        """Return the organisation's full name."""
        return self._name

    def sizeHint(self) -> QSize:
        """Return the size of the (elided) name plus padding."""
        return self._size

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the pill: a rounded rectangle in the colour, the name in white."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        rect = self.rect()
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._text)


class MemberChip(QFrame):
    """One group member: organisation colour, name, organisation, role; draggable.

    Attributes:
        name_label: the participant's name (plain text).
        late_badge: "NY", shown for someone placed after the groups were made.
    """

    def __init__(
        self,
        participant: Participant,
        organisation: str,
        colour: QColor,
        *,
        late: bool,
        connected: bool,
        parent: QWidget | None = None,
    ) -> None:
        """Show ``participant``; ``late`` highlights a late joiner, ``connected`` dims."""
        super().__init__(parent)
        self.setObjectName("memberChip")
        self.participant_id = participant.id
        self._colour = colour
        self._late = late
        self._press: QPoint | None = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        # Focusable, with a context menu, so a member can be moved without a mouse drag.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 2, 8, 2)
        layout.setSpacing(8)
        self.name_label = plain_label("memberName", NAME_POINT_SIZE, bold=True)
        self.name_label.setText(participant.name)
        self.name_label.setProperty("away", not connected)
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.name_label.setMinimumWidth(120)
        layout.addWidget(self.name_label, 1)
        self.late_badge = plain_label("lateBadge", 11, bold=True)
        self.late_badge.setText(tr("groups_late_badge"))
        self.late_badge.setVisible(late)
        layout.addWidget(self.late_badge)
        self.org_pill = OrgPill(organisation, colour)
        layout.addWidget(self.org_pill)
        self.role_badge = plain_label("roleBadge", 12, bold=True)
        self.role_badge.setText(tr(ROLE_SHORT_KEYS[participant.role]))
        self.role_badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.role_badge.setFixedWidth(28)
        layout.addWidget(self.role_badge)
        self.setAccessibleName(participant.name)

    def is_late(self) -> bool:
        """Return True when this member is highlighted as a late joiner."""
        return self._late

    def set_state(self, *, late: bool, connected: bool) -> None:
        """Show a change of the late highlight or of the connection, in place."""
        if self.name_label.property("away") != (not connected):
            self.name_label.setProperty("away", not connected)
            _repolish(self.name_label)
        if late != self._late:
            self._late = late
            self.late_badge.setVisible(late)
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the chip's background and its organisation colour bar."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(1, 1, -1, -1)
        painter.setPen(_LATE_BORDER if self._late else Qt.PenStyle.NoPen)
        painter.setBrush(_LATE_BACKGROUND if self._late else _CHIP_BACKGROUND)
        painter.drawRoundedRect(rect, 6, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        painter.drawRoundedRect(QRect(rect.left(), rect.top(), 8, rect.height()), 3, 3)
        if self.hasFocus():
            painter.setPen(QPen(_FOCUS, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 6, 6)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Remember where a possible drag starts."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Forget the drag start."""
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Start dragging this member once the mouse moved far enough."""
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - self._press).manhattanLength() < (
            QApplication.startDragDistance()
        ):
            return
        drag = QDrag(self)
        drag.setMimeData(member_mime(self.participant_id))
        drag.setPixmap(self.grab())
        drag.setHotSpot(self._press)
        self._press = None
        drag.exec(Qt.DropAction.MoveAction)


def member_mime(participant_id: str) -> QMimeData:
    """Return the drag data of a group member: their id under our own MIME type only."""
    mime = QMimeData()
    mime.setData(PARTICIPANT_MIME, QByteArray(participant_id.encode("utf-8")))
    return mime


def dropped_participant(mime: QMimeData) -> str | None:
    """Return the participant id a drop carries, or None if it is not a group member."""
    if not mime.hasFormat(PARTICIPANT_MIME):
        return None
    try:
        value = bytes(mime.data(PARTICIPANT_MIME).data()).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return value if 0 < len(value) <= 64 else None


class GroupCard(QFrame):
    """One group: number, mix, members, lock and meeting link; members can be dropped here.

    Signals:
        memberDropped(str, int): a member (by id) was dropped on this card (by group index).
        lockToggled(int, bool): the lock button of a group was toggled.
        linkEdited(int, str): a group's meeting link was edited (on Enter or leaving).
        memberMenuRequested(str, QPoint): a member's context menu (right click, or the menu
            key on a focused member: the keyboard's way to move someone) at a global point.
    """

    memberDropped = Signal(str, int)
    lockToggled = Signal(int, bool)
    linkEdited = Signal(int, str)
    memberMenuRequested = Signal(str, QPoint)

    def __init__(self, group_no: int, parent: QWidget | None = None) -> None:
        """Make an empty card for group ``group_no`` (0-based)."""
        super().__init__(parent)
        self.setObjectName("groupCard")
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.group_no = group_no
        self._signature: tuple[object, ...] | None = None
        self._chips: tuple[tuple[str, bool, bool], ...] = ()
        self._count = (0, 0, 0)  # organisations, elected, officials
        self._size = 0
        self.chips: list[MemberChip] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 10)
        layout.setSpacing(4)
        header = QHBoxLayout()
        self.number_label = plain_label("groupNumber", 20, bold=True)
        self.remote_tag = plain_label("remoteTag", 12, bold=True)
        self.lock_button = QPushButton()
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setCheckable(True)
        self.lock_button.setCursor(Qt.CursorShape.PointingHandCursor)
        header.addWidget(self.number_label)
        header.addWidget(self.remote_tag)
        header.addStretch(1)
        header.addWidget(self.lock_button)
        layout.addLayout(header)
        self.mix_label = plain_label("groupMix", 13)
        layout.addWidget(self.mix_label)
        self._members = QVBoxLayout()
        self._members.setSpacing(4)
        layout.addLayout(self._members)
        self.link_edit = QLineEdit()
        self.link_edit.setObjectName("linkEdit")
        self.link_edit.setMaxLength(500)
        layout.addWidget(self.link_edit)

        self.lock_button.toggled.connect(self._lock_toggled)
        self.link_edit.editingFinished.connect(self._link_finished)
        self.retranslate()

    def shows(self, members: Sequence[Participant]) -> bool:
        """Return True when the chips are these members already (so an update is cheap)."""
        return len(self._chips) == len(members) and all(
            chip[0] == p.id for chip, p in zip(self._chips, members, strict=True)
        )

    def set_group(
        self,
        members: Sequence[Participant],
        *,
        late: frozenset[str],
        connected: frozenset[str],
        locked: bool,
        link: str,
        room: Room,
        colours: OrgColours,
    ) -> None:
        """Show this group's members and state; rebuilds the chips only if they changed."""
        remote = bool(members) and all(p.attendance == Attendance.REMOTE for p in members)
        # A hybrid group (a municipality's table and its people at home) needs the call too.
        some_remote = any(p.attendance == Attendance.REMOTE for p in members)
        chips = tuple((p.id, p.id in late, p.id in connected) for p in members)
        signature = (chips, locked, link, remote, some_remote)
        if signature == self._signature:
            return
        self._signature = signature
        if self.shows(members):
            # The same people: a connection or the late mark changed (a whole room at once
            # when the Wi-Fi comes back), cheap to show in place.
            for chip, (_pid, is_late, is_connected) in zip(self.chips, chips, strict=True):
                chip.set_state(late=is_late, connected=is_connected)
            self._chips = chips
        else:
            self._chips = chips
            for chip in self.chips:
                self._members.removeWidget(chip)
                discard(chip)
            self.chips = []
            for p in members:
                chip = MemberChip(
                    p,
                    room.organisation_name(p.organisation_id) or tr("org_unknown"),
                    colours.colour(p.organisation_id),
                    late=p.id in late,
                    connected=p.id in connected,
                )
                chip.customContextMenuRequested.connect(
                    lambda pos, chip=chip: self.memberMenuRequested.emit(
                        chip.participant_id, chip.mapToGlobal(pos)
                    )
                )
                self._members.addWidget(chip)
                self.chips.append(chip)
        self._count = mix_counts(list(members))
        self._size = len(members)
        self.lock_button.blockSignals(True)
        self.lock_button.setChecked(locked)
        self.lock_button.blockSignals(False)
        if not self.link_edit.hasFocus() and self.link_edit.text() != link:
            self.link_edit.setText(link)
        self.remote_tag.setVisible(remote)
        self.link_edit.setVisible(some_remote or bool(link))
        self.setProperty("locked", locked)
        _repolish(self)
        self.retranslate()

    def member_ids(self) -> list[str]:
        """Return the ids of the members shown, in order."""
        return [chip.participant_id for chip in self.chips]

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.number_label.setText(tr("group_number", number=self.group_no + 1))
        self.remote_tag.setText(tr("attendance_remote"))
        organisations, elected, officials = self._count
        self.mix_label.setText(
            tr(
                "group_mix",
                size=self._size,
                organisations=organisations,
                elected=elected,
                officials=officials,
            )
        )
        locked = self.lock_button.isChecked()
        self.lock_button.setText(tr("group_locked") if locked else tr("group_lock"))
        self.link_edit.setPlaceholderText(tr("group_link_placeholder"))
        self.link_edit.setAccessibleName(tr("group_link_placeholder"))
        for chip in self.chips:
            chip.late_badge.setText(tr("groups_late_badge"))

    # -- drag and drop ------------------------------------------------------------------------

    def _set_drop_target(self, on: bool) -> None:
        if bool(self.property("dropTarget")) != on:
            self.setProperty("dropTarget", on)
            _repolish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a group member being dragged here."""
        pid = dropped_participant(event.mimeData())
        if pid is not None and pid not in self.member_ids():
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
            self._set_drop_target(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Keep accepting while the member moves over the card."""
        if dropped_participant(event.mimeData()) is not None:
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        """Drop the highlight."""
        self._set_drop_target(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        """Move the dropped member into this group (via :attr:`memberDropped`)."""
        self._set_drop_target(False)
        pid = dropped_participant(event.mimeData())
        if pid is None or pid in self.member_ids():
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.memberDropped.emit(pid, self.group_no)

    # -- slots --------------------------------------------------------------------------------

    def _lock_toggled(self, checked: bool) -> None:
        self.lock_button.setText(tr("group_locked") if checked else tr("group_lock"))
        self.lockToggled.emit(self.group_no, checked)

    def _link_finished(self) -> None:
        self.linkEdited.emit(self.group_no, self.link_edit.text())


class GroupsView(QFrame):
    """The groups of one group phase: toolbar, busy indicator and a grid of cards.

    Attributes:
        phase_combo: which group phase is shown (follows the clock into a group phase).
        size_spin: the group size for "Skapa grupper" (default 6; for municipality groups
            the largest size).
        make_button, reshuffle_button, undo_button: the commands.
        busy_bar: an indeterminate progress bar, visible while grouping runs.
        cards: the group cards, in group order.

    Signals:
        message(str): something to tell the facilitator in the status bar (translated).
        busyChanged(bool): grouping started or finished.
    """

    message = Signal(str)
    busyChanged = Signal(bool)

    def __init__(
        self,
        room: Room,
        bridge: RoomBridge,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        """Show the groups of ``room``'s live session and follow ``bridge``."""
        super().__init__(parent)
        self.setObjectName("groupsView")
        self._room = room
        self._live: Live = room.live
        self._tasks = tasks
        self._colours = OrgColours(room)
        self._busy = False
        self._columns = 0
        self._follow_next_change = False
        self.cards: list[GroupCard] = []
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)

        toolbar = QHBoxLayout()
        toolbar.setSpacing(10)
        self._phase_caption = plain_label("groupsPhaseCaption", 14, bold=True)
        self.phase_combo = QComboBox()
        self.phase_combo.setObjectName("groupsPhase")
        self.phase_combo.setMinimumWidth(240)
        self._size_caption = plain_label("groupsSizeCaption", 14, bold=True)
        self.size_spin = QSpinBox()
        self.size_spin.setObjectName("groupSize")
        self.size_spin.setRange(2, MAX_GROUP_SIZE)
        self.size_spin.setValue(DEFAULT_GROUP_SIZE)
        self.make_button = big_button("makeGroups")
        self.reshuffle_button = big_button("reshuffleGroups")
        self.undo_button = big_button("undoGroups")
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("groupsBusy")
        self.busy_bar.setRange(0, 0)  # indeterminate: grouping reports no progress
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(140)
        self.busy_bar.setVisible(False)
        self._busy_label = plain_label("groupsBusyText", 14, bold=True)
        self._busy_label.setVisible(False)
        for widget in (
            self._phase_caption,
            self.phase_combo,
            self._size_caption,
            self.size_spin,
            self.make_button,
            self.reshuffle_button,
            self.undo_button,
            self.busy_bar,
            self._busy_label,
        ):
            toolbar.addWidget(widget)
        toolbar.addStretch(1)
        layout.addLayout(toolbar)

        info = QHBoxLayout()
        # On by default: a group phase's timer must not run while the room waits for a click.
        self.auto_check = QCheckBox()
        self.auto_check.setObjectName("groupsAuto")
        self.auto_check.setChecked(True)
        self.summary_label = plain_label("groupsSummary", 15, bold=True)
        self._legend = plain_label("groupsLegend", 13, wrap=True)
        self._legend.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        info.addWidget(self.summary_label)
        info.addWidget(self.auto_check)
        info.addWidget(self._legend, 1)
        layout.addLayout(info)

        self.empty_label = plain_label("groupsEmpty", 17, wrap=True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty_label)

        self._scroll = QScrollArea()
        self._scroll.setObjectName("groupsScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._grid_host = QWidget()
        self._grid_host.setObjectName("groupsGrid")
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(12)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._scroll.setWidget(self._grid_host)
        self._scroll.viewport().installEventFilter(self)
        layout.addWidget(self._scroll, 1)

        self.make_button.clicked.connect(lambda: self.make_groups(reshuffle=False))
        self.reshuffle_button.clicked.connect(lambda: self.make_groups(reshuffle=True))
        self.undo_button.clicked.connect(self.undo)
        self.phase_combo.activated.connect(lambda _i: self.refresh())
        bridge.groupsChanged.connect(self._on_groups_changed)
        bridge.phaseChanged.connect(self._on_phase_changed)
        bridge.connectionChanged.connect(self._on_connection_changed)

        self._program_key: tuple[object, ...] = ()
        self._clock_index = self._live.clock.index
        self._fill_phases(follow_clock=True)
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def phase_index(self) -> int | None:
        """Return the index of the group phase shown, or None if the program has none."""
        data = self.phase_combo.currentData()
        return int(data) if data is not None else None

    def set_phase(self, index: int) -> None:
        """Show the groups of phase ``index`` (a group phase)."""
        at = self.phase_combo.findData(index)
        if at >= 0:
            self.phase_combo.setCurrentIndex(at)
            self.refresh()

    def current_round(self) -> GroupRound | None:
        """Return the groups shown (None before they are made)."""
        index = self.phase_index()
        return None if index is None else self._live.round(index)

    def is_busy(self) -> bool:
        """Return True while grouping runs."""
        return self._busy

    def make_groups(self, *, reshuffle: bool = False, only_if_none: bool = False) -> None:
        """Group the present participants for the phase shown (or regroup unlocked groups).

        The pure part runs in the loop's executor when a loop runs (always, in the console),
        so the room server stays responsive; without a loop it runs here. With
        ``only_if_none`` (the groups made as a phase starts) the result is dropped if groups
        were made some other way meanwhile.
        """
        index = self.phase_index()
        if index is None or self._busy:
            return
        if not self._live.present():
            self.message.emit(tr("groups_nobody_present"))
            return
        try:
            job = self._live.group_job(index, self.size_spin.value(), reshuffle=reshuffle)
        except ValueError as exc:
            self.message.emit(tr("groups_failed", error=exc))
            return
        if running_loop() is None:
            self._apply(job, job.run(), only_if_none)
            return
        self._set_busy(True)
        if self._tasks.start(self._run_job(job, only_if_none)) is None:
            self._set_busy(False)

    def undo(self) -> None:
        """Undo the last group change (and show the phase it belonged to)."""
        if self._live.can_undo():
            self._follow_next_change = True
            self._live.undo()
            self._follow_next_change = False

    def move_member(self, participant_id: str, group_no: int) -> None:
        """Move a member to another group of the phase shown (what a drop does)."""
        index = self.phase_index()
        rnd = self.current_round()
        if index is None or rnd is None or rnd.group_of(participant_id) is None:
            return
        try:
            self._live.move(participant_id, group_no, index)
        except ValueError as exc:
            self.message.emit(tr("groups_failed", error=exc))

    def card_of(self, participant_id: str) -> GroupCard | None:
        """Return the card showing a participant, if any."""
        for card in self.cards:
            if participant_id in card.member_ids():
                return card
        return None

    def chip_of(self, participant_id: str) -> MemberChip | None:
        """Return the chip showing a participant, if any."""
        card = self.card_of(participant_id)
        if card is None:
            return None
        return next(c for c in card.chips if c.participant_id == participant_id)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self._phase_caption.setText(tr("groups_phase"))
        self._size_caption.setText(tr("groups_size"))
        self.make_button.setText(tr("groups_make"))
        self.reshuffle_button.setText(tr("groups_reshuffle"))
        self.undo_button.setText(tr("groups_undo"))
        self._busy_label.setText(tr("groups_busy"))
        self.auto_check.setText(tr("groups_auto"))
        self._legend.setText(tr("groups_legend"))
        self.busy_bar.setAccessibleName(tr("groups_busy"))
        self._fill_phases(follow_clock=False, force=True)
        for card in self.cards:
            card.retranslate()
        self.refresh()

    # -- grouping -----------------------------------------------------------------------------

    async def _run_job(self, job: GroupJob, only_if_none: bool = False) -> None:
        loop = running_loop()
        assert loop is not None  # started by TaskRunner, which needs one
        try:
            groups = await loop.run_in_executor(None, job.run)
            self._apply(job, groups, only_if_none)
        finally:
            self._set_busy(False)

    def _apply(self, job: GroupJob, groups: list[list[str]], only_if_none: bool = False) -> None:
        if only_if_none and self._live.round(job.phase_index) is not None:
            return  # made by hand (or by the core) while this ran: those stay
        rnd = self._live.apply_groups(job, groups)
        # Whoever connected while the job ran is not in its snapshot: place them like any
        # late joiner (the core does that for the running phase only).
        if job.phase_index == self._live.clock.index:
            for participant in self._live.present():
                if rnd.group_of(participant.id) is None:
                    self._live.place_late(participant)
        self.message.emit(tr("groups_made", count=len(rnd.groups)))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self._busy_label.setVisible(busy)
        self._update_buttons()
        self.busyChanged.emit(busy)

    def _update_buttons(self) -> None:
        index = self.phase_index()
        rnd = self.current_round()
        idle = not self._busy
        self.make_button.setEnabled(idle and index is not None)
        self.reshuffle_button.setEnabled(idle and rnd is not None and bool(rnd.groups))
        self.undo_button.setEnabled(idle and self._live.can_undo())
        self.size_spin.setEnabled(idle)
        self.phase_combo.setEnabled(idle)

    # -- showing ------------------------------------------------------------------------------

    def _fill_phases(self, *, follow_clock: bool, force: bool = False) -> None:
        program = self._live.program
        key = tuple((i, p.title, p.kind) for i, p in enumerate(program))
        if key != self._program_key or force:
            self._program_key = key
            shown = self.phase_index()
            self.phase_combo.clear()
            for i, phase in enumerate(program):
                if phase.kind in REFLECTION_PHASES:
                    self.phase_combo.addItem(
                        tr("groups_phase_item", number=i + 1, title=phase.title), i
                    )
            if shown is not None and self.phase_combo.findData(shown) >= 0:
                self.phase_combo.setCurrentIndex(self.phase_combo.findData(shown))
            else:
                follow_clock = True
        if follow_clock:
            self._select_for_clock()

    def _select_for_clock(self) -> None:
        # The current phase if it is a group phase, else the next group phase, else the first.
        clock = self._live.clock.index
        indices = [self.phase_combo.itemData(i) for i in range(self.phase_combo.count())]
        if not indices:
            return
        pick = next((i for i in indices if i >= clock), indices[0])
        self.phase_combo.setCurrentIndex(self.phase_combo.findData(pick))

    def _columns_for_width(self) -> int:
        width = self._scroll.viewport().width()
        return max(1, width // CARD_MIN_WIDTH)

    def refresh(self) -> None:
        """Redraw the cards from the live round (only changed cards are rebuilt).

        A large room is drawn over several turns of the loop (see :data:`REFRESH_BUDGET_S`);
        :meth:`refresh_now` finishes at once.
        """
        self._refresh_timer.stop()
        deadline = time.monotonic() + REFRESH_BUDGET_S
        rnd = self.current_round()
        groups = rnd.groups if rnd is not None else ()
        while len(self.cards) > len(groups):
            card = self.cards.pop()
            self._grid.removeWidget(card)
            discard(card)
        while len(self.cards) < len(groups):
            card = GroupCard(len(self.cards))
            card.memberDropped.connect(self.move_member)
            card.memberMenuRequested.connect(self._member_menu)
            card.lockToggled.connect(self._lock)
            card.linkEdited.connect(self._link)
            self.cards.append(card)
            self._columns = 0  # lay out again
        connected = frozenset(
            pid for members in groups for pid in members if self._room.is_connected(pid)
        )
        people_of = [
            [p for p in map(self._room.participant, members) if p is not None] for members in groups
        ]
        rebuilt = 0
        for number, participants in enumerate(people_of):
            if not self.cards[number].shows(participants):
                if rebuilt and time.monotonic() > deadline:
                    # Let the server's acks and broadcasts through; go on in the next turn.
                    # Until then a card that would show other people is hidden, not wrong.
                    for card, later in zip(self.cards[number:], people_of[number:], strict=True):
                        if not card.shows(later):
                            card.setVisible(False)
                    self._refresh_timer.start()
                    break
                rebuilt += 1
            card = self.cards[number]
            if card.isHidden() and card.parentWidget() is not None:
                card.setVisible(True)  # hidden by an earlier turn (a new card is shown on layout)
            card.set_group(
                participants,
                late=rnd.late if rnd is not None else frozenset(),
                connected=connected,
                locked=rnd is not None and number in rnd.locked,
                link=rnd.link(number) if rnd is not None else "",
                room=self._room,
                colours=self._colours,
            )
        people = sum(len(participants) for participants in people_of)
        self._layout_cards()
        self._show_summary(rnd, people)
        self._update_buttons()

    def _layout_cards(self) -> None:
        columns = self._columns_for_width()
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        for number, card in enumerate(self.cards):
            self._grid.addWidget(
                card, number // columns, number % columns, Qt.AlignmentFlag.AlignTop
            )
        # Empty columns count too: a lone card keeps its column's width, not the whole row.
        for column in range(max(columns, self._grid.columnCount())):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def _show_summary(self, rnd: GroupRound | None, people: int) -> None:
        index = self.phase_index()
        if index is None:
            self.summary_label.setText("")
            self.empty_label.setText(tr("groups_no_group_phase"))
        elif rnd is None or not rnd.groups:
            self.summary_label.setText("")
            self.empty_label.setText(tr("groups_none_yet"))
        else:
            summary = tr("groups_summary", groups=len(rnd.groups), people=people)
            if rnd.locked:
                summary = tr("groups_summary_locked", summary=summary, locked=len(rnd.locked))
            self.summary_label.setText(summary)
        has_groups = rnd is not None and bool(rnd.groups)
        self.empty_label.setVisible(not has_groups)
        self._scroll.setVisible(has_groups)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Re-flow the cards when the number of columns that fit changes."""
        if watched is self._scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._layout_cards()
        return super().eventFilter(watched, event)

    # -- slots --------------------------------------------------------------------------------

    def refresh_now(self) -> None:
        """Redraw every card before returning, however large the room."""
        self.refresh()
        while self._refresh_timer.isActive():
            self.refresh()

    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_groups_changed(self, phase_index: int) -> None:
        if self._follow_next_change and phase_index != self.phase_index():
            self.set_phase(phase_index)
        if phase_index == self.phase_index():
            self._schedule_refresh()
        else:
            self._update_buttons()

    def _on_phase_changed(self) -> None:
        # Follow the clock into a group phase; leaving one keeps its groups in view.
        index = self._live.clock.index
        phase = self._live.phase
        moved = index != self._clock_index and phase is not None and phase.kind in REFLECTION_PHASES
        self._clock_index = index
        before = self.phase_index()
        self._fill_phases(follow_clock=moved)
        if self.phase_index() != before:
            self.refresh()
        if moved and self.auto_check.isChecked() and self._live.round(index) is None:
            # The phase started: its groups are made now, not when someone remembers the
            # button (the timer already runs). Nobody there yet: late joiners wait as before.
            if self._live.present() and self.phase_index() == index:
                self.make_groups(only_if_none=True)

    def _on_connection_changed(self, participant_id: str, _connected: bool) -> None:
        rnd = self.current_round()
        if rnd is not None and rnd.group_of(participant_id) is not None:
            self._schedule_refresh()

    def member_menu(self, participant_id: str) -> QMenu | None:
        """Return the "move to group N" menu of a member (None if there is nothing to do)."""
        rnd = self.current_round()
        if rnd is None or self._busy or rnd.group_of(participant_id) is None:
            return None
        current = rnd.group_of(participant_id)
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for number in range(len(rnd.groups)):
            if number != current:
                action = menu.addAction(tr("groups_move_to", number=number + 1))
                action.triggered.connect(
                    lambda _checked=False, n=number: self.move_member(participant_id, n)
                )
        return menu

    def _member_menu(self, participant_id: str, where: QPoint) -> None:
        menu = self.member_menu(participant_id)
        if menu is not None:
            menu.popup(where)  # not exec(): no nested event loop under the server's feet

    def _lock(self, group_no: int, locked: bool) -> None:
        index = self.phase_index()
        if index is None:
            return
        try:
            self._live.set_locked(group_no, locked, index)
        except ValueError as exc:
            self.message.emit(tr("groups_failed", error=exc))

    def _link(self, group_no: int, link: str) -> None:
        index = self.phase_index()
        rnd = self.current_round()
        if index is None or rnd is None or rnd.link(group_no) == link.strip():
            return
        try:
            self._live.set_link(group_no, link, index)
        except ValueError as exc:
            self.message.emit(tr("groups_failed", error=exc))
