"""The groups tab's background work: drafts prepared for the next phase and their improvement.

Groups made when a phase starts are shown to everyone at once, so nothing can improve them
afterwards. With automatic groups on, the view prepares the groups of the next mixed-group
phase while the phase before it runs, and improves groups made at once for up to
:data:`~facilitator_ui.group_drafts.IMPROVE_SECONDS`.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import replace

import shiboken6

from app import grouping
from app.grouping import PlanReport
from app.i18n import tr
from app.live import GroupJob, PhaseStatus
from app.model import REFLECTION_PHASES, GroupKind, GroupRound
from facilitator_ui.group_drafts import (
    IMPROVE_SECONDS,
    _Draft,
    _Improvement,
    _Kept,
    adapt_draft,
    draft_fits,
    place_arrivals,
    repeats_text,
)
from facilitator_ui.tasks import running_loop

# The view's logger: what the background work logs is the groups tab's.
log = logging.getLogger("facilitator_ui.groups_view")


class _BackgroundGroups:
    """The drafts' and the improvement's part of :class:`~facilitator_ui.groups_view.GroupsView`.

    Runs the searches on the view's task runner and shows their progress in the view's
    widgets; the view's state (``live``, ``tasks``, the labels and buttons) is its own.
    """

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
