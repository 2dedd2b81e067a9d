"""How the projector looks: design size, colours and type that scale with the window.

Shared by the audience window's pages and stages (:mod:`facilitator_ui.audience`): the room
is read from the back, so type is sized in pixels at a 1920×1080 design and scaled, dark on
white. :class:`Stage` is the base of the pages painted directly.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
)
from PySide6.QtWidgets import (
    QSizePolicy,
    QWidget,
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


def font_px(pixels: float, *, bold: bool = False, mono: bool = False) -> QFont:
    """Return the system's (or its fixed-width) font at ``pixels`` pixels."""
    font = QFontDatabase.systemFont(
        QFontDatabase.SystemFont.FixedFont if mono else QFontDatabase.SystemFont.GeneralFont
    )
    font.setPixelSize(max(8, round(pixels)))
    font.setBold(bold)
    return font


def fit_pixels(text: str, font: QFont, width: float, largest: float) -> float:
    """Return the largest pixel size up to ``largest`` at which ``text`` fits ``width``."""
    probe = QFont(font)
    probe.setPixelSize(100)
    advance = QFontMetricsF(probe).horizontalAdvance(text) or 1.0
    return max(8.0, min(largest, 100.0 * width / advance * 0.97))


class Stage(QWidget):
    """A page painted directly: type sized to fit, white paper, a message when empty."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty_text = ""
        self.scale = 1.0

    def sizeHint(self) -> QSize:
        """Return a size near the projector's shape."""
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
        painter.setFont(font_px(56 * self.scale))
        painter.drawText(
            self.rect().adjusted(40, 40, -40, -40),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.empty_text,
        )
