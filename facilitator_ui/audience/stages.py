"""The projector's wall of cards and its survey bars, painted directly to fit the window."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QWidget,
)

from app.i18n import tr
from facilitator_ui.audience.look import CARD, HIGHLIGHT, INK, MUTED, VALUE_COLOURS, Stage, font_px


@dataclass(frozen=True, slots=True)
class WallCard:
    """One card as the audience sees it: text, meta line (no name when anonymous), colour."""

    id: str
    text: str
    meta: str
    colour: QColor
    highlighted: bool


class WallStage(Stage):
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
        text_metrics = QFontMetricsF(font_px(px))
        meta_metrics = QFontMetricsF(font_px(px * 0.7, bold=True))
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
        text_font, meta_font = font_px(px), font_px(px * 0.7, bold=True)
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
            painter.setFont(font_px(34 * self.scale, bold=True))
            painter.setPen(MUTED)
            painter.drawText(
                self.rect().adjusted(self.GAP, 0, -self.GAP, -self.GAP // 2),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                self.more_text.format(count=hidden),
            )
        painter.end()


class SurveyStage(Stage):
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
        painter.setFont(font_px(34 * s, bold=True))
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
        text_font, bar_font = font_px(px, bold=True), font_px(px * 0.9, bold=True)
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
