"""The projector's groups: every group's number, members and organisations, paged to fit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QWidget,
)

from app.i18n import tr
from facilitator_ui.audience.look import (
    CARD,
    INK,
    MIN_NAME_PX,
    MUTED,
    NAVY,
    ORG_SCALE,
    PAGE_SECONDS,
    PAPER,
    REMOTE,
    Stage,
    font_px,
)


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


class GroupsStage(Stage):
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
        probe = font_px(100, bold=True)
        small = font_px(100 * ORG_SCALE)
        name_metrics, org_metrics = QFontMetricsF(probe), QFontMetricsF(small)
        title_metrics = QFontMetricsF(font_px(125, bold=True))
        tag_metrics = QFontMetricsF(font_px(75, bold=True))
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
        name_font, org_font = font_px(px, bold=True), font_px(px * ORG_SCALE)
        title_font, tag_font = font_px(px * 1.25, bold=True), font_px(px * 0.75, bold=True)
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
            painter.setFont(font_px(max(22.0, 26 * self.scale), bold=True))
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
