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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QHideEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
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
from app.model import REFLECTION_PHASES, Attendance, GroupKind, PhaseKind, Reflection, SurveyKind
from app.room import JoinInfo, Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import (
    OrgColours,
    breakable,
    countdown_seconds,
    format_countdown,
    plain_label,
)
from facilitator_ui.qr_widget import QrWidget
from facilitator_ui.ranking_view import (
    PROJECTOR_TOP,
    RankingChart,
    WordCloud,
    ranking_blocks,
    session_themes,
    vote_phase,
)

DESIGN_HEIGHT = 1080.0  # type sizes below are pixels at this window height
DESIGN_WIDTH = 1920.0
TICK_SLACK_MS = 15
SURVEY_RECOUNT_MS = 300
ORG_SCALE = 0.8  # a group member's organisation, relative to the name
MIN_NAME_PX = 28.0  # the projector's group names at least this (at 1080 lines), paged if need be
PAGE_SECONDS = 12  # how long a page of groups stays before the next

INK = QColor("#0d1b2a")
MUTED = QColor("#3d4652")
NAVY = QColor("#0b3d91")
PAPER = QColor("#ffffff")
CARD = QColor("#f4f6f9")
LINE = QColor("#8a96a8")
REMOTE = QColor("#5f3dc4")
HIGHLIGHT = QColor("#e67700")
VALUE_COLOURS = ("#c92a2a", "#e8590c", "#868e96", "#5c940d", "#2b8a3e")

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


class AudienceView(StrEnum):
    """What the audience window shows; AUTO follows the phase."""

    AUTO = "auto"
    QR = "qr"
    GROUPS = "groups"
    WALL = "wall"
    SURVEY = "survey"
    THANKS = "thanks"
    RANKING = "ranking"
    THEMES = "themes"


VIEW_KEYS: dict[AudienceView, str] = {
    AudienceView.AUTO: "audience_view_auto",
    AudienceView.QR: "audience_view_qr",
    AudienceView.GROUPS: "audience_view_groups",
    AudienceView.WALL: "audience_view_wall",
    AudienceView.SURVEY: "audience_view_survey",
    AudienceView.THANKS: "audience_view_thanks",
    AudienceView.RANKING: "audience_view_ranking",
    AudienceView.THEMES: "audience_view_themes",
}


def default_view(live: Live) -> AudienceView:
    """Return what the room should see in the current phase (see the module's docstring)."""
    status = live.clock.status
    if status == PhaseStatus.ENDED:
        return AudienceView.THANKS
    phase = live.phase
    if status == PhaseStatus.WAITING or phase is None:
        return AudienceView.QR
    if phase.kind in REFLECTION_PHASES:
        return AudienceView.GROUPS
    if phase.kind == PhaseKind.SURVEY:
        return AudienceView.SURVEY
    if phase.kind == PhaseKind.PRIORITISE:
        return AudienceView.RANKING
    if phase.kind == PhaseKind.CLOSING:
        return AudienceView.THANKS
    return AudienceView.QR  # the lecture: people are still arriving


class ScreenLike(Protocol):
    """What :func:`choose_screen` needs of a screen (a :class:`QScreen` has it)."""

    def name(self) -> str: ...  # noqa: D102


S = TypeVar("S", bound=ScreenLike)


def choose_screen(screens: Sequence[S], remembered: str | None, primary: S | None) -> S | None:
    """Pick the screen for the audience window.

    The one remembered from last time if it is connected; else the first one that is not
    the console's (primary) screen, which is the projector on a laptop; else the primary.
    """
    if not screens:
        return None
    if remembered:
        for screen in screens:
            if screen_key(screen) == remembered:
                return screen
    for screen in screens:
        if screen is not primary:
            return screen
    return primary if primary is not None else screens[0]


def screen_key(screen: ScreenLike) -> str:
    """Return what identifies a screen from one run to the next: its name (or its place)."""
    name = screen.name()
    geometry = getattr(screen, "geometry", None)
    if name or geometry is None:
        return name
    rect = geometry()
    return f"{rect.x()},{rect.y()} {rect.width()}x{rect.height()}"


def screen_label(screen: QScreen, primary: bool) -> str:
    """Return a screen as the chooser lists it, e.g. ``HDMI-1 – 1920×1080``."""
    size = screen.geometry().size()
    text = f"{screen.name() or '?'} – {size.width()}×{size.height()}"
    return tr("audience_screen_primary", screen=text) if primary else text


def _font(pixels: float, *, bold: bool = False, mono: bool = False) -> QFont:
    font = QFontDatabase.systemFont(
        QFontDatabase.SystemFont.FixedFont if mono else QFontDatabase.SystemFont.GeneralFont
    )
    font.setPixelSize(max(8, round(pixels)))
    font.setBold(bold)
    return font


def _fit_pixels(text: str, font: QFont, width: float, largest: float) -> float:
    """Return the largest pixel size up to ``largest`` at which ``text`` fits ``width``."""
    probe = QFont(font)
    probe.setPixelSize(100)
    advance = QFontMetricsF(probe).horizontalAdvance(text) or 1.0
    return max(8.0, min(largest, 100.0 * width / advance * 0.97))


# -- the pages ------------------------------------------------------------------------------


class JoinPage(QWidget):
    """The QR code, the short address, the room code and the live count.

    Attributes:
        qr_widget: the QR code of the join address.
        address_label: the short address to type (no token).
        code_label: the room code.
        count_label: "12 anmälda · 9 anslutna nu".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make the page, empty until :meth:`set_join_info`."""
        super().__init__(parent)
        self.setObjectName("audienceJoin")
        layout = QHBoxLayout(self)
        self._layout = layout
        self.qr_widget = QrWidget()
        self.qr_widget.setMinimumSize(200, 200)
        layout.addWidget(self.qr_widget, 5)
        column = QVBoxLayout()
        column.setSpacing(0)
        self.heading_label = plain_label("audienceHeading", bold=True)
        self.scan_label = plain_label("audienceScan", wrap=True)
        self.or_type_label = plain_label("audienceOrType", wrap=True)
        self.address_label = plain_label("audienceAddress")
        self.then_label = plain_label("audienceThen", wrap=True)
        self.code_label = plain_label("audienceCode")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.count_label = plain_label("audienceCount", bold=True)
        column.addStretch(2)
        column.addWidget(self.heading_label)
        column.addWidget(self.scan_label)
        column.addStretch(2)
        column.addWidget(self.or_type_label)
        column.addWidget(self.address_label)
        column.addWidget(self.then_label)
        column.addSpacing(12)
        column.addWidget(self.code_label, 0, Qt.AlignmentFlag.AlignLeft)
        column.addStretch(2)
        column.addWidget(self.count_label)
        column.addStretch(1)
        layout.addLayout(column, 5)
        self._scale = 1.0

    def set_texts(self, address: str, code: str, count: str) -> None:
        """Show the address, room code and count (the QR code is set on its own)."""
        self.address_label.setText(address)
        self.code_label.setText(code)
        self.count_label.setText(count)
        self.apply_scale(self._scale)

    def retranslate(self) -> None:
        """Set the fixed texts in the current language."""
        self.heading_label.setText(tr("audience_join_heading"))
        self.scan_label.setText(tr("join_scan"))
        self.or_type_label.setText(tr("audience_or_type"))
        self.then_label.setText(tr("audience_then_code"))

    def apply_scale(self, scale: float) -> None:
        """Size the type for a window ``scale`` times the design size."""
        self._scale = scale
        margin = round(56 * scale)
        self._layout.setContentsMargins(margin, round(24 * scale), margin, round(24 * scale))
        self._layout.setSpacing(round(64 * scale))
        column_width = max(200.0, self.width() / 2 - 1.5 * margin)
        self.heading_label.setFont(_font(104 * scale, bold=True))
        for label in (self.scan_label, self.or_type_label, self.then_label):
            label.setFont(_font(46 * scale))
        mono = _font(60 * scale, bold=True, mono=True)
        mono.setPixelSize(
            round(_fit_pixels(self.address_label.text() or "x", mono, column_width, 64 * scale))
        )
        self.address_label.setFont(mono)
        code = _font(150 * scale, bold=True)
        code.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 10 * scale)
        self.code_label.setFont(code)
        pad = round(8 * scale)
        self.code_label.setContentsMargins(round(24 * scale), pad, round(24 * scale), pad)
        self.count_label.setFont(_font(54 * scale, bold=True))


@dataclass(frozen=True, slots=True)
class GroupBox:
    """One group as the audience sees it."""

    title: str  # "Grupp 3"
    tag: str  # "Digitalt grupprum" for a remote group, else ""
    remote: bool
    members: tuple[tuple[str, str, QColor], ...]  # (name, organisation or "", colour)
    subtitle: str = ""  # a municipality group's organisation (then not on every line)

    def lines(self) -> int:
        """Return the lines under the title: the subtitle, if any, and one per member."""
        return len(self.members) + (1 if self.subtitle else 0)


class _Stage(QWidget):
    """A page painted directly: type sized to fit, white paper, a message when empty."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty_text = ""
        self.scale = 1.0

    def sizeHint(self) -> QSize:
        return QSize(1600, 800)

    def _paper(self) -> QPainter:
        """Return a painter on a fresh sheet: white paper, smooth shapes and type."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), PAPER)
        return painter

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(MUTED)
        painter.setFont(_font(56 * self.scale))
        painter.drawText(
            self.rect().adjusted(40, 40, -40, -40),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.empty_text,
        )


class GroupsStage(_Stage):
    """The group cards, laid out so the longest group fits in the largest type.

    Names are never smaller than :data:`MIN_NAME_PX` (at 1080 lines): when the groups do not
    fit that large on one screen they are shown a page at a time, each page for
    :data:`PAGE_SECONDS` ("Grupp 1–8 av 15" in the corner). The organisation goes beside
    the name, or under it in smaller type when that gives the names more room.
    """

    GAP = 24
    PAD = 22
    LINE = 1.32  # a name's line height, in name sizes
    ORG_LINE = 0.78 * ORG_SCALE * 1.25  # the organisation's line under a name (stacked)

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty stage."""
        super().__init__("audienceGroups", parent)
        self._groups: list[GroupBox] = []
        self.page = 0
        self._plan_key: tuple[object, ...] = ()
        self._plan: tuple[int, int, float, bool] = (1, 1, 0.0, False)
        self._page_timer = QTimer(self)
        self._page_timer.setInterval(PAGE_SECONDS * 1000)
        self._page_timer.timeout.connect(self.next_page)

    def groups(self) -> list[GroupBox]:
        """Return the groups shown (on every page)."""
        return list(self._groups)

    def set_groups(self, groups: list[GroupBox]) -> None:
        """Show ``groups`` (repaints; a new set of groups starts at the first page)."""
        if [g.title for g in groups] != [g.title for g in self._groups]:
            self.page = 0
        self._groups = groups
        self._sync_timer()
        self.update()

    def page_count(self) -> int:
        """Return how many pages the groups take at the current size."""
        return self._current_plan()[0]

    def page_groups(self) -> list[GroupBox]:
        """Return the groups on the page shown now."""
        pages, per_page, _px, _stacked = self._current_plan()
        page = min(self.page, pages - 1)
        return self._groups[page * per_page : (page + 1) * per_page]

    def name_pixels(self) -> float:
        """Return the names' type size in pixels, as painted now."""
        return self._current_plan()[2]

    def next_page(self) -> None:
        """Show the next page (the timer does this every :data:`PAGE_SECONDS`)."""
        pages = self.page_count()
        self.page = (self.page + 1) % pages if pages > 1 else 0
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Plan the pages anew for the new size."""
        super().resizeEvent(event)
        self._sync_timer()

    def _sync_timer(self) -> None:
        if self.page_count() > 1:
            if not self._page_timer.isActive():
                self._page_timer.start()
        else:
            self._page_timer.stop()
            self.page = 0

    def _current_plan(self) -> tuple[int, int, float, bool]:
        """Return (pages, groups per page, name pixels, organisation under the name)."""
        key = (self.size().toTuple(), self.scale, id(self._groups), len(self._groups))
        if key != self._plan_key:
            self._plan_key = key
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> tuple[int, int, float, bool]:
        n = len(self._groups)
        if not n:
            return (1, 1, 0.0, False)
        least = MIN_NAME_PX * self.scale
        best: tuple[int, int, float, bool] | None = None
        for pages in range(1, n + 1):
            per_page = math.ceil(n / pages)
            if pages > 1 and math.ceil(n / per_page) < pages:
                continue  # the same split as fewer pages
            chunks = [self._groups[i : i + per_page] for i in range(0, n, per_page)]
            for stacked in (False, True):
                px = min(self._fit(chunk, stacked)[1] for chunk in chunks)
                if best is None or px > best[2] + 0.5:
                    best = (len(chunks), per_page, px, stacked)
            if best is not None and best[2] >= least:
                break
        assert best is not None
        return best

    def _fit(self, groups: list[GroupBox], stacked: bool) -> tuple[int, float]:
        """Return (columns, type size in pixels) that makes the type largest for ``groups``."""
        n = len(groups)
        area = self.rect().adjusted(self.GAP, self.GAP, -self.GAP, -self.GAP)
        probe = _font(100, bold=True)
        small = _font(100 * ORG_SCALE)
        name_metrics, org_metrics = QFontMetricsF(probe), QFontMetricsF(small)
        title_metrics = QFontMetricsF(_font(125, bold=True))
        tag_metrics = QFontMetricsF(_font(75, bold=True))
        widest = 1.0
        for group in groups:
            width = title_metrics.horizontalAdvance(group.title)
            if group.tag:  # the pill: its text, its rounded ends and a gap
                width += tag_metrics.horizontalAdvance(group.tag) + 2.2 * tag_metrics.height()
            # The subtitle (a municipality group's organisation) is shortened if it must.
            for name, organisation, _colour in group.members:
                name_w = name_metrics.horizontalAdvance(name)
                # A long organisation may be shortened ("Fyrbodals kommu…"), a name never: its
                # colour dot says it too.
                org_w = org_metrics.horizontalAdvance(organisation) if organisation else 0.0
                if stacked:
                    width = max(width, name_w + 90, 0.6 * org_w + 90)
                else:  # beside the name: room for at least a short one ("Tanum", "Fyrbo…")
                    width = max(width, name_w + (min(org_w + 60, 330) if organisation else 0) + 90)
            widest = max(widest, width)
        widest *= 1.06  # small type is a little wider than scaled-down large type
        most = max((self._lines(g, stacked) for g in groups), default=1.0)
        best = (1, 0.0)
        largest = 60 * self.scale
        for columns in range(1, n + 1):
            rows = math.ceil(n / columns)
            card_w = (area.width() - (columns - 1) * self.GAP) / columns - 2 * self.PAD
            card_h = (area.height() - (rows - 1) * self.GAP) / rows - 2 * self.PAD
            by_height = card_h / (most + 1.9)
            by_width = 100.0 * card_w / widest
            pixels = min(by_height, by_width, largest)
            if pixels > best[1] + 0.5:
                best = (columns, pixels)
        return best

    def _lines(self, group: GroupBox, stacked: bool) -> float:
        """Return the group's height under its title, in name sizes."""
        with_org = sum(1 for _n, org, _c in group.members if org)
        per = self.LINE * len(group.members) + (self.ORG_LINE * with_org if stacked else 0)
        return per + (self.LINE if group.subtitle else 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the cards of the page shown."""
        painter = self._paper()
        if not self._groups:
            self._paint_empty(painter)
            return
        pages, per_page, _px, stacked = self._current_plan()
        groups = self.page_groups()
        columns, px = self._fit(groups, stacked)
        n = len(groups)
        rows = math.ceil(n / columns)
        area = self.rect().adjusted(self.GAP, self.GAP, -self.GAP, -self.GAP)
        card_w = (area.width() - (columns - 1) * self.GAP) / columns
        most = max(self._lines(g, stacked) for g in groups)
        card_h = min(
            (area.height() - (rows - 1) * self.GAP) / rows,
            (most + 1.9) * px + 2 * self.PAD + 6,
        )
        name_font, org_font = _font(px, bold=True), _font(px * ORG_SCALE)
        title_font, tag_font = _font(px * 1.25, bold=True), _font(px * 0.75, bold=True)
        for number, group in enumerate(groups):
            row, column = divmod(number, columns)
            card = QRectF(
                area.left() + column * (card_w + self.GAP),
                area.top() + row * (card_h + self.GAP),
                card_w,
                card_h,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(CARD)
            painter.drawRoundedRect(card, 16, 16)
            painter.setBrush(REMOTE if group.remote else NAVY)
            painter.drawRoundedRect(QRectF(card.left(), card.top(), 14, card.height()), 7, 7)
            inner = card.adjusted(self.PAD + 10, self.PAD * 0.6, -self.PAD, -self.PAD)
            title_h = px * 1.6
            painter.setFont(title_font)
            painter.setPen(NAVY)
            painter.drawText(
                QRectF(inner.left(), inner.top(), inner.width(), title_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                group.title,
            )
            if group.tag:
                self._paint_tag(painter, group, tag_font, inner, title_h)
            top = inner.top() + title_h + px * 0.2
            if group.subtitle:
                painter.setFont(name_font)
                painter.setPen(INK)
                painter.drawText(
                    QRectF(inner.left(), top, inner.width(), px * self.LINE),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    QFontMetricsF(name_font).elidedText(
                        group.subtitle, Qt.TextElideMode.ElideRight, inner.width()
                    ),
                )
                top += px * self.LINE
            for name, organisation, colour in group.members:
                line = QRectF(inner.left(), top, inner.width(), px * self.LINE)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                dot = px * 0.42
                painter.drawEllipse(QRectF(line.left(), line.center().y() - dot / 2, dot, dot))
                text_left = line.left() + dot + px * 0.4
                room = line.right() - text_left
                shown_name = QFontMetricsF(name_font).elidedText(
                    name, Qt.TextElideMode.ElideRight, room
                )
                painter.setFont(name_font)
                painter.setPen(INK)
                painter.drawText(
                    QRectF(text_left, line.top(), room, line.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    shown_name,
                )
                top += px * self.LINE
                if not organisation:
                    continue
                metrics = QFontMetricsF(org_font)
                if stacked:  # under the name, as wide as the card
                    org_line = QRectF(text_left, top - px * 0.12, room, px * self.ORG_LINE)
                    shown = metrics.elidedText(organisation, Qt.TextElideMode.ElideRight, room)
                    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                    top += px * self.ORG_LINE
                else:  # beside it: what the name leaves, shortened if it must
                    left = room - QFontMetricsF(name_font).horizontalAdvance(shown_name) - px * 0.8
                    if left <= px * 2:
                        continue
                    org_line = line
                    shown = metrics.elidedText(organisation, Qt.TextElideMode.ElideRight, left)
                    align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.setFont(org_font)
                painter.setPen(MUTED)
                painter.drawText(org_line, align, shown)
        if pages > 1:
            first = min(self.page, pages - 1) * per_page
            painter.setFont(_font(max(22.0, 26 * self.scale), bold=True))
            painter.setPen(NAVY)
            painter.drawText(
                self.rect().adjusted(0, 0, -self.GAP - 8, -4),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                tr(
                    "audience_groups_page",
                    first=first + 1,
                    last=first + n,
                    count=len(self._groups),
                ),
            )
        painter.end()

    @staticmethod
    def _paint_tag(
        painter: QPainter, group: GroupBox, font: QFont, inner: QRectF, title_h: float
    ) -> None:
        metrics = QFontMetricsF(font)
        text = metrics.elidedText(group.tag, Qt.TextElideMode.ElideRight, inner.width() * 0.55)
        width = metrics.horizontalAdvance(text) + metrics.height()
        height = metrics.height() * 1.35
        pill = QRectF(inner.right() - width, inner.top() + (title_h - height) / 2, width, height)
        painter.setFont(font)
        if group.remote:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(REMOTE)
            painter.drawRoundedRect(pill, height / 2, height / 2)
            painter.setPen(PAPER)
        else:
            painter.setPen(INK)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


@dataclass(frozen=True, slots=True)
class WallCard:
    """One card as the audience sees it: text, meta line (no name when anonymous), colour."""

    id: str
    text: str
    meta: str
    colour: QColor
    highlighted: bool


class WallStage(_Stage):
    """The wall's cards in columns, highlighted first, then the newest; as many as fit."""

    GAP = 22
    PAD = 20
    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty stage."""
        super().__init__("audienceWall", parent)
        self._cards: list[WallCard] = []
        self._placed: list[tuple[WallCard, QRectF]] = []
        self._px = 30.0
        self.more_text = ""

    def set_cards(self, cards: list[WallCard]) -> None:
        """Show ``cards`` (in priority order) and lay them out now."""
        self._cards = cards
        self._relayout()

    def shown_cards(self) -> list[WallCard]:
        """Return the cards on screen (those that fit), in order."""
        return [card for card, _rect in self._placed]

    def hidden_count(self) -> int:
        """Return how many visible cards did not fit."""
        return len(self._cards) - len(self._placed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Lay the cards out for the new size."""
        super().resizeEvent(event)
        self._relayout()

    def _place(self, px: float, width: float, height: float) -> list[tuple[WallCard, QRectF]]:
        columns = self.COLUMNS if width > 900 else 1
        col_w = (width - (columns - 1) * self.GAP) / columns
        text_metrics = QFontMetricsF(_font(px))
        meta_metrics = QFontMetricsF(_font(px * 0.7, bold=True))
        heights = [0.0] * columns
        placed = []
        for card in self._cards:
            text_w = col_w - 2 * self.PAD - 12
            text_h = text_metrics.boundingRect(
                QRectF(0, 0, text_w, 10_000), int(Qt.TextFlag.TextWordWrap), card.text
            ).height()
            meta_h = meta_metrics.boundingRect(
                QRectF(0, 0, text_w, 10_000), int(Qt.TextFlag.TextWordWrap), card.meta
            ).height()
            card_h = text_h + meta_h + px * 0.4 + 2 * self.PAD
            column = min(range(columns), key=heights.__getitem__)
            if heights[column] + card_h > height:
                break
            placed.append(
                (card, QRectF(column * (col_w + self.GAP), heights[column], col_w, card_h))
            )
            heights[column] += card_h + self.GAP
        return placed

    def _relayout(self) -> None:
        width = self.width() - 2 * self.GAP
        height = self.height() - 2 * self.GAP - 60 * self.scale  # room for "and N more"
        best: list[tuple[WallCard, QRectF]] = []
        px = 26 * self.scale
        # The largest type at which every card fits; else the smallest, with as many as fit.
        for step in range(10):
            px = (48 - 2.4 * step) * self.scale
            best = self._place(px, width, height)
            if len(best) == len(self._cards):
                break
        self._px = px
        self._placed = best
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the cards placed by the last layout."""
        painter = self._paper()
        if not self._placed:
            self._paint_empty(painter)
            return
        px = self._px
        text_font, meta_font = _font(px), _font(px * 0.7, bold=True)
        meta_metrics = QFontMetricsF(meta_font)
        painter.translate(self.GAP, self.GAP)
        for card, rect in self._placed:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#fff8e6") if card.highlighted else CARD)
            painter.drawRoundedRect(rect, 14, 14)
            if card.highlighted:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                pen = painter.pen()
                pen.setStyle(Qt.PenStyle.SolidLine)
                pen.setColor(HIGHLIGHT)
                pen.setWidthF(5)
                painter.setPen(pen)
                painter.drawRoundedRect(rect.adjusted(2.5, 2.5, -2.5, -2.5), 14, 14)
                painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(card.colour)
            painter.drawRoundedRect(QRectF(rect.left(), rect.top(), 12, rect.height()), 6, 6)
            inner = rect.adjusted(self.PAD + 12, self.PAD, -self.PAD, -self.PAD)
            meta_h = meta_metrics.boundingRect(
                QRectF(0, 0, inner.width(), 10_000), int(Qt.TextFlag.TextWordWrap), card.meta
            ).height()
            painter.setFont(text_font)
            painter.setPen(INK)
            painter.drawText(
                inner.adjusted(0, 0, 0, -meta_h - px * 0.4),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                | int(Qt.TextFlag.TextWordWrap),
                card.text,
            )
            painter.setFont(meta_font)
            painter.setPen(MUTED)
            painter.drawText(
                QRectF(inner.left(), inner.bottom() - meta_h, inner.width(), meta_h),
                int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap),
                card.meta,
            )
        painter.resetTransform()
        hidden = self.hidden_count()
        if hidden and self.more_text:
            painter.setFont(_font(34 * self.scale, bold=True))
            painter.setPen(MUTED)
            painter.drawText(
                self.rect().adjusted(self.GAP, 0, -self.GAP, -self.GAP // 2),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                self.more_text.format(count=hidden),
            )
        painter.end()


class SurveyStage(_Stage):
    """The Likert items' answers as five bars each, in one or two columns."""

    GAP = 28

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty stage."""
        super().__init__("audienceSurvey", parent)
        self._items: list[tuple[str, tuple[int, ...]]] = []
        self.caption = ""

    def items(self) -> list[tuple[str, tuple[int, ...]]]:
        """Return the items shown: (statement, counts of the answers 1 to 5)."""
        return list(self._items)

    def set_items(self, items: list[tuple[str, tuple[int, ...]]], caption: str) -> None:
        """Show ``items`` under ``caption`` (the scale and the number of answers)."""
        self._items = items
        self.caption = caption
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the caption and one block of bars per item."""
        painter = self._paper()
        if not self._items:
            self._paint_empty(painter)
            return
        s = self.scale
        area = QRectF(self.rect()).adjusted(self.GAP, self.GAP * 0.6, -self.GAP, -self.GAP)
        painter.setFont(_font(34 * s, bold=True))
        painter.setPen(MUTED)
        caption_h = 52 * s
        painter.drawText(
            QRectF(area.left(), area.top(), area.width(), caption_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.caption,
        )
        area.setTop(area.top() + caption_h + 10 * s)
        n = len(self._items)
        columns = 2 if n > 2 else 1
        rows = math.ceil(n / columns)
        block_w = (area.width() - (columns - 1) * self.GAP * 2) / columns
        block_h = (area.height() - (rows - 1) * self.GAP) / rows
        # Statement: two lines; five bars; everything in units of the type size.
        px = min(block_h / (2 * 1.3 + 5 * 1.45 + 0.6), 40 * s)
        text_font, bar_font = _font(px, bold=True), _font(px * 0.9, bold=True)
        bar_metrics = QFontMetricsF(bar_font)
        value_w = bar_metrics.horizontalAdvance("5") + px * 0.5
        count_w = bar_metrics.horizontalAdvance("999 (100 %)") + px * 0.5
        for number, (text, counts) in enumerate(self._items):
            row, column = divmod(number, columns)
            block = QRectF(
                area.left() + column * (block_w + self.GAP * 2),
                area.top() + row * (block_h + self.GAP),
                block_w,
                block_h,
            )
            painter.setFont(text_font)
            painter.setPen(INK)
            statement = QRectF(block.left(), block.top(), block.width(), px * 2.6)
            painter.drawText(
                statement,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
                | int(Qt.TextFlag.TextWordWrap),
                text,
            )
            total = sum(counts)
            largest = max(counts) or 1
            top = statement.bottom() + px * 0.4
            bar_space = block.width() - value_w - count_w
            painter.setFont(bar_font)
            for value, count in enumerate(counts):
                line = QRectF(block.left(), top + value * px * 1.45, block.width(), px * 1.3)
                painter.setPen(INK)
                painter.drawText(
                    QRectF(line.left(), line.top(), value_w - px * 0.4, line.height()),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    str(value + 1),
                )
                track = QRectF(line.left() + value_w, line.top(), bar_space, line.height())
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor("#e9ecef"))
                painter.drawRoundedRect(track, 6, 6)
                if count:
                    painter.setBrush(QColor(VALUE_COLOURS[value]))
                    bar = QRectF(track.left(), track.top(), bar_space * count / largest, px * 1.3)
                    painter.drawRoundedRect(bar, 6, 6)
                share = round(100 * count / total) if total else 0
                painter.setPen(INK)
                painter.drawText(
                    QRectF(track.right() + px * 0.4, line.top(), count_w, line.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    tr("survey_bar_count", count=count, share=share),
                )
        painter.end()


class ThanksPage(QWidget):
    """The closing: thanks, and the session's name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make the page."""
        super().__init__(parent)
        self.setObjectName("audienceThanksPage")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.thanks_label = plain_label("audienceThanks", bold=True, wrap=True)
        self.line_label = plain_label("audienceThanksLine", wrap=True)
        for label in (self.thanks_label, self.line_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        layout.addStretch(1)

    def apply_scale(self, scale: float) -> None:
        """Size the type for a window ``scale`` times the design size."""
        self.thanks_label.setFont(_font(150 * scale, bold=True))
        self.line_label.setFont(_font(52 * scale))


# -- the window -----------------------------------------------------------------------------


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
        self.title_label.setFont(_font(58 * scale, bold=True))
        self.prompt_label.setFont(_font(34 * scale))
        countdown = _font(104 * scale, bold=True)
        countdown.setFeature(QFont.Tag("tnum"), 1)
        self.countdown_label.setFont(countdown)
        self.countdown_label.setMinimumWidth(
            round(QFontMetricsF(countdown).horizontalAdvance(format_countdown(-1)) + 60 * scale)
        )
        self.countdown_tag.setFont(_font(28 * scale, bold=True))
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
