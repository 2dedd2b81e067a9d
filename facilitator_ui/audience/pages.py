"""The projector's pages made of widgets: joining (QR code, address, room code) and thanks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QFont,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from facilitator_ui.audience.look import fit_pixels, font_px
from facilitator_ui.common import (
    plain_label,
)
from facilitator_ui.qr_widget import QrWidget


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
        self.heading_label.setFont(font_px(104 * scale, bold=True))
        for label in (self.scan_label, self.or_type_label, self.then_label):
            label.setFont(font_px(46 * scale))
        mono = font_px(60 * scale, bold=True, mono=True)
        mono.setPixelSize(
            round(fit_pixels(self.address_label.text() or "x", mono, column_width, 64 * scale))
        )
        self.address_label.setFont(mono)
        code = font_px(150 * scale, bold=True)
        code.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 10 * scale)
        self.code_label.setFont(code)
        pad = round(8 * scale)
        self.code_label.setContentsMargins(round(24 * scale), pad, round(24 * scale), pad)
        self.count_label.setFont(font_px(54 * scale, bold=True))


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
        self.thanks_label.setFont(font_px(150 * scale, bold=True))
        self.line_label.setFont(font_px(52 * scale))
