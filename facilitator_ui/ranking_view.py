"""Priorities and themes on the console and the projector: ranking bars and a word cloud.

The ranking of a prioritise phase is read from :meth:`app.votes.Votes.ranking` (the one home
of which cards are on whose ballot) and painted directly: per group a block with its title
and, per card, the card's text above a bar as long as its dots, the count written beside it
(never colour alone). On the projector the type is sized to be read from the back of the room
and only each group's top cards are shown; the console shows every card.

The word cloud paints :func:`app.themes.themes` of the session's shown cards: a theme's size
follows the number of reflections that mention it, and every word is drawn as plain text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.live import Live
from app.model import GroupKind, PhaseKind
from app.room import Room
from app.themes import Theme, themes
from app.votes import GroupKey
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import big_button, plain_label

INK = QColor("#0d1b2a")
MUTED = QColor("#3d4652")
NAVY = QColor("#0b3d91")
TRACK = QColor("#e9ecef")
BAR = QColor("#1f5fbf")
PAPER = QColor("#ffffff")
CLOUD_COLOURS = ("#0b3d91", "#1f5fbf", "#2b8a3e", "#c2255c", "#7048e8", "#0b7285")
RECOUNT_MS = 200
PROJECTOR_TOP = 3  # cards per group on the projector
LINE_UNITS = 4.1  # a card's height in type sizes: two lines of text, a bar, a gap


@dataclass(frozen=True, slots=True)
class RankedLine:
    """One card of a group's ranking as shown: its text, dots and number of voters."""

    text: str
    dots: int
    voters: int


@dataclass(frozen=True, slots=True)
class RankedBlock:
    """One group's ranking as shown."""

    title: str
    lines: tuple[RankedLine, ...]


def vote_phase(live: Live) -> int | None:
    """Return the prioritise phase to show: the current one, else the last one before it."""
    program = live.program
    for index in range(min(live.clock.index, len(program) - 1), -1, -1):
        if program[index].kind == PhaseKind.PRIORITISE:
            return index
    return None


def group_title(room: Room, phase_index: int, key: GroupKey) -> str:
    """Return how a group of a vote is called: its municipality, "Grupp 3" or the room."""
    kind, number = key
    if kind == "room":
        return tr("ranking_room")
    if kind == "organisation":
        return room.organisation_name(number)
    live = room.live
    source = live.votes.source_phase(phase_index)
    rnd = live.round(source) if source is not None else None
    if rnd is not None and rnd.kind == GroupKind.MUNICIPALITY:
        orgs = {
            p.organisation_id
            for pid in rnd.groups[number]
            if (p := room.participant(pid)) is not None
        }
        if len(orgs) == 1:
            name = room.organisation_name(next(iter(orgs)))
            same = sum(
                1
                for g in rnd.groups
                if {q.organisation_id for pid in g if (q := room.participant(pid))} == orgs
            )
            return name if same == 1 else f"{name} ({number + 1})"
    return tr("ranking_group", number=number + 1)


def ranking_blocks(room: Room, phase_index: int) -> list[RankedBlock]:
    """Return the ranking of a prioritise phase, one block per group with cards."""
    blocks = []
    for group in room.live.votes.ranking(phase_index):
        lines = tuple(RankedLine(r.card.text, r.dots, r.voters) for r in group.cards)
        if lines:
            blocks.append(RankedBlock(group_title(room, phase_index, group.key), lines))
    return blocks


def session_themes(room: Room, organisation_id: int | None = None, top: int = 30) -> list[Theme]:
    """Return the themes of the session's shown cards (of one organisation's people, or all)."""
    texts = [
        c.text
        for c in room.live.cards()
        if not c.withdrawn
        and not c.hidden
        and (organisation_id is None or c.organisation_id == organisation_id)
    ]
    names = [p.name for p in room.participants()]
    names += [o.name for o in room.series.organisations]
    return themes(texts, names, top)


def _font(pixels: float, *, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, round(pixels)))
    font.setBold(bold)
    return font


def _draw_empty(painter: QPainter, area: QRectF, text: str, scale: float) -> None:
    """Say in large muted type that there is nothing to show yet, and end the painting."""
    painter.setPen(MUTED)
    painter.setFont(_font(40 * scale))
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    painter.end()


class RankingChart(QWidget):
    """Painted ranking: a block per group, a bar per card with its dots written out."""

    def __init__(self, *, top: int | None = None, parent: QWidget | None = None) -> None:
        """Make an empty chart; ``top`` cards per group (None: all)."""
        super().__init__(parent)
        self.setObjectName("rankingChart")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.top = top
        self.scale = 1.0
        self.empty_text = ""
        self._blocks: list[RankedBlock] = []

    def sizeHint(self) -> QSize:
        """Return a comfortable size on the console."""
        return QSize(900, 600)

    def blocks(self) -> list[RankedBlock]:
        """Return the blocks shown (each cut to ``top`` cards)."""
        return [RankedBlock(b.title, b.lines[: self.top]) for b in self._blocks]

    def set_blocks(self, blocks: list[RankedBlock]) -> None:
        """Show ``blocks``."""
        self._blocks = blocks
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the blocks in columns, or the empty text."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), PAPER)
        blocks = self.blocks()
        gap = 24 * self.scale
        area = QRectF(self.rect()).adjusted(gap, gap * 0.6, -gap, -gap * 0.6)
        if not blocks:
            _draw_empty(painter, area, self.empty_text, self.scale)
            return
        n = len(blocks)
        most = max((len(b.lines) for b in blocks), default=1)

        def size(columns: int) -> tuple[float, float, float]:
            rows = math.ceil(n / columns)
            block_w = (area.width() - (columns - 1) * gap) / columns
            block_h = (area.height() - (rows - 1) * gap) / rows
            # Per card: two lines of text and a bar; the title 1.6 lines. In type sizes.
            px = min(block_h / (1.6 + most * LINE_UNITS), 44 * self.scale, block_w / 16)
            return px, block_w, block_h

        columns = max(range(1, n + 1), key=lambda c: (size(c)[0], -c))
        px, block_w, block_h = size(columns)
        largest = max((line.dots for b in blocks for line in b.lines), default=0) or 1
        title_font, text_font = _font(px * 1.15, bold=True), _font(px)
        count_font = _font(px, bold=True)
        count_w = QFontMetricsF(count_font).horizontalAdvance(tr("ranking_dots", count=999))
        for number, block in enumerate(blocks):
            row, column = divmod(number, columns)
            box = QRectF(
                area.left() + column * (block_w + gap),
                area.top() + row * (block_h + gap),
                block_w,
                block_h,
            )
            painter.setFont(title_font)
            painter.setPen(NAVY)
            title = QFontMetricsF(title_font).elidedText(
                block.title, Qt.TextElideMode.ElideRight, box.width()
            )
            painter.drawText(
                QRectF(box.left(), box.top(), box.width(), px * 1.5),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                title,
            )
            top = box.top() + px * 1.6
            metrics = QFontMetricsF(text_font)
            for line in block.lines:
                painter.setFont(text_font)
                painter.setPen(INK)
                for number_of_line, text in enumerate(_two_lines(line.text, metrics, box.width())):
                    painter.drawText(
                        QRectF(
                            box.left(), top + number_of_line * px * 1.25, box.width(), px * 1.25
                        ),
                        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                        text,
                    )
                track = QRectF(box.left(), top + px * 2.55, box.width() - count_w, px * 1.1)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(TRACK)
                painter.drawRoundedRect(track, 5, 5)
                if line.dots:
                    painter.setBrush(BAR)
                    bar = QRectF(
                        track.left(), track.top(), track.width() * line.dots / largest, px * 1.1
                    )
                    painter.drawRoundedRect(bar, 5, 5)
                painter.setFont(count_font)
                painter.setPen(INK)
                painter.drawText(
                    QRectF(track.right() + px * 0.4, track.top(), count_w, track.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    tr("ranking_dots", count=line.dots),
                )
                top += px * LINE_UNITS
        painter.end()


def _two_lines(text: str, metrics: QFontMetricsF, width: float) -> list[str]:
    """Return ``text`` wrapped at words into at most two lines, the second elided."""
    words = text.split()
    first = ""
    while words and metrics.horizontalAdvance(f"{first} {words[0]}".strip()) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first:  # one word wider than the line
        return [metrics.elidedText(" ".join(words), Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    if not rest:
        return [first]
    return [first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]


class WordCloud(QWidget):
    """Painted word cloud: the biggest theme in the middle line, sizes by reflections."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty cloud."""
        super().__init__(parent)
        self.setObjectName("wordCloud")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.scale = 1.0
        self.empty_text = ""
        self._themes: list[Theme] = []
        self.placed: list[tuple[str, QRectF]] = []  # what the last paint drew, and where

    def sizeHint(self) -> QSize:
        """Return a comfortable size on the console."""
        return QSize(900, 600)

    def themes(self) -> list[Theme]:
        """Return the themes shown."""
        return list(self._themes)

    def set_themes(self, found: list[Theme]) -> None:
        """Show ``found``."""
        self._themes = found
        self.update()

    def _lines(self, width: float, largest_px: float) -> list[list[tuple[Theme, QFont, float]]]:
        most = max((t.count for t in self._themes), default=1)
        least = min((t.count for t in self._themes), default=1)
        lines: list[list[tuple[Theme, QFont, float]]] = [[]]
        used = 0.0
        for theme in self._themes:
            share = (theme.count - least) / (most - least) if most > least else 1.0
            font = _font(largest_px * (0.32 + 0.68 * math.sqrt(share)), bold=share > 0.5)
            w = QFontMetricsF(font).horizontalAdvance(theme.label) + largest_px * 0.5
            if lines[-1] and used + w > width:
                lines.append([])
                used = 0.0
            lines[-1].append((theme, font, w))
            used += w
        return lines

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the themes in centred lines, largest first, shrinking until all fit."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), PAPER)
        area = QRectF(self.rect()).adjusted(30, 20, -30, -20)
        self.placed = []
        if not self._themes:
            _draw_empty(painter, area, self.empty_text, self.scale)
            return
        largest = 150 * self.scale
        while True:
            lines = self._lines(area.width(), largest)
            height = sum(max(QFontMetricsF(f).height() for _t, f, _w in line) for line in lines)
            if height <= area.height() or largest < 10:
                break
            largest *= 0.9
        # The biggest words go to the middle: lines alternate below and above the first.
        middle: list[int] = []
        for i in range(len(lines)):
            if i % 2:
                middle.insert(0, i)
            else:
                middle.append(i)
        y = area.top() + (area.height() - height) / 2
        for number, index in enumerate(middle):
            line = lines[index]
            line_h = max(QFontMetricsF(f).height() for _t, f, _w in line)
            x = area.left() + (area.width() - sum(w for _t, _f, w in line)) / 2
            for position, (theme, font, w) in enumerate(line):
                painter.setFont(font)
                colour = CLOUD_COLOURS[(number + position) % len(CLOUD_COLOURS)]
                painter.setPen(QColor(colour))
                rect = QRectF(x, y, w, line_h)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, theme.label)
                self.placed.append((theme.label, rect))
                x += w
            y += line_h
        painter.end()


class PrioritiesView(QWidget):
    """The console's tab: the live ranking of the vote, its close button, and the themes.

    Signals:
        themesOrganisationChanged(object): the organisation (id, or None for everyone)
            whose themes were picked; the projector's word cloud follows it.
    """

    themesOrganisationChanged = Signal(object)

    def __init__(self, room: Room, bridge: RoomBridge, parent: QWidget | None = None) -> None:
        """Show ``room``'s votes and themes, following ``bridge``."""
        super().__init__(parent)
        self.setObjectName("prioritiesView")
        self._room = room
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.heading = plain_label("rankingHeading", 18, bold=True, wrap=True)
        head.addWidget(self.heading, 1)
        self.room_vote_button = big_button("roomVote", 14)
        self.room_vote_button.clicked.connect(self._start_room_vote)
        head.addWidget(self.room_vote_button)
        self.close_button = big_button("closeVoting", 14)
        self.close_button.clicked.connect(self._toggle_closed)
        head.addWidget(self.close_button)
        layout.addLayout(head)
        self.status_label = plain_label("rankingStatus", 13, wrap=True)
        layout.addWidget(self.status_label)
        self.chart = RankingChart()
        self.chart.setMinimumHeight(320)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.chart)
        layout.addWidget(scroll, 3)
        themes_head = QHBoxLayout()
        self.themes_heading = plain_label("themesHeading", 16, bold=True)
        themes_head.addWidget(self.themes_heading)
        self.org_combo = QComboBox()
        self.org_combo.setObjectName("themesOrganisation")
        self.org_combo.activated.connect(self._pick_organisation)
        themes_head.addWidget(self.org_combo)
        self.cloud_hint = plain_label("themesCloudHint", 12, wrap=True)
        themes_head.addWidget(self.cloud_hint, 1)
        themes_head.addStretch(1)
        layout.addLayout(themes_head)
        self.themes_label = plain_label("themesList", 14, wrap=True)
        self.themes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.themes_label, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(RECOUNT_MS)
        self._timer.timeout.connect(self.refresh)
        bridge.votesChanged.connect(lambda _index: self._schedule())
        bridge.phaseChanged.connect(self._schedule)
        bridge.reflectionChanged.connect(lambda _rid, _mod: self._schedule())
        self.retranslate()

    def _pick_organisation(self, _index: int) -> None:
        self.refresh()
        self.themesOrganisationChanged.emit(self.org_combo.currentData())

    def _schedule(self) -> None:
        # Hidden, it does nothing: the themes of a busy room are not recounted for nobody;
        # showing the tab brings it up to date (showEvent).
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        """Bring the ranking up to date when the tab is opened."""
        super().showEvent(event)
        self.refresh()

    def phase_index(self) -> int | None:
        """Return the prioritise phase shown (None: the program has none yet)."""
        return vote_phase(self._room.live)

    def _start_room_vote(self) -> None:
        try:
            self._room.live.start_room_vote(tr("room_vote_title"))
        except ValueError:
            self.status_label.setText(tr("room_vote_none"))
            return
        self.refresh()

    def _toggle_closed(self) -> None:
        index = self.phase_index()
        if index is None:
            return
        votes = self._room.live.votes
        votes.close(index, votes.is_open(index))
        self.refresh()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.themes_heading.setText(tr("themes_heading"))
        self.room_vote_button.setText(tr("room_vote"))
        self.room_vote_button.setToolTip(tr("room_vote_tip"))
        self.cloud_hint.setText(tr("themes_cloud_hint"))
        self.chart.empty_text = tr("ranking_empty")
        chosen = self.org_combo.currentData()
        self.org_combo.clear()
        self.org_combo.addItem(tr("themes_everyone"), None)
        for org in self._room.series.organisations:
            self.org_combo.addItem(org.name, org.id)
        index = self.org_combo.findData(chosen)
        self.org_combo.setCurrentIndex(max(index, 0))
        self.refresh()

    def refresh(self) -> None:
        """Recount the ranking and the themes."""
        self._timer.stop()
        live = self._room.live
        index = self.phase_index()
        if index is None:
            self.heading.setText(tr("ranking_no_phase"))
            self.status_label.setText("")
            self.close_button.setEnabled(False)
            self.close_button.setText(tr("ranking_close"))
            self.chart.set_blocks([])
        else:
            phase = live.program[index]
            self.heading.setText(tr("ranking_heading", title=phase.title))
            open_now = live.votes.is_open(index)
            voters = len({pid for p_index, pid, _c, _d in live.votes.rows() if p_index == index})
            self.status_label.setText(
                tr(
                    "ranking_status_open" if open_now else "ranking_status_closed",
                    voters=voters,
                    dots=phase.dots,
                    per_card=phase.per_card,
                )
            )
            running = live.phase_open(index)
            self.close_button.setEnabled(running)
            self.close_button.setText(
                tr("ranking_close") if open_now or not running else tr("ranking_reopen")
            )
            self.chart.set_blocks(ranking_blocks(self._room, index))
        found = session_themes(self._room, self.org_combo.currentData(), top=20)
        self.themes_label.setText(
            "   ".join(f"{t.label} ({t.count})" for t in found) or tr("themes_none")
        )
