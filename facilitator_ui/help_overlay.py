"""A translucent overlay over the console listing every keyboard shortcut (F1 or ?).

The rows come from :data:`facilitator_ui.shortcuts.SHORTCUTS`, the same table the keys are
registered from. Esc, a click, F1 or ? close it again.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from app.i18n import tr
from facilitator_ui.common import discard, plain_label
from facilitator_ui.shortcuts import SHORTCUTS, Command, key_text, shortcut

_SHADE = QColor(13, 27, 42, 190)
_STYLE = """
#helpPanel { background: #ffffff; border: 3px solid #0b3d91; border-radius: 16px; }
#helpTitle { color: #0b3d91; }
#helpKey {
    color: #0d1b2a; background: #eef1f5; border: 2px solid #8a96a8; border-radius: 8px;
    padding: 2px 12px;
}
#helpOr { color: #5f6368; }
#helpText { color: #0d1b2a; }
#helpFooter { color: #2b2f36; }
"""


class HelpOverlay(QWidget):
    """Covers its parent window with a shade and a panel of the shortcuts.

    Attributes:
        rows: per listed shortcut, its command and the key texts shown.
    """

    def __init__(self, parent: QWidget) -> None:
        """Make the (hidden) overlay over ``parent``, following its size."""
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setStyleSheet(_STYLE)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.rows: list[tuple[Command, list[str], str]] = []
        outer = QVBoxLayout(self)
        outer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._panel = QFrame()
        self._panel.setObjectName("helpPanel")
        panel_layout = QVBoxLayout(self._panel)
        panel_layout.setContentsMargins(36, 24, 36, 24)
        panel_layout.setSpacing(16)
        self._title = plain_label("helpTitle", 26, bold=True)
        panel_layout.addWidget(self._title)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(12)
        panel_layout.addLayout(self._grid)
        self._footer = plain_label("helpFooter", 13)
        panel_layout.addWidget(self._footer)
        outer.addWidget(self._panel)
        parent.installEventFilter(self)
        self.hide()
        self.retranslate()

    def retranslate(self) -> None:
        """List the shortcuts, and set every text, in the current language."""
        self._title.setText(tr("help_title"))
        self._footer.setText(
            tr("help_footer", keys=" / ".join(key_text(k) for k in shortcut(Command.HELP).keys))
        )
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                discard(item.widget())
        self.rows = []
        widest = max(len(row.keys) for row in SHORTCUTS)
        for line, row in enumerate(SHORTCUTS):
            texts = [key_text(keys) for keys in row.keys]
            column = 0
            for number, text in enumerate(texts):
                if number:
                    word = plain_label("helpOr", 15)
                    word.setText(tr("help_or"))
                    self._grid.addWidget(word, line, column)
                    column += 1
                chip = plain_label("helpKey", 17, bold=True)
                chip.setText(text)
                chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self._grid.addWidget(chip, line, column)
                column += 1
            description = plain_label("helpText", 17)
            description.setText(tr(row.text_key))
            self._grid.addWidget(description, line, 2 * widest)
            self.rows.append((row.command, texts, description.text()))
        self._grid.setColumnMinimumWidth(2 * widest - 1, 12)

    def toggle(self) -> None:
        """Show the overlay, or hide it when shown."""
        if self.isVisible():
            self.hide()
        else:
            self.open()

    def open(self) -> None:
        """Cover the parent window and take the keyboard focus."""
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Follow the parent's size."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Close on Esc (F1 and ? close it through their shortcut)."""
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Close on a click anywhere."""
        self.hide()
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Shade the window under the panel."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), _SHADE)
        painter.end()
