"""The roster's role cell: the role and its function where they fit, else the role alone."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from facilitator_ui.roster_model import RosterRole

CELL_MARGIN = 8  # what the style takes inside a cell's text area (focus frame, rounding)


class RoleDelegate(QStyledItemDelegate):
    """The roster's role cell: role and function if they fit, else the role alone."""

    def shown_text(self, index: QModelIndex, width: int, metrics: QFontMetrics) -> str:
        """Return what the cell shows at ``width`` pixels (the role alone if it must)."""
        full = str(index.data() or "")
        word = index.data(RosterRole.ROLE_WORD)
        if word and metrics.horizontalAdvance(full) + CELL_MARGIN > width:
            return str(word)
        return full

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        """Fill in the cell as usual, with the text that fits the style's text area."""
        super().initStyleOption(option, index)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, widget)
        option.text = self.shown_text(index, text_rect.width(), option.fontMetrics)
