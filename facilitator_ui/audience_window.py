"""The audience window: what the room sees on the projector, full screen on a screen of its own.

It follows the session through the :class:`~facilitator_ui.bridge.RoomBridge` signals (the only
timer is the countdown's) and shows, by default, what the current phase needs:

- before the start and during the first (lecture) phase: the QR code, the short address,
  the room code and how many have joined;
- a group phase: the group cards (number, members and their organisation; a remote group
  meets in a digital group room) and the countdown;
- the survey: the answers so far as bars; the closing and after: thanks.

The facilitator can override the view per phase ("QR / Grupper / Väggen / Enkät") from the
console. The wall shows only cards that are on the console's wall: never hidden or
withdrawn cards, and without names when the console's "Visa utan namn" is on.

Nothing private is shown: no resume tokens, no moderation controls, no hidden cards. The QR
code necessarily carries the room token; it is on screen only in the QR view. The room is
read from the back: type scales with the window (sized for 1920×1080), dark on white, and
colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QFont,
    QFontMetricsF,
    QHideEvent,
    QKeyEvent,
    QResizeEvent,
    QScreen,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.cards import on_wall
from app.i18n import tr
from app.live import WARNING_SECONDS, Live, PhaseStatus
from app.model import REFLECTION_PHASES, Attendance, GroupKind, Reflection, SurveyKind
from app.room import JoinInfo, Room

# Names imported "as" themselves are re-exported: the console, scripts and tests import them here.
from facilitator_ui.audience.groups_stage import GroupBox as GroupBox
from facilitator_ui.audience.groups_stage import GroupsStage as GroupsStage
from facilitator_ui.audience.look import (
    DESIGN_HEIGHT,
    DESIGN_WIDTH,
    SURVEY_RECOUNT_MS,
    TICK_SLACK_MS,
    font_px,
)
from facilitator_ui.audience.look import MIN_NAME_PX as MIN_NAME_PX
from facilitator_ui.audience.pages import JoinPage, ThanksPage
from facilitator_ui.audience.stages import SurveyStage, WallCard, WallStage
from facilitator_ui.audience.views import VIEW_KEYS as VIEW_KEYS
from facilitator_ui.audience.views import AudienceView as AudienceView
from facilitator_ui.audience.views import choose_screen as choose_screen
from facilitator_ui.audience.views import default_view as default_view
from facilitator_ui.audience.views import screen_key as screen_key
from facilitator_ui.audience.views import screen_label as screen_label
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    OrgColours,
    breakable,
    countdown_seconds,
    format_countdown,
    plain_label,
)
from facilitator_ui.ranking_view import (
    PROJECTOR_TOP,
    RankingChart,
    WordCloud,
    ranking_blocks,
    session_themes,
    vote_phase,
)

_STYLE = """
#audienceWindow { background: #ffffff; }
#audienceHeader { background: #0b3d91; }
#audienceTitle { color: #ffffff; }
#audiencePrompt { color: #dbe4ff; }
#audienceCountdownTag { color: #ffffff; }
#audienceHeading { color: #0b3d91; }
#audienceScan, #audienceOrType, #audienceThen { color: #0d1b2a; }
#audienceAddress { color: #0d1b2a; }
#audienceCode {
    color: #0d1b2a; background: #f4f6f9; border: 4px solid #0d1b2a; border-radius: 18px;
}
#audienceCount { color: #1b6e2a; }
#audienceThanks { color: #0b3d91; }
#audienceThanksLine { color: #0d1b2a; }
"""

# Countdown colours on the navy header: (background, text).
_COUNTDOWN_COLOURS = {
    "running": ("#0b3d91", "#ffffff"),
    "paused": ("#0b3d91", "#aab8d6"),
    "warning": ("#ffb300", "#1a1300"),
    "overtime": ("#b00020", "#ffffff"),
}


class AudienceWindow(QWidget):
    """The projector's window (a top-level window of its own).

    Attributes:
        title_label, prompt_label: the header (session, or the phase and its prompt).
        countdown_label, countdown_tag: the phase's countdown and its state in words.
        stack: one page per view; join_page, groups_page, wall_page, survey_page, thanks_page.

    Signals:
        viewChanged(str): the view shown changed (an :class:`AudienceView` value).
        visibilityChanged(bool): the window was shown or hidden (also by Esc on it).
    """

    viewChanged = Signal(str)
    visibilityChanged = Signal(bool)

    def __init__(
        self,
        room: Room,
        bridge: RoomBridge,
        join_info: JoinInfo,
        *,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        """Show ``room``'s session, following ``bridge``, with ``join_info``'s QR code.

        Args:
            room: the live room.
            bridge: the room's signals, shared with the console.
            join_info: what the QR view shows (see :meth:`set_join_info`).
            clock: the wall clock of the countdown (the console's).
            parent: None (a window of its own); the console deletes it with itself.
        """
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("audienceWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_STYLE)
        self._room = room
        self._live: Live = room.live
        self._clock = clock
        self._join_info = join_info
        self._colours = OrgColours(room)
        self._overrides: dict[int, AudienceView] = {}
        self._anonymous = False
        self._themes_organisation: int | None = None
        self._view: AudienceView | None = None
        self._scale = 1.0
        self._countdown_state = ""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = QFrame()
        header.setObjectName("audienceHeader")
        header_layout = QHBoxLayout(header)
        self._header_layout = header_layout
        texts = QVBoxLayout()
        texts.setSpacing(0)
        # Wrapped, never clipped: beside the countdown a session's line ("Tankesmedja Fyrbodal
        # 2020 · Träff 1: UTBLICK") may need two lines.
        self.title_label = plain_label("audienceTitle", bold=True, wrap=True)
        self.prompt_label = plain_label("audiencePrompt", wrap=True)
        for label in (self.title_label, self.prompt_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            texts.addWidget(label)
        header_layout.addLayout(texts, 1)
        clock_box = QVBoxLayout()
        clock_box.setSpacing(0)
        self.countdown_tag = plain_label("audienceCountdownTag", bold=True)
        self.countdown_tag.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown_label = plain_label("audienceCountdown", bold=True)
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        clock_box.addWidget(self.countdown_label)
        clock_box.addWidget(self.countdown_tag)
        header_layout.addLayout(clock_box)
        outer.addWidget(header)

        self.stack = QStackedWidget()
        self.join_page = JoinPage()
        self.groups_page = GroupsStage()
        self.wall_page = WallStage()
        self.survey_page = SurveyStage()
        self.thanks_page = ThanksPage()
        self.ranking_page = RankingChart(top=PROJECTOR_TOP)
        self.ranking_page.setObjectName("audienceRanking")
        self.themes_page = WordCloud()
        self.themes_page.setObjectName("audienceThemes")
        self._pages: dict[AudienceView, QWidget] = {
            AudienceView.RANKING: self.ranking_page,
            AudienceView.THEMES: self.themes_page,
            AudienceView.QR: self.join_page,
            AudienceView.GROUPS: self.groups_page,
            AudienceView.WALL: self.wall_page,
            AudienceView.SURVEY: self.survey_page,
            AudienceView.THANKS: self.thanks_page,
        }
        for page in self._pages.values():
            self.stack.addWidget(page)
        outer.addWidget(self.stack, 1)

        self._tick_timer = QTimer(self)
        self._tick_timer.setSingleShot(True)
        self._tick_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick_timer.timeout.connect(self._tick)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._survey_timer = QTimer(self)
        self._survey_timer.setSingleShot(True)
        self._survey_timer.setInterval(SURVEY_RECOUNT_MS)
        self._survey_timer.timeout.connect(self.refresh)

        bridge.phaseChanged.connect(self.refresh)  # rare, and the view may change: at once
        bridge.groupsChanged.connect(lambda _index: self._schedule_for(AudienceView.GROUPS))
        bridge.participantJoined.connect(lambda _pid: self._on_people_changed())
        bridge.connectionChanged.connect(lambda _pid, _on: self._on_people_changed())
        bridge.reflectionChanged.connect(lambda _rid, _mod: self._schedule_for(AudienceView.WALL))
        bridge.surveyAnswered.connect(self._on_survey_answered)
        bridge.votesChanged.connect(lambda _index: self._schedule_for(AudienceView.RANKING))
        # A card hidden during a vote gives its dots back: the one moderation event says so.
        bridge.reflectionChanged.connect(
            lambda _r, moderated: moderated and self._schedule_for(AudienceView.RANKING)
        )
        bridge.reflectionChanged.connect(lambda _r, _m: self._schedule_for(AudienceView.THEMES))

        self.resize(1280, 720)
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def view(self) -> AudienceView:
        """Return the view shown: the facilitator's choice for this phase, or the default."""
        choice = self._overrides.get(self._live.clock.index, AudienceView.AUTO)
        return default_view(self._live) if choice == AudienceView.AUTO else choice

    def choice(self) -> AudienceView:
        """Return the facilitator's choice for the current phase (AUTO: follow the phase)."""
        return self._overrides.get(self._live.clock.index, AudienceView.AUTO)

    def set_choice(self, view: AudienceView) -> None:
        """Show ``view`` during the current phase (AUTO: what the phase needs)."""
        index = self._live.clock.index
        if view == AudienceView.AUTO:
            self._overrides.pop(index, None)
        else:
            self._overrides[index] = view
        self.refresh()

    @property
    def join_info(self) -> JoinInfo:
        """The join information the QR view shows."""
        return self._join_info

    def set_join_info(self, info: JoinInfo) -> None:
        """Show a new QR code and address (e.g. after the public address changed)."""
        self._join_info = info
        self.join_page.qr_widget.setText(info.join_url)
        self._show_join_texts()

    def anonymous(self) -> bool:
        """Return True when the wall leaves authors' names out."""
        return self._anonymous

    def set_themes_organisation(self, organisation_id: int | None) -> None:
        """Show the word cloud of one organisation's reflections (None: the whole session)."""
        if organisation_id != self._themes_organisation:
            self._themes_organisation = organisation_id
            self._schedule_for(AudienceView.THEMES)

    def set_anonymous(self, on: bool) -> None:
        """Leave authors' names off the wall (the console's wall toggle drives this)."""
        if on != self._anonymous:
            self._anonymous = on
            self._schedule_for(AudienceView.WALL)

    def show_on(self, screen: QScreen | None) -> None:
        """Cover ``screen`` (None: the current one) full screen."""
        if self.isFullScreen():
            self.showNormal()
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.raise_()

    def refresh(self) -> None:
        """Show the view for the current phase now, with fresh content."""
        self._refresh_timer.stop()
        self._survey_timer.stop()
        view = self.view()
        page = self._pages[view]
        if self.stack.currentWidget() is not page:
            self.stack.setCurrentWidget(page)
        if view != self._view:
            self._view = view
            self.viewChanged.emit(view.value)
        if not self.isVisible():
            self._tick_timer.stop()
            return  # nobody sees it: the content is brought up to date when it is shown
        self._show_header(view)
        if view == AudienceView.QR:
            self._show_join_texts()
        elif view == AudienceView.GROUPS:
            self._show_groups()
        elif view == AudienceView.WALL:
            self._show_wall()
        elif view == AudienceView.SURVEY:
            self._show_survey()
        elif view == AudienceView.RANKING:
            self._show_ranking()
        elif view == AudienceView.THEMES:
            self._show_themes()
        else:
            self._show_thanks()
        self._tick()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("audience_title"))
        self.join_page.retranslate()
        self.wall_page.more_text = tr("audience_wall_more")
        self._countdown_state = ""
        self.refresh()
        self.set_join_info(self._join_info)

    # -- content --------------------------------------------------------------------------------

    def _session_line(self) -> tuple[str, str]:
        session = self._room.session
        title = tr(
            "audience_session",
            series=self._room.series.name,
            number=session.number,
            theme=session.theme,
        )
        return title, session.subtitle

    def _show_header(self, view: AudienceView) -> None:
        phase = self._live.phase
        if view in (AudienceView.QR, AudienceView.THANKS) or phase is None:
            title, prompt = self._session_line()
        else:
            title, prompt = phase.title, phase.prompt
        self.title_label.setText(title)
        self.prompt_label.setText(prompt)
        self.prompt_label.setVisible(bool(prompt))

    def _totals(self) -> tuple[int, int]:
        people = self._room.participants()
        return len(people), sum(1 for p in people if self._room.is_connected(p.id))

    def _show_join_texts(self) -> None:
        joined, connected = self._totals()
        self.join_page.set_texts(
            self._join_info.base_url,
            self._join_info.room_code,
            tr("roster_totals", joined=joined, connected=connected),
        )

    def _reflection_phase(self) -> int | None:
        """Return the group phase to show: the current one, else the last one before it."""
        program = self._live.program
        index = min(self._live.clock.index, len(program) - 1)
        for i in range(index, -1, -1):
            if program[i].kind in REFLECTION_PHASES:
                return i
        return None

    def _show_groups(self) -> None:
        index = self._reflection_phase()
        rnd = self._live.round(index) if index is not None else None
        boxes = []
        if rnd is not None:
            for number, members in enumerate(rnd.groups):
                people = [p for p in map(self._room.participant, members) if p is not None]
                if not people:
                    continue
                remote = all(p.attendance == Attendance.REMOTE for p in people)
                organisations = {p.organisation_id for p in people}
                one_org = len(organisations) == 1 and rnd.kind == GroupKind.MUNICIPALITY
                subtitle = (
                    self._room.organisation_name(people[0].organisation_id) if one_org else ""
                )
                boxes.append(
                    GroupBox(
                        tr("group_number", number=number + 1),
                        tr("audience_group_room") if remote else "",
                        remote,
                        tuple(
                            (
                                p.name,
                                ""
                                if one_org
                                else self._room.organisation_name(p.organisation_id)
                                or tr("org_unknown"),
                                self._colours.colour(p.organisation_id),
                            )
                            for p in people
                        ),
                        subtitle,
                    )
                )
        self.groups_page.empty_text = tr("audience_no_groups")
        self.groups_page.set_groups(boxes)

    def _wall_meta(self, card: Reflection) -> str:
        parts = []
        if not self._anonymous:
            author = self._room.participant(card.participant_id)
            if author is not None:
                parts.append(author.name)
        parts.append(self._room.organisation_name(card.organisation_id) or tr("org_unknown"))
        if card.group_no is not None:
            parts.append(tr("group_number", number=card.group_no + 1))
        return " · ".join(parts)

    def _show_wall(self) -> None:
        index = self._reflection_phase()
        cards = [c for c in self._live.cards() if c.phase_index == index and on_wall(c)]
        # Highlighted first, then the newest: what the facilitator lifts up is always seen.
        cards.sort(key=lambda c: (not c.highlighted, -c.created_at))
        self.wall_page.empty_text = tr("audience_wall_empty")
        self.wall_page.set_cards(
            [
                WallCard(
                    c.id,
                    breakable(c.text),
                    breakable(self._wall_meta(c)),
                    self._colours.colour(c.organisation_id),
                    c.highlighted,
                )
                for c in cards
            ]
        )

    def _show_survey(self) -> None:
        results = self._live.survey_results()
        items = [(r.item.text, tuple(r.counts)) for r in results.likert]
        if not any(i.kind == SurveyKind.LIKERT for i in self._live.survey):
            items = []
        self.survey_page.empty_text = tr("audience_survey_empty")
        caption = tr(
            "audience_survey_caption",
            scale=tr("survey_scale"),
            respondents=tr("survey_respondents", count=results.respondents),
        )
        self.survey_page.set_items(items, caption)

    def _show_ranking(self) -> None:
        # The room sees the counts only once the vote has closed, or with open voting: a
        # projected ranking would otherwise tell everyone how others voted.
        index = vote_phase(self._live)
        votes = self._live.votes
        if index is None:
            self.ranking_page.empty_text = tr("ranking_empty")
            self.ranking_page.set_blocks([])
            return
        if votes.is_open(index) and not self._live.program[index].open_votes:
            voters = len({pid for p_index, pid, _c, _d in votes.rows() if p_index == index})
            self.ranking_page.empty_text = tr("audience_ranking_secret", voters=voters)
            self.ranking_page.set_blocks([])
            return
        self.ranking_page.empty_text = tr("ranking_empty")
        self.ranking_page.set_blocks(ranking_blocks(self._room, index))

    def _show_themes(self) -> None:
        org = self._themes_organisation
        if org is not None:  # whose themes: the room reads it in the header
            self.title_label.setText(
                tr("audience_themes_of", name=self._room.organisation_name(org))
            )
        self.themes_page.empty_text = tr("themes_none")
        self.themes_page.set_themes(session_themes(self._room, org, top=30))

    def _show_thanks(self) -> None:
        self.thanks_page.thanks_label.setText(tr("audience_thanks"))
        title, subtitle = self._session_line()
        self.thanks_page.line_label.setText(f"{title}\n{subtitle}" if subtitle else title)

    # -- countdown -------------------------------------------------------------------------------

    def _tick(self) -> None:
        clock = self._live.clock
        running = clock.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED)
        shown = running and self._live.phase is not None and self.view() != AudienceView.THANKS
        self.countdown_label.setVisible(shown)
        self.countdown_tag.setVisible(shown)
        if not shown:
            self._tick_timer.stop()
            return
        now = self._clock()
        left = clock.seconds_left(now)
        text = format_countdown(left)
        if self.countdown_label.text() != text:
            self.countdown_label.setText(text)
        whole = countdown_seconds(left)
        paused = clock.status == PhaseStatus.PAUSED
        if whole <= 0:
            state, tag = "overtime", tr("phase_tag_overtime")
        elif whole <= WARNING_SECONDS:
            state, tag = "warning", tr("phase_tag_warning")
        elif paused:
            state, tag = "paused", tr("phase_tag_paused")
        else:
            state, tag = "running", ""
        if paused and state != "paused":
            tag = tr("phase_tag_paused")
        if state != self._countdown_state:
            self._countdown_state = state
            background, colour = _COUNTDOWN_COLOURS[state]
            radius = round(18 * self._scale)
            self.countdown_label.setStyleSheet(
                f"background: {background}; color: {colour}; border-radius: {radius}px;"
                f"padding: 0px {round(24 * self._scale)}px;"
            )
        self.countdown_tag.setText(tag)
        if clock.status == PhaseStatus.RUNNING:
            fraction = left - math.floor(left)
            self._tick_timer.start(int((fraction or 1.0) * 1000) + TICK_SLACK_MS)
        else:
            self._tick_timer.stop()

    # -- scaling and events ------------------------------------------------------------------------

    def _apply_scale(self) -> None:
        size = self.size()
        scale = max(0.3, min(size.height() / DESIGN_HEIGHT, size.width() / DESIGN_WIDTH))
        self._scale = scale
        margin = round(40 * scale)
        self._header_layout.setContentsMargins(margin, round(16 * scale), margin, round(16 * scale))
        self.title_label.setFont(font_px(58 * scale, bold=True))
        self.prompt_label.setFont(font_px(34 * scale))
        countdown = font_px(104 * scale, bold=True)
        countdown.setFeature(QFont.Tag("tnum"), 1)
        self.countdown_label.setFont(countdown)
        self.countdown_label.setMinimumWidth(
            round(QFontMetricsF(countdown).horizontalAdvance(format_countdown(-1)) + 60 * scale)
        )
        self.countdown_tag.setFont(font_px(28 * scale, bold=True))
        self._countdown_state = ""
        for stage in (self.groups_page, self.wall_page, self.survey_page):
            stage.scale = scale
        self.ranking_page.scale = scale
        self.themes_page.scale = scale
        self.join_page.apply_scale(scale)
        self.thanks_page.apply_scale(scale)
        self.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the type with the window."""
        super().resizeEvent(event)
        self._apply_scale()

    def showEvent(self, event: QShowEvent) -> None:
        """Bring the content up to date and tell the console."""
        super().showEvent(event)
        self.refresh()
        self.visibilityChanged.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop the countdown's timer and tell the console."""
        super().hideEvent(event)
        self._tick_timer.stop()
        self.visibilityChanged.emit(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Only hide the window when it is closed (window manager, Alt+F4)."""
        event.accept()
        self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc hides the window (back to the console on a single screen)."""
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        """Hide the mouse pointer while full screen on the projector."""
        super().changeEvent(event)
        if event.type() != QEvent.Type.WindowStateChange:
            return
        if self.isFullScreen():
            self.setCursor(Qt.CursorShape.BlankCursor)
        else:
            self.unsetCursor()

    # -- slots -------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _schedule_for(self, view: AudienceView) -> None:
        if self.view() == view:
            self._schedule()

    def _on_people_changed(self) -> None:
        if self.view() in (AudienceView.QR, AudienceView.GROUPS):
            self._schedule()

    def _on_survey_answered(self, _participant_id: str) -> None:
        if self.view() == AudienceView.SURVEY and not self._survey_timer.isActive():
            self._survey_timer.start()


def label_texts(widget: QWidget) -> list[str]:
    """Return the texts of the visible labels of ``widget`` (for tests and checks)."""
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]
