"""The widgets of one group: organisation pills, draggable member chips and the group card.

A member is dragged as :data:`~facilitator_ui.common.PARTICIPANT_MIME` carrying their id and
nothing else (no text), so a drop on a text field does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QPoint,
    QRect,
    QSize,
    Qt,
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
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.model import Attendance, Participant
from app.room import Room
from facilitator_ui.common import (
    PARTICIPANT_MIME,
    ROLE_SHORT_KEYS,
    OrgColours,
    discard,
    mix_counts,
    plain_label,
)

CARD_MIN_WIDTH = 470
NAME_POINT_SIZE = 15
PILL_POINT_SIZE = 11
PILL_MAX_WIDTH = 280  # "Fyrbodals kommunalförbund" whole; longer names are shortened
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
        # In a narrow group card the pill gives way (ending in "…"), not the member's name.
        self._least = QSize(
            metrics.horizontalAdvance(self._text[:3] + "…") + 18, self._size.height()
        )
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(name)

    def text(self) -> str:
        """Return the organisation's full name."""
        return self._name

    def sizeHint(self) -> QSize:
        """Return the size of the (elided) name plus padding."""
        return self._size

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Return the least size: the name's first letters and "…"."""
        return self._least

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the pill: a rounded rectangle in the colour, the name in white."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        rect = self.rect()
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        painter.setPen(QColor("#ffffff"))
        text = self._text
        if rect.width() < self._size.width():
            text = self.fontMetrics().elidedText(
                self._name, Qt.TextElideMode.ElideRight, max(0, rect.width() - 18)
            )
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


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
        # The whole name where it fits in a group card (a long one is cut at 240 pixels).
        advance = self.name_label.fontMetrics().horizontalAdvance(participant.name) + 4
        self.name_label.setMinimumWidth(max(120, min(advance, 240)))
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
