"""A QR code widget that stays crisp at any size, for projecting a join link."""

from __future__ import annotations

import logging

import qrcode
import qrcode.constants
import qrcode.exceptions
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.i18n import tr

log = logging.getLogger(__name__)

# The quiet zone the QR standard asks for, in modules: phone scanners need it to lock on.
BORDER = 4
_DARK = QColor("#000000")
_LIGHT = QColor("#ffffff")


def qr_matrix(text: str) -> list[list[bool]]:
    """Return the QR modules of ``text`` (True = dark), quiet zone included.

    Error correction level M survives a projector's glare and a smudged screen while keeping
    the modules of a typical join link large.

    Raises:
        qrcode.exceptions.DataOverflowError: if ``text`` does not fit in any QR version.
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=BORDER, box_size=1
    )
    code.add_data(text)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


class QrWidget(QWidget):
    """Shows ``text`` as a QR code, square and as large as the widget allows.

    Every module is a whole number of device pixels and is drawn without smoothing: blurred
    module edges are what makes a phone fail to read a code off a projector.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        """Make the widget, showing ``text`` (nothing if empty).

        Args:
            text: what the QR code encodes.
            parent: the usual Qt parent.
        """
        super().__init__(parent)
        self._text = ""
        self._image = QImage()
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.retranslate()
        self.setText(text)

    def text(self) -> str:
        """Return the text the QR code encodes."""
        return self._text

    def setText(self, text: str) -> None:
        """Encode ``text``; an empty or too long text shows no code."""
        if text == self._text and not self._image.isNull():
            return
        self._text = text
        self._image = QImage()
        if text:
            try:
                self._image = self._render(qr_matrix(text))
            except qrcode.exceptions.DataOverflowError:
                log.error("text too long for a QR code (%d characters)", len(text))
        self.setAccessibleDescription(text)
        self.updateGeometry()
        self.update()

    def retranslate(self) -> None:
        """Set the accessible name in the current language."""
        self.setAccessibleName(tr("qr_accessible"))

    def modules(self) -> int:
        """Return the number of modules per side, quiet zone included (0 when empty)."""
        return self._image.width()

    @staticmethod
    def _render(matrix: list[list[bool]]) -> QImage:
        # One pixel per module; painting scales it by a whole factor without smoothing.
        size = len(matrix)
        image = QImage(size, size, QImage.Format.Format_RGB32)
        image.fill(_LIGHT)
        dark = _DARK.rgb()
        for y, row in enumerate(matrix):
            for x, module in enumerate(row):
                if module:
                    image.setPixel(x, y, dark)
        return image

    # -- QWidget ------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        """Prefer a size that a phone reads from the back of a room."""
        return QSize(440, 440)

    def minimumSizeHint(self) -> QSize:
        """Never shrink below two device pixels per module."""
        side = max(self.modules() * 2, 120)
        return QSize(side, side)

    def hasHeightForWidth(self) -> bool:
        """Return True: the code is square."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Return ``width``: the code is square."""
        return width

    def code_rect(self) -> QRect:
        """Return where the code (quiet zone included) is drawn, in logical pixels.

        Empty when there is no code. Its side is a whole number of device pixels per module.
        """
        device = self._device_rect()
        ratio = self.devicePixelRatioF()
        if device.isEmpty() or ratio == 1.0:
            return device
        return QRect(
            round(device.x() / ratio),
            round(device.y() / ratio),
            round(device.width() / ratio),
            round(device.height() / ratio),
        )

    def _device_rect(self) -> QRect:
        # Device pixels, so module edges land on the pixel grid at any display scaling.
        if self._image.isNull():
            return QRect()
        ratio = self.devicePixelRatioF()
        width_px = round(self.width() * ratio)
        height_px = round(self.height() * ratio)
        modules = self._image.width()
        scale = max(min(width_px, height_px) // modules, 1)
        side = modules * scale
        return QRect((width_px - side) // 2, (height_px - side) // 2, side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the code centred, with whole device pixels per module."""
        target = self._device_rect()
        if target.isEmpty():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        ratio = self.devicePixelRatioF()
        painter.scale(1 / ratio, 1 / ratio)
        painter.drawImage(target, self._image)
        painter.end()
