"""The groups of a group phase as cards: make them, drag people between them, lock, link, undo.

Grouping a large room takes a moment, and the loop it would block is the room server's, so
"Skapa grupper" snapshots a :class:`app.live.GroupJob`, runs its pure ``run`` in an executor
and applies the result on the loop thread. Everything else (a move, a lock, a link, undo) is
a quick core command. The cards follow :class:`~facilitator_ui.bridge.RoomBridge` signals; a
burst of changes (late joiners arriving together) is redrawn once, and only the cards whose
members changed are rebuilt.

Groups made when a phase starts are shown to everyone at once, so nothing can improve them
afterwards. With automatic groups on, the view therefore prepares the groups of the next
mixed-group phase in the background while the phase before it runs (:class:`_Draft`: the
groups made at once, then improved for up to :data:`IMPROVE_SECONDS`), never applied before
they are needed. When the phase starts (or "Skapa grupper" is pressed for it) the prepared
groups are used: people who left are dropped, and whoever arrived meanwhile is placed like a
late joiner by the core, moving nobody. If too many people changed, the history changed or
the draft is not ready, the groups are made afresh as before.

A member is dragged as :data:`~facilitator_ui.common.PARTICIPANT_MIME` carrying their id and
nothing else (no text), so a drop on a text field does nothing.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import shiboken6
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

from app import grouping
from app.grouping import PlanReport
from app.i18n import tr
from app.live import DEFAULT_GROUP_SIZE, GroupJob, Live, PhaseStatus
from app.model import REFLECTION_PHASES, Attendance, GroupKind, GroupRound, Participant
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
#: Seconds the background search may think to improve groups made at once (as the command
#: line's default); it stops earlier as soon as no better groups can exist.
IMPROVE_SECONDS = 10.0
#: Milliseconds to wait after a change (a join, a phase, a group change) before the groups of
#: the next phase are prepared again: a burst of joins restarts the search once.
DRAFT_DELAY_MS = 1000
#: A prepared draft is kept while at most this share of its people changed (left, arrived,
#: changed attendance), or two people in a small room; arrivals join as late joiners.
DRAFT_TOLERANCE = 0.1


def first_groups(job: GroupJob) -> tuple[list[list[str]], PlanReport | None]:
    """Compute ``job``'s groups at once, with a report on mixed groups (pure; any thread).

    Mixed groups come from :func:`app.grouping.plan_report` with the arguments
    :meth:`GroupJob.run` gives :func:`app.grouping.make_groups`, so they are the same groups.
    """
    if job.kind != GroupKind.MIXED or not job.members:
        return job.run(), None
    report = grouping.plan_report(
        job.members,
        1,
        size=job.size if job.group_count is None else None,
        groups=job.group_count,
        history=job.history,
        seed=job.seed,
    )
    return report.rounds[0], report


def prepare_groups(
    job: GroupJob, stop: Callable[[], bool]
) -> tuple[list[list[str]], PlanReport] | None:
    """Make ``job``'s mixed groups at once, then improve them (pure; any thread).

    Nobody is seated yet (the phase has not started), so the search may move everyone.

    Returns:
        The best groups and their report, or None when ``stop`` ended the work or the job
        makes no mixed groups.
    """
    groups, report = first_groups(job)
    if report is None or stop():
        return None
    if report.complete:
        return groups, report
    better = grouping.improve_round(
        job.members,
        groups,
        size=job.size if job.group_count is None else None,
        groups=job.group_count,
        history=job.history,
        seed=job.seed,
        time_limit=IMPROVE_SECONDS,
        stop=stop,
    )
    if better is None:
        return None
    return better.rounds[0], better


def _met(history: Sequence[Sequence[Sequence[str]]], ids: set[str]) -> set[tuple[str, str]]:
    """Pairs of ``ids`` that shared a group in ``history``."""
    pairs: set[tuple[str, str]] = set()
    for rnd in history:
        for group in rnd:
            inside = sorted(pid for pid in group if pid in ids)
            pairs.update((a, b) for x, a in enumerate(inside) for b in inside[x + 1 :])
    return pairs


def draft_fits(prepared: GroupJob, now: GroupJob) -> bool:
    """Whether groups prepared for ``prepared`` may serve ``now``.

    Same phase, kind and size, no locked groups, at most :data:`DRAFT_TOLERANCE` of the
    people changed, and the same history among the people prepared for: a late joiner placed
    in the running phase changes the history only for themselves, a drag there does not.
    """
    if (
        prepared.phase_index != now.phase_index
        or prepared.kind != now.kind
        or prepared.size != now.size
        or prepared.group_count != now.group_count
        or prepared.keep
        or now.keep
    ):
        return False
    before = {m.id: m for m in prepared.members}
    after = {m.id: m for m in now.members}
    if prepared.history != now.history:
        ids = set(before)
        if _met(prepared.history, ids) != _met(now.history, ids):
            return False
    changed = sum(1 for pid, m in after.items() if before.get(pid) != m)
    changed += sum(1 for pid in before if pid not in after)
    return changed <= max(2, int(len(after) * DRAFT_TOLERANCE))


def adapt_draft(
    prepared: GroupJob, groups: Sequence[Sequence[str]], now: GroupJob
) -> list[list[str]] | None:
    """Drop from prepared ``groups`` whoever left or changed since they were prepared.

    Someone changed when their attendance, organisation or role differs in ``now``. Returns
    None if that leaves a group of fewer than two or sizes more than one apart within an
    attendance mode (then the groups are made afresh).

    Whoever is in ``now`` but not in the groups is placed later, as a late joiner.
    """
    before = {m.id: m for m in prepared.members}
    after = {m.id: m for m in now.members}
    kept = [[pid for pid in group if after.get(pid) == before.get(pid)] for group in groups]
    sizes: dict[Attendance, list[int]] = {}
    for group in kept:
        if len(group) < 2:
            return None
        sizes.setdefault(after[group[0]].attendance, []).append(len(group))
    if any(max(s) - min(s) > 1 for s in sizes.values()):
        return None
    return kept


def repeats_text(report: PlanReport, *, history: bool, searching: bool) -> str:
    """Say how many pairs meet again in a round and whether fewer is possible (translated).

    Empty for a first round (no ``history``) where nobody meets again: there is nothing to say.
    """
    count = report.repeated_pairs
    if count == 0:
        return tr("groups_repeats_none") if history else ""
    if report.minimal:
        return tr("groups_repeats_minimal", count=count)
    if searching:
        return tr("groups_repeats_so_far", count=count)
    return tr("groups_repeats_best", count=count)


@dataclass(frozen=True)
class _Kept:
    """A report on the groups of a phase, kept while the phase shows those groups."""

    shown: tuple[tuple[str, ...], ...]  # the whole round the report is about
    report: PlanReport  # its rounds[0] is the job's part of ``shown``
    job: GroupJob


@dataclass(eq=False)
class _Improvement:
    """A background search for better groups than ``base`` (the round made at once)."""

    job: GroupJob
    base: GroupRound
    groups: list[list[str]]  # the job's part of ``base`` (all of it, without locked groups)
    seated: frozenset[str]
    stop: threading.Event


def place_arrivals(groups: list[list[str]], job: GroupJob) -> list[list[str]] | None:
    """Add whoever of ``job.members`` is not in ``groups``, one by one, as late joiners are.

    See :func:`app.grouping.place_late_joiner`. None when someone's attendance mode has no
    group (then the groups are made afresh).
    """
    placed = [list(g) for g in groups]
    inside = {pid for g in placed for pid in g}
    by_id = {m.id: m for m in job.members}
    for member in job.members:
        if member.id in inside:
            continue
        seated = [by_id[pid] for g in placed for pid in g]
        g = grouping.place_late_joiner(placed, member, seated, job.history)
        if g == len(placed):
            return None
        placed[g].append(member.id)
        inside.add(member.id)
    return placed


@dataclass(eq=False)
class _Draft:
    """Groups being prepared, in the background, for a mixed-group phase not yet started."""

    job: GroupJob
    stop: threading.Event
    groups: list[list[str]] | None = None  # set when ready
    report: PlanReport | None = None


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
        improvingChanged(bool): the background search for better groups started or ended.
    """

    message = Signal(str)
    busyChanged = Signal(bool)
    improvingChanged = Signal(bool)

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
        self._improving: _Improvement | None = None
        self._draft: _Draft | None = None
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.update_draft)
        # phase index -> the report on the groups made for it (shown while they stand)
        self._reports: dict[int, _Kept] = {}
        self._searches = 0
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
        self.repeats_label = plain_label("groupsRepeats", 13, wrap=True)
        self.repeats_label.setVisible(False)
        self.improve_label = plain_label("groupsImproving", 13, bold=True)
        self.improve_label.setVisible(False)
        self.improve_stop_button = big_button("groupsImproveStop", 13)
        self.improve_button = big_button("groupsImprove", 13)
        self.improve_button.setVisible(False)
        self.improve_button.clicked.connect(self.improve)
        self.improve_stop_button.setVisible(False)
        self.improve_stop_button.clicked.connect(self.stop_improving)
        self._legend = plain_label("groupsLegend", 13, wrap=True)
        self._legend.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        info.addWidget(self.summary_label)
        info.addWidget(self.auto_check)
        info.addWidget(self._legend, 1)
        layout.addLayout(info)
        improving = QHBoxLayout()
        improving.addWidget(self.repeats_label, 1)
        improving.addWidget(self.improve_label)
        improving.addWidget(self.improve_stop_button)
        improving.addWidget(self.improve_button)
        layout.addLayout(improving)

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
        self.auto_check.toggled.connect(lambda _on: self._schedule_draft())
        self.size_spin.valueChanged.connect(lambda _v: self._schedule_draft())
        bridge.groupsChanged.connect(self._on_groups_changed)
        bridge.phaseChanged.connect(self._on_phase_changed)
        bridge.connectionChanged.connect(self._on_connection_changed)

        self._program_key: tuple[object, ...] = ()
        self._clock_index = self._live.clock.index
        self._fill_phases(follow_clock=True)
        self.retranslate()
        self._schedule_draft()

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

    def is_improving(self) -> bool:
        """Return True while a background search for better groups runs."""
        return self._improving is not None

    def can_improve(self) -> bool:
        """Return whether "Leta efter bättre grupper" may run.

        It may when the groups shown are not known to be the best, their phase has not
        started and no search runs.
        """
        kept = self._kept()
        return (
            kept is not None
            and not kept.report.complete
            and self._improving is None
            and not self._busy
            and not self._started(kept.job.phase_index)
        )

    def draft(self, phase_index: int) -> tuple[list[list[str]], PlanReport] | None:
        """Return the groups prepared for a phase and their report, once they are ready."""
        draft = self._draft
        if draft is None or draft.job.phase_index != phase_index or draft.groups is None:
            return None
        assert draft.report is not None
        return [list(g) for g in draft.groups], draft.report

    def is_preparing(self) -> bool:
        """Return True while the groups of the next phase are being prepared."""
        return self._draft is not None and self._draft.groups is None

    def update_draft(self) -> None:
        """Prepare (in the background) the groups of the next mixed-group phase, if needed.

        Runs a moment after a change (see :data:`DRAFT_DELAY_MS`). Only with automatic
        groups on, for the next group phase that has not started and has no groups, when it
        is a mixed-group phase and someone is present. A draft that still fits (see
        :func:`draft_fits`) is kept; one that no longer does is stopped and made again.
        """
        self._draft_timer.stop()
        target = self._draft_target()
        job: GroupJob | None = None
        if target is not None and running_loop() is not None and self._live.present():
            try:
                job = self._live.group_job(target, self.size_spin.value())
            except ValueError:
                job = None
        draft = self._draft
        if job is not None and draft is not None and draft_fits(draft.job, job):
            return
        self._drop_draft()
        if job is None or not job.members:
            return
        draft = _Draft(job, threading.Event())
        self._draft = draft
        if self._tasks.start(self._prepare(draft)) is None:
            self._draft = None
        self._show_draft()

    def improve(self) -> None:
        """Search again, in the background, for better groups than those shown."""
        kept = self._kept()
        rnd = self.current_round()
        if kept is None or rnd is None or not self.can_improve():
            return
        self._searches += 1
        job = replace(kept.job, seed=kept.job.seed + 7919 * self._searches)
        self._start_improving(job, rnd, [list(g) for g in kept.report.rounds[0]])

    def stop_improving(self) -> None:
        """Cancel the background search; the groups stay as they are."""
        if self._end_improving(self._improving):
            self.message.emit(tr("groups_improve_cancelled"))

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
        self._end_improving(self._improving)  # the new groups replace the ones it improves
        if not self._live.present():
            self.message.emit(tr("groups_nobody_present"))
            return
        try:
            job = self._live.group_job(index, self.size_spin.value(), reshuffle=reshuffle)
        except ValueError as exc:
            self.message.emit(tr("groups_failed", error=exc))
            return
        if not reshuffle and self._use_draft(job, only_if_none):
            return
        if running_loop() is None:
            groups, report = first_groups(job)
            rnd = self._apply(job, groups, only_if_none)
            if rnd is not None and report is not None:
                self._keep_report(job, rnd, report)
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
        self.improve_label.setText(tr("groups_improving"))
        self.improve_stop_button.setText(tr("groups_improve_stop"))
        self.improve_button.setText(tr("groups_improve_more"))
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
            groups, report = await loop.run_in_executor(None, first_groups, job)
            rnd = self._apply(job, groups, only_if_none)
        finally:
            self._set_busy(False)
        if rnd is not None and report is not None:
            self._keep_report(job, rnd, report)
            if not report.complete:
                self._start_improving(job, rnd, groups)

    def _apply(
        self, job: GroupJob, groups: list[list[str]], only_if_none: bool = False
    ) -> GroupRound | None:
        if only_if_none and self._live.round(job.phase_index) is not None:
            return None  # made by hand (or by the core) while this ran: those stay
        # The core also places whoever connected while the job ran (see Live.apply_groups).
        rnd = self._live.apply_groups(job, groups)
        self.message.emit(tr("groups_made", count=len(rnd.groups)))
        return self._live.round(job.phase_index)

    # -- preparing the next phase's groups ----------------------------------------------------

    def _schedule_draft(self) -> None:
        if not self._draft_timer.isActive():
            self._draft_timer.start()

    def _draft_target(self) -> int | None:
        """Return the next group phase not started and without groups, if it is a mixed one."""
        if not self.auto_check.isChecked():
            return None
        clock = self._live.clock
        for index, phase in enumerate(self._live.program):
            kind = REFLECTION_PHASES.get(phase.kind)
            if kind is None or index < clock.index or self._started(index):
                continue
            if kind != GroupKind.MIXED or self._live.round(index) is not None:
                return None
            return index
        return None

    def _draft_text(self) -> str:
        """Say how the groups of the phase shown are being prepared (translated; may be "")."""
        draft = self._draft
        if draft is None or draft.job.phase_index != self.phase_index():
            return ""
        if draft.groups is None or draft.report is None:
            return tr("groups_draft_preparing")
        repeats = repeats_text(draft.report, history=bool(draft.job.history), searching=False)
        return tr("groups_draft_ready", people=len(draft.job.members), repeats=repeats).strip()

    def _show_draft(self) -> None:
        rnd = self.current_round()
        if shiboken6.isValid(self) and self.phase_index() is not None and rnd is None:
            self.empty_label.setText(self._draft_text() or tr("groups_none_yet"))

    def _drop_draft(self) -> None:
        draft = self._draft
        if draft is not None:
            draft.stop.set()
            self._draft = None
            self._show_draft()

    async def _prepare(self, draft: _Draft) -> None:
        loop = running_loop()
        assert loop is not None  # started by TaskRunner, which needs one
        result = None
        try:
            result = await loop.run_in_executor(None, prepare_groups, draft.job, draft.stop.is_set)
        except grouping.GroupingError as exc:  # groups are made afresh when the phase starts
            log.warning("could not prepare the groups: %s", exc)
        finally:
            draft.stop.set()  # also when the task is cancelled: the thread stops soon
        if not shiboken6.isValid(self) or draft is not self._draft:
            return  # replaced, dropped, or the window is gone
        if result is None:
            self._draft = None
        else:
            draft.groups, draft.report = result
        self._show_draft()

    def _use_draft(self, job: GroupJob, only_if_none: bool) -> bool:
        """Apply the groups prepared for ``job``'s phase if they still fit; say if it did."""
        draft = self._draft
        if draft is None or draft.job.phase_index != job.phase_index:
            return False
        self._draft = None
        draft.stop.set()
        groups = draft.groups
        if groups is None or draft.report is None or not draft_fits(draft.job, job):
            return False  # not ready, or too much changed: made afresh
        kept = adapt_draft(draft.job, groups, job)
        if kept is None:
            return False
        if job.phase_index != self._live.clock.index:
            # Made ahead of its phase ("Skapa grupper"): the core places arrivals only in the
            # running phase, so they are placed here, as it would, moving nobody.
            kept = place_arrivals(kept, job)
            if kept is None:
                return False
        rnd = self._apply(job, kept, only_if_none)
        if rnd is None:
            return True  # groups were made some other way meanwhile: those stay
        if draft.job.members == job.members and rnd.groups == tuple(map(tuple, kept)):
            self._keep_report(job, rnd, draft.report)  # exactly the groups it reports on
        self.message.emit(tr("groups_prepared_used", count=len(rnd.groups)))
        return True

    # -- improving in the background ----------------------------------------------------------

    def _started(self, phase_index: int) -> bool:
        """Whether a phase has started (its people have been shown their groups)."""
        clock = self._live.clock
        if clock.index == phase_index:
            return clock.status != PhaseStatus.WAITING
        return clock.index > phase_index

    def _seated(self, phase_index: int) -> frozenset[str]:
        """Who has been shown their group of a phase: everyone placed, once it has started."""
        rnd = self._live.round(phase_index)
        if rnd is None or not self._started(phase_index):
            return frozenset()
        return frozenset(pid for group in rnd.groups for pid in group)

    def _start_improving(self, job: GroupJob, base: GroupRound, groups: list[list[str]]) -> None:
        seated = self._seated(job.phase_index)
        if {pid for group in groups for pid in group} <= seated:
            return  # nobody may move: nothing to improve
        imp = _Improvement(job, base, groups, seated, threading.Event())
        self._improving = imp
        self._show_improving()
        if self._tasks.start(self._improve(imp)) is None:
            self._end_improving(imp)

    def _end_improving(self, imp: _Improvement | None) -> bool:
        """Stop ``imp`` (if it is the running search) and show the idle state."""
        if imp is None or imp is not self._improving:
            return False
        imp.stop.set()
        self._improving = None
        if shiboken6.isValid(self):
            self._show_improving()
        return True

    def _show_improving(self) -> None:
        on = self._improving is not None
        self.improve_label.setVisible(on)
        self.improve_stop_button.setVisible(on)
        self._show_repeats()
        self.improvingChanged.emit(on)

    async def _improve(self, imp: _Improvement) -> None:
        loop = running_loop()
        assert loop is not None  # started by TaskRunner, which needs one
        job = imp.job
        search = functools.partial(
            grouping.improve_round,
            job.members,
            imp.groups,
            size=job.size if job.group_count is None else None,
            groups=job.group_count,
            history=job.history,
            seated=imp.seated,
            seed=job.seed,
            time_limit=IMPROVE_SECONDS,
            stop=imp.stop.is_set,
        )
        report: PlanReport | None = None
        try:
            report = await loop.run_in_executor(None, search)
        except grouping.GroupingError as exc:  # the groups at once stand; nothing to tell
            log.warning("could not improve the groups: %s", exc)
        finally:
            imp.stop.set()  # also when the task is cancelled: the thread stops soon
            if report is None and shiboken6.isValid(self):
                self._end_improving(imp)  # a failure must not leave "Förbättrar …" up
        if report is None or not shiboken6.isValid(self) or imp is not self._improving:
            return  # cancelled, replaced, failed, or the window is gone
        self._end_improving(imp)
        self._finish_improving(imp, report)

    def _finish_improving(self, imp: _Improvement, report: PlanReport) -> None:
        index = imp.job.phase_index
        current = self._live.round(index)
        if current is None or current.groups != imp.base.groups:
            self.message.emit(tr("groups_improve_edited"))
            return
        better = report.rounds[0]
        if better == imp.groups:
            self._keep_report(imp.job, current, report)
            self.message.emit(tr("groups_improve_none"))
            return
        # Anyone shown their group since the search started keeps it.
        seated = imp.seated | self._seated(index)
        before = {pid: g for g, group in enumerate(imp.groups) for pid in group}
        if any(
            before.get(pid) != g for g, group in enumerate(better) for pid in group if pid in seated
        ):
            self.message.emit(tr("groups_improve_started"))
            return
        rnd = self._live.apply_groups(imp.job, better)
        self._keep_report(imp.job, rnd, report)
        self.message.emit(tr("groups_improved"))

    def _keep_report(self, job: GroupJob, rnd: GroupRound, report: PlanReport) -> None:
        self._reports[job.phase_index] = _Kept(rnd.groups, report, job)
        self._show_repeats()

    def _kept(self) -> _Kept | None:
        """Return the report on the groups shown, if there is one about exactly these."""
        index = self.phase_index()
        rnd = self.current_round()
        kept = self._reports.get(index) if index is not None else None
        return kept if kept is not None and rnd is not None and kept.shown == rnd.groups else None

    def _show_repeats(self) -> None:
        kept = self._kept()
        text = ""
        if kept is not None:
            imp = self._improving
            searching = imp is not None and imp.job.phase_index == kept.job.phase_index
            text = repeats_text(kept.report, history=bool(kept.job.history), searching=searching)

        self.repeats_label.setText(text)
        self.repeats_label.setVisible(bool(text))
        self.improve_button.setVisible(self.can_improve())

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self._busy_label.setVisible(busy)
        self._update_buttons()
        self.improve_button.setVisible(self.can_improve())
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
            self.empty_label.setText(self._draft_text() or tr("groups_none_yet"))
        else:
            summary = tr("groups_summary", groups=len(rnd.groups), people=people)
            if rnd.locked:
                summary = tr("groups_summary_locked", summary=summary, locked=len(rnd.locked))
            self.summary_label.setText(summary)
        self._show_repeats()
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
        imp = self._improving
        if imp is not None and phase_index == imp.job.phase_index:
            rnd = self._live.round(phase_index)
            if rnd is None or rnd.groups != imp.base.groups:
                # Changed by hand (a move, undo, a late joiner): the search's start is gone.
                self._end_improving(imp)
                self.message.emit(tr("groups_improve_edited"))
        if self._follow_next_change and phase_index != self.phase_index():
            self.set_phase(phase_index)
        if phase_index == self.phase_index():
            self._schedule_refresh()
        else:
            self._update_buttons()
        self._schedule_draft()  # the next phase's history or groups may have changed

    def _on_phase_changed(self) -> None:
        # Follow the clock into a group phase; leaving one keeps its groups in view.
        index = self._live.clock.index
        phase = self._live.phase
        moved = index != self._clock_index and phase is not None and phase.kind in REFLECTION_PHASES
        self._clock_index = index
        imp = self._improving
        if imp is not None and imp.seated != self._seated(imp.job.phase_index):
            # Its phase started: everyone placed has been shown their group and stays in it.
            self._end_improving(imp)
            self.message.emit(tr("groups_improve_started"))
        before = self.phase_index()
        self._fill_phases(follow_clock=moved)
        self._show_repeats()  # a phase that started offers no more searching
        if self.phase_index() != before:
            self.refresh()
        if moved and self.auto_check.isChecked() and self._live.round(index) is None:
            # The phase started: its groups are made now, not when someone remembers the
            # button (the timer already runs). Nobody there yet: late joiners wait as before.
            if self._live.present() and self.phase_index() == index:
                self.make_groups(only_if_none=True)
        self._schedule_draft()  # prepare the next group phase while this one runs

    def _on_connection_changed(self, participant_id: str, _connected: bool) -> None:
        self._schedule_draft()
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
