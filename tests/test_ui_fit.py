"""The console fits its own content (issue 16): at 1280×720 (a common projector) and at
1920×1080, in Swedish and English, the window is the screen's size, no menu hides behind "»",
the phase bar keeps one height on every tab, and no name, role, phase or button text is cut."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QMenuBar,
    QStyle,
    QStyleOptionViewItem,
    QTabBar,
    QToolButton,
    QTreeView,
    QWidget,
)

from app import i18n
from app.room import Room
from facilitator_ui.main_window import MainWindow
from tests.ui_helpers import join_info

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import screenshot_console as scenes  # noqa: E402  - the README's rooms, also used here

SIZES = [(1280, 720), (1920, 1080)]


def cut_texts(root: QWidget) -> list[str]:
    """Texts drawn narrower than they are: labels, buttons, tabs, combo boxes, tree cells."""
    cut = []
    for label in root.findChildren(QLabel):
        text = label.text()
        if not label.isVisible() or not text or label.wordWrap() or label.pixmap():
            continue
        need = label.fontMetrics().horizontalAdvance(text)
        if need > label.contentsRect().width() + 1:
            cut.append(f"label {label.objectName()}: {text!r} {need}>{label.width()}")
    for button in root.findChildren(QAbstractButton):
        text = button.text().replace("&", "")
        if not button.isVisible() or not text or isinstance(button, QToolButton):
            continue
        need = button.fontMetrics().horizontalAdvance(text)
        if need > button.width() - 8:
            cut.append(f"button {button.objectName()}: {text!r} {need}>{button.width()}")
    for bar in root.findChildren(QTabBar):
        for i in range(bar.count()):
            need = bar.fontMetrics().horizontalAdvance(bar.tabText(i).replace("&", ""))
            if bar.isVisible() and need > bar.tabRect(i).width() - 8:
                cut.append(f"tab {bar.tabText(i)!r}")
    for combo in root.findChildren(QComboBox):
        text = combo.currentText()
        need = combo.fontMetrics().horizontalAdvance(text) + 20  # the arrow
        if combo.isVisible() and text and need > combo.width():
            cut.append(f"combo {combo.objectName()}: {text!r}")
    for view in root.findChildren(QTreeView):
        if not view.isVisible():
            continue
        model = view.model()
        fm = view.fontMetrics()
        index = view.indexAt(view.viewport().rect().topLeft())
        while index.isValid() and view.visualRect(index).top() < view.viewport().height():
            for column in range(model.columnCount(index.parent())):
                cell = index.siblingAtColumn(column)
                if not cell.data():
                    continue
                # What the view's delegate draws, in the text area the style gives it.
                option = QStyleOptionViewItem()
                option.rect = view.visualRect(cell)
                option.font = view.font()
                option.fontMetrics = fm
                option.widget = view
                delegate = view.itemDelegateForIndex(cell)
                try:
                    delegate.initStyleOption(option, cell)
                except (AttributeError, TypeError):  # a C++ delegate: the plain text
                    option.text = str(cell.data())
                    option.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
                area = view.style().subElementRect(
                    QStyle.SubElement.SE_ItemViewItemText, option, view
                )
                need = fm.horizontalAdvance(option.text)
                if need > area.width():
                    cut.append(f"cell {option.text!r} {need}>{area.width()}")
            index = view.indexBelow(index)
    return cut


def menus_hidden(window: MainWindow) -> bool:
    bar = window.findChild(QMenuBar)
    extension = bar.findChild(QToolButton, "qt_menubar_ext_button")
    return extension is not None and extension.isVisible()


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_console_fits_its_content(
    qtbot,
    room: Room,
    lang: str,
    size: tuple[int, int],  # noqa: ANN001
) -> None:
    i18n.set_language(lang)
    window = MainWindow(room, join_info(room))
    qtbot.addWidget(window)
    scenes.populate(room)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    app = QApplication.instance()
    assert window.size().toTuple() == size, "the window's minimum is larger than the screen"
    assert not menus_hidden(window)

    problems = []
    heights = set()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        app.processEvents()
        heights.add(window.phase_bar.height())
        problems += [f"tab {tab}: {p}" for p in cut_texts(window)]
    assert len(heights) == 1, f"the phase bar changes height between tabs: {heights}"

    # A group phase running, with its groups: title, prompt, countdown, names and roles.
    scenes.populate_crowd(room)
    room.live.start(1)
    room.live.make_groups(size=6)
    window.tabs.setCurrentWidget(window.groups_view)
    window.groups_view.refresh_now()
    app.processEvents()
    assert window.phase_bar.height() in heights
    problems += [f"groups: {p}" for p in cut_texts(window)]
    assert not problems, "\n".join(problems)
