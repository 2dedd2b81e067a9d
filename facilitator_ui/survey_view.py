"""Survey results, live: a bar per answer value for every Likert item, and the open answers.

Results are recounted from :meth:`app.live.Live.survey_results` at most a few times a second
(answers arrive in bursts when the survey phase starts), and the bars are painted directly:
no widget per bar, so a repaint is a handful of rectangles. Open answers are shown as plain
text, with the organisation but never the name of who wrote them.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.live import Live
from app.model import SurveyItem, SurveyKind
from app.room import Room
from app.survey import LikertResult, SurveyResults
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import plain_label

RECOUNT_MS = 150
BAR_HEIGHT = 30
BAR_GAP = 6
LABEL_POINT_SIZE = 14
ALL_ORGANISATIONS = -1
# From "instämmer inte alls" (1) to "instämmer helt" (5); the words are always next to them.
VALUE_COLOURS = ("#c92a2a", "#e8590c", "#868e96", "#5c940d", "#2b8a3e")


class LikertBars(QWidget):
    """Five horizontal bars, one per answer value, with the count and share at each bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make an empty chart."""
        super().__init__(parent)
        self.setObjectName("likertBars")
        self._counts: tuple[int, ...] = (0, 0, 0, 0, 0)
        font = QFont(self.font())
        font.setPointSize(LABEL_POINT_SIZE)
        font.setBold(True)
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())

    def counts(self) -> tuple[int, ...]:
        """Return the counts shown, for values 1 to 5."""
        return self._counts

    def set_counts(self, counts: tuple[int, ...]) -> None:
        """Show new counts (repaints only if they changed)."""
        if tuple(counts) != self._counts:
            self._counts = tuple(counts)
            self.setAccessibleDescription(
                ", ".join(f"{v + 1}: {c}" for v, c in enumerate(self._counts))
            )
            self.update()

    def sizeHint(self) -> QSize:
        """Return room for five bars."""
        return QSize(400, 5 * BAR_HEIGHT + 4 * BAR_GAP)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the bars: value, bar scaled to the largest count, then "count (share %)"."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        total = sum(self._counts)
        largest = max(self._counts) or 1
        value_width = metrics.horizontalAdvance("5") + 14
        text_width = metrics.horizontalAdvance("9999 (100 %)") + 12
        bar_space = max(10.0, self.width() - value_width - text_width)
        for value, count in enumerate(self._counts):
            top = value * (BAR_HEIGHT + BAR_GAP)
            painter.setPen(QColor("#111111"))
            painter.drawText(
                QRectF(0, top, value_width - 8, BAR_HEIGHT),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(value + 1),
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e9ecef"))
            track = QRectF(value_width, top + 3, bar_space, BAR_HEIGHT - 6)
            painter.drawRoundedRect(track, 4, 4)
            if count:
                painter.setBrush(QColor(VALUE_COLOURS[value]))
                bar = QRectF(track.left(), track.top(), bar_space * count / largest, track.height())
                painter.drawRoundedRect(bar, 4, 4)
            share = round(100 * count / total) if total else 0
            painter.setPen(QColor("#111111"))
            painter.drawText(
                QRectF(value_width + bar_space + 8, top, text_width, BAR_HEIGHT),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                tr("survey_bar_count", count=count, share=share),
            )


class LikertBlock(QFrame):
    """One Likert item: its statement, the bars, and the mean with the number of answers."""

    def __init__(self, item: SurveyItem, parent: QWidget | None = None) -> None:
        """Show ``item`` with no answers yet."""
        super().__init__(parent)
        self.setObjectName("likertBlock")
        self.item = item
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        self.text_label = plain_label("likertText", 17, bold=True, wrap=True)
        self.text_label.setText(item.text)
        layout.addWidget(self.text_label)
        self.bars = LikertBars()
        layout.addWidget(self.bars)
        self.mean_label = plain_label("likertMean", 14)
        layout.addWidget(self.mean_label)
        self._counts: tuple[int, ...] = (0, 0, 0, 0, 0)

    def show_counts(self, counts: tuple[int, ...]) -> None:
        """Show the counts for values 1 to 5."""
        self._counts = tuple(counts)
        self.bars.set_counts(self._counts)
        self.retranslate()

    def retranslate(self) -> None:
        """Set the mean line in the current language."""
        total = sum(self._counts)
        if total:
            mean = sum((v + 1) * c for v, c in enumerate(self._counts)) / total
            self.mean_label.setText(tr("survey_mean", mean=f"{mean:.1f}", count=total))
        else:
            self.mean_label.setText(tr("survey_no_answers"))


class SurveyView(QFrame):
    """Live survey results, overall or for one organisation.

    Attributes:
        organisation_combo: every organisation, or one.
        respondents_label: how many answered (overall).
        likert_blocks: one block per Likert item, by item key.
        open_lists: one list of answers per open question, by item key.
    """

    def __init__(self, room: Room, bridge: RoomBridge, parent: QWidget | None = None) -> None:
        """Build one block per survey item and follow ``bridge``'s survey answers."""
        super().__init__(parent)
        self.setObjectName("surveyView")
        self._room = room
        self._live: Live = room.live
        self._results: SurveyResults | None = None
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(RECOUNT_MS)
        self._recount.timeout.connect(self.refresh)
        self.likert_blocks: dict[str, LikertBlock] = {}
        self.open_lists: dict[str, QListWidget] = {}
        self._open_captions: dict[str, QWidget] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)
        toolbar = QHBoxLayout()
        self._heading = plain_label("surveyHeading", 22, bold=True)
        self.respondents_label = plain_label("respondents", 17, bold=True)
        self._org_caption = plain_label("surveyOrgCaption", 14, bold=True)
        self.organisation_combo = QComboBox()
        self.organisation_combo.setObjectName("surveyOrganisation")
        self.organisation_combo.setMinimumWidth(260)
        toolbar.addWidget(self._heading)
        toolbar.addSpacing(18)
        toolbar.addWidget(self.respondents_label)
        toolbar.addStretch(1)
        toolbar.addWidget(self._org_caption)
        toolbar.addWidget(self.organisation_combo)
        layout.addLayout(toolbar)
        self._scale_label = plain_label("surveyScale", 13)
        layout.addWidget(self._scale_label)

        # Likert blocks scroll; the open answers keep the right-hand side, each list with an
        # equal share of the height, so new answers are in view without scrolling the page.
        body = QHBoxLayout()
        body.setSpacing(16)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        host = QWidget()
        host.setObjectName("surveyHost")
        likert_column = QVBoxLayout(host)
        likert_column.setContentsMargins(0, 0, 0, 0)
        likert_column.setSpacing(10)
        open_column = QVBoxLayout()
        open_column.setSpacing(6)
        for item in self._live.survey:
            if item.kind == SurveyKind.LIKERT:
                block = LikertBlock(item)
                likert_column.addWidget(block)
                self.likert_blocks[item.key] = block
            else:
                caption = plain_label("openQuestion", 16, bold=True, wrap=True)
                caption.setText(item.text)
                answers = QListWidget()
                answers.setObjectName("openAnswers")
                answers.setWordWrap(True)
                answers.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
                answers.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
                font = answers.font()
                font.setPointSize(15)
                answers.setFont(font)
                answers.setAccessibleName(item.text)
                open_column.addWidget(caption)
                open_column.addWidget(answers, 1)
                self.open_lists[item.key] = answers
                self._open_captions[item.key] = caption
        likert_column.addStretch(1)
        scroll.setWidget(host)
        body.addWidget(scroll, 3)
        if self.open_lists:
            body.addLayout(open_column, 2)
        layout.addLayout(body, 1)

        self.organisation_combo.activated.connect(lambda _i: self._show())
        bridge.surveyAnswered.connect(self._schedule)
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def organisation(self) -> int:
        """Return the organisation shown (its id), or -1 for every organisation."""
        data = self.organisation_combo.currentData()
        return ALL_ORGANISATIONS if data is None else int(data)

    def set_organisation(self, organisation_id: int) -> None:
        """Show one organisation's answers (or ``-1``: everyone's)."""
        self.organisation_combo.setCurrentIndex(
            max(self.organisation_combo.findData(organisation_id), 0)
        )
        self._show()

    def refresh(self) -> None:
        """Recount the results now."""
        self._recount.stop()
        self._results = self._live.survey_results()
        self._show()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self._heading.setText(tr("survey_heading"))
        self._org_caption.setText(tr("survey_organisation"))
        self._scale_label.setText(tr("survey_scale"))
        current = self.organisation()
        self.organisation_combo.clear()
        self.organisation_combo.addItem(tr("survey_all_organisations"), ALL_ORGANISATIONS)
        for org in self._room.series.organisations:
            self.organisation_combo.addItem(org.name, org.id)
        self.organisation_combo.setCurrentIndex(max(self.organisation_combo.findData(current), 0))
        self.refresh()

    # -- showing ------------------------------------------------------------------------------

    def _schedule(self, _participant_id: str = "") -> None:
        if not self._recount.isActive():
            self._recount.start()

    def showEvent(self, event: QShowEvent) -> None:
        """Recount when the tab is shown (cheap, and never stale)."""
        super().showEvent(event)
        self.refresh()

    def _counts(self, result: LikertResult) -> tuple[int, ...]:
        org = self.organisation()
        if org == ALL_ORGANISATIONS:
            return result.counts
        return result.by_organisation.get(org, (0, 0, 0, 0, 0))

    def _show(self) -> None:
        results = self._results
        if results is None:
            return
        self.respondents_label.setText(tr("survey_respondents", count=results.respondents))
        for result in results.likert:
            block = self.likert_blocks.get(result.item.key)
            if block is not None:
                block.show_counts(self._counts(result))
        org = self.organisation()
        for key, answers in self.open_lists.items():
            shown = [
                (text, self._room.organisation_name(org_id) or tr("org_unknown"))
                for org_id, text in results.open_answers.get(key, ())
                if org == ALL_ORGANISATIONS or org_id == org
            ]
            self._fill_open(answers, shown)

    def _fill_open(self, answers: QListWidget, shown: list[tuple[str, str]]) -> None:
        texts = [tr("survey_open_answer", text=text, organisation=org) for text, org in shown]
        if not texts:
            texts = [tr("survey_no_open_answers")]
        current = [answers.item(i).text() for i in range(answers.count())]
        if current == texts:
            return
        # Answers only ever get added or edited: reuse rows, append the rest.
        for row, text in enumerate(texts):
            if row < answers.count():
                if answers.item(row).text() != text:
                    answers.item(row).setText(text)
            else:
                answers.addItem(QListWidgetItem(text))
        while answers.count() > len(texts):
            answers.takeItem(answers.count() - 1)
