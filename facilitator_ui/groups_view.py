"""The groups of a group phase as cards: make them, drag people between them, lock, link, undo.

Grouping a large room takes a moment, and the loop it would block is the room server's, so
"Skapa grupper" snapshots a :class:`app.live.GroupJob`, runs its pure ``run`` in an executor
and applies the result on the loop thread. Everything else (a move, a lock, a link, undo) is
a quick core command. The cards follow :class:`~facilitator_ui.bridge.RoomBridge` signals; a
burst of changes (late joiners arriving together) is redrawn once, and only the cards whose
members changed are rebuilt.

Groups made when a phase starts are shown to everyone at once, so nothing can improve them
afterwards. With automatic groups on, the view therefore prepares the groups of the next
mixed-group phase in the background while the phase before it runs (:mod:`group_drafts`: the
groups made at once, then improved for up to :data:`IMPROVE_SECONDS`), never applied before
they are needed. When the phase starts (or "Skapa grupper" is pressed for it) the prepared
groups are used: people who left are dropped, and whoever arrived meanwhile is placed like a
late joiner by the core, moving nobody. If too many people changed, the history changed or
the draft is not ready, the groups are made afresh as before.

The cards, their member chips and the drag of a member are in :mod:`group_cards`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import grouping
from app.grouping import PlanReport
from app.i18n import tr
from app.live import DEFAULT_GROUP_SIZE, GroupJob, Live
from app.model import REFLECTION_PHASES, GroupKind, GroupRound
from app.room import Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    OrgColours,
    big_button,
    discard,
    plain_label,
)
from facilitator_ui.group_background import _BackgroundGroups
from facilitator_ui.group_cards import (
    CARD_MIN_WIDTH,
    GroupCard,
    MemberChip,
)
from facilitator_ui.group_drafts import (
    DRAFT_DELAY_MS,
    IMPROVE_SECONDS,
    _Draft,
    _Improvement,
    _Kept,
    adapt_draft,  # noqa: F401 (callers use groups_view.adapt_draft)
    draft_fits,  # noqa: F401 (callers use groups_view.draft_fits)
    repeats_text,  # noqa: F401 (callers use groups_view.repeats_text)
)
from facilitator_ui.tasks import TaskRunner, running_loop

log = logging.getLogger(__name__)

MAX_GROUP_SIZE = 30
# Seconds of widget building per turn of the loop: 500 people in 83 groups take about 0.4 s
# to build, and the room server shares the loop; the rest follows on the next turns.
REFRESH_BUDGET_S = 0.02


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


class GroupsView(_BackgroundGroups, QFrame):
    """The groups of one group phase: toolbar, busy indicator and a grid of cards.

    The background drafts and the search for better groups come from
    :class:`~facilitator_ui.group_background._BackgroundGroups`.

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

    # -- improving in the background ----------------------------------------------------------

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
