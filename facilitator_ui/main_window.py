"""The facilitator console's main window: the join panel for the projector, and the roster.

The left half is meant to be projected: a large QR code, the address it encodes written out,
the short address and the room code in very large type, so people at the back of the room can
join. The right half is the facilitator's live roster. All texts come from :mod:`app.i18n`;
everything participants or the network supplied is shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import tr
from app.room import JoinInfo, Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.qr_widget import QrWidget
from facilitator_ui.roster_model import Column, RosterModel

BASE_POINT_SIZE = 14
ROSTER_POINT_SIZE = 15
ROOM_CODE_PIXEL_SIZE = 88
QR_MINIMUM = 360
NAME_COLUMN_MAX = 360
CELL_PADDING = 34  # item padding from the style sheet, the style's margins, and some air
STATUS_MESSAGE_MS = 4000

# Colours picked for contrast on a projector as much as on a laptop screen.
STYLE_SHEET = """
QMainWindow, #console { background: #eef1f5; }
#joinPanel, #rosterPanel {
    background: #ffffff;
    border: 1px solid #c9d0da;
    border-radius: 10px;
}
#sessionLine { color: #0d1b2a; }
#joinHeading, #rosterHeading { color: #0b3d91; }
#scanHint, #orTypeLine, #codeCaption { color: #2b2f36; }
#joinAddress { color: #0d1b2a; }
#roomCode {
    color: #0d1b2a;
    background: #f4f6f9;
    border: 2px solid #0d1b2a;
    border-radius: 12px;
    padding: 2px 16px;
}
#totals { color: #1b6e2a; }
#emptyHint { color: #2b2f36; }
#warningBanner {
    background: #ffb300;
    border: 2px solid #8a5a00;
    border-radius: 8px;
}
#warningBanner QLabel { color: #1a1300; }
#copyButton {
    background: #0b3d91;
    color: #ffffff;
    border: none;
    border-radius: 8px;
    padding: 8px 18px;
    font-size: 14pt;
    font-weight: bold;
}
#copyButton:hover { background: #124fb8; }
#copyButton:pressed { background: #082c69; }
#copyButton:focus { outline: none; border: 3px solid #ffb300; }
QMenuBar, QMenu, QStatusBar { font-size: 13pt; }
QMenu::item { padding: 6px 28px 6px 28px; }
QTreeView {
    background: #ffffff;
    alternate-background-color: #f4f6f9;
    border: none;
    color: #111111;
}
QTreeView::item { padding: 3px 4px; }
QHeaderView::section {
    background: #e3e8ef;
    color: #111111;
    border: none;
    border-bottom: 2px solid #c9d0da;
    padding: 6px 8px;
    font-weight: bold;
}
"""


def _label(name: str, point_size: int | None = None, *, bold: bool = False) -> QLabel:
    """Return a plain-text label; every label here may show network or participant text."""
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if point_size is not None or bold:
        font = label.font()
        if point_size is not None:
            font.setPointSize(point_size)
        font.setBold(bold)
        label.setFont(font)
    return label


class MainWindow(QMainWindow):
    """The console window: join panel, live roster, and the File and Language menus.

    Attributes:
        bridge: the room's events as Qt signals (one per room; reuse it for other models).
        roster_model: the roster shown on the right.
        roster_view: the tree view over :attr:`roster_model`.
        qr_widget: the QR code of the join address.
        address_label: the join address written out, exactly what the QR code encodes.
        code_label: the room code in very large type.
        totals_label: "12 joined · 9 connected now".
        banner: the amber warning banner (hidden when there is nothing to warn about).

    Signals:
        languageChanged(str): the user picked a language in the menu (e.g. to remember it).
        closed(): the window was closed (File > Quit, Ctrl+Q or the window manager); the
            composition root stops the server and the loop on it.
    """

    languageChanged = Signal(str)
    closed = Signal()

    def __init__(self, room: Room, join_info: JoinInfo, parent: QWidget | None = None) -> None:
        """Build the window for ``room``, showing how to reach it per ``join_info``.

        Args:
            room: the live room; the roster follows its events.
            join_info: the addresses and code to show (see :meth:`set_join_info`).
            parent: the usual Qt parent (normally None: this is a top-level window).
        """
        super().__init__(parent)
        self._room = room
        self._join_info = join_info
        self.bridge = RoomBridge(room, self)
        self.roster_model = RosterModel(room, self.bridge, self)

        font = self.font()
        font.setPointSize(BASE_POINT_SIZE)
        self.setFont(font)
        self.setStyleSheet(STYLE_SHEET)

        central = QWidget()
        central.setObjectName("console")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(18, 12, 18, 12)
        outer.setSpacing(12)

        header = QHBoxLayout()
        self._session_label = _label("sessionLine", 18, bold=True)
        self._session_label.setWordWrap(True)
        header.addWidget(self._session_label, 1)
        # The link is for remote participants (pasted into the meeting chat), so the button
        # sits with the facilitator's controls rather than in the projected join panel.
        self._copy_button = QPushButton()
        self._copy_button.setObjectName("copyButton")
        self._copy_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._copy_button.clicked.connect(self._copy_link)
        header.addWidget(self._copy_button)
        outer.addLayout(header)

        self.banner = self._build_banner()
        outer.addWidget(self.banner)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(12)
        splitter.addWidget(self._build_join_panel())
        splitter.addWidget(self._build_roster_panel())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 1040])
        outer.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.statusBar()  # made now, so a first message does not shift the layout
        self.roster_model.totalsChanged.connect(self._show_totals)
        self.retranslate()  # also shows join_info, in the current language

    # -- public API ---------------------------------------------------------------------------

    @property
    def join_info(self) -> JoinInfo:
        """The join information currently shown."""
        return self._join_info

    def set_join_info(self, info: JoinInfo) -> None:
        """Show new join information (e.g. after the server restarted on another port)."""
        self._join_info = info
        self.qr_widget.setText(info.join_url)
        self.address_label.setText(info.join_url)
        self.code_label.setText(info.room_code)
        self._or_type_label.setText(tr("join_or_type", address=info.base_url))
        self._port_warning.setText(
            tr("warn_port_fallback", requested=info.requested_port, port=info.port)
        )
        self._port_warning.setVisible(info.port_fallback)
        self._loopback_warning.setText(tr("warn_loopback"))
        self._loopback_warning.setVisible(info.loopback_only)
        self.banner.setVisible(info.port_fallback or info.loopback_only)

    def language_action(self, lang: str) -> QAction:
        """Return the Language menu's action for ``lang`` (e.g. to trigger it from a test)."""
        return self._language_actions[lang]

    def retranslate(self) -> None:
        """Set every text in the current language (call after :func:`app.i18n.set_language`)."""
        self.setWindowTitle(tr("app_title"))
        session = self._room.session
        self._session_label.setText(
            tr(
                "session_line",
                series=self._room.series.name,
                number=session.number,
                theme=session.theme,
                subtitle=session.subtitle,
            )
        )
        self._join_heading.setText(tr("join_heading"))
        self._scan_label.setText(tr("join_scan"))
        self._code_caption.setText(tr("room_code"))
        self._copy_button.setText(tr("copy_link"))
        self._roster_heading.setText(tr("roster_heading"))
        self._empty_hint.setText(tr("roster_empty"))
        self.roster_view.setAccessibleName(tr("roster_heading"))
        self.code_label.setAccessibleName(tr("room_code"))
        self.address_label.setAccessibleName(tr("join_address"))
        self.qr_widget.retranslate()
        self._file_menu.setTitle(tr("menu_file"))
        self._quit_action.setText(tr("menu_quit"))
        self._language_menu.setTitle(tr("menu_language"))
        for lang, action in self._language_actions.items():
            action.setText(tr(f"lang_{lang}"))
            action.setChecked(lang == i18n.language())
        self.roster_model.retranslate()
        self._fit_fixed_columns()
        self._fit_name_column([])
        self._show_totals(*self.roster_model.totals())
        self.set_join_info(self._join_info)

    # -- building -----------------------------------------------------------------------------

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("warningBanner")
        layout = QHBoxLayout(banner)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(14)
        icon = _label("warningIcon")
        size = 40
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(icon)
        texts = QVBoxLayout()
        self._port_warning = _label("portWarning", 15, bold=True)
        self._loopback_warning = _label("loopbackWarning", 15, bold=True)
        for warning in (self._port_warning, self._loopback_warning):
            warning.setWordWrap(True)
            texts.addWidget(warning)
        layout.addLayout(texts, 1)
        return banner

    def _build_join_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("joinPanel")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(24, 18, 24, 20)
        layout.setSpacing(6)
        centre = Qt.AlignmentFlag.AlignHCenter

        self._join_heading = _label("joinHeading", 30, bold=True)
        self._scan_label = _label("scanHint", 16)
        self.qr_widget = QrWidget()
        self.qr_widget.setMinimumSize(QR_MINIMUM, QR_MINIMUM)

        self.address_label = _label("joinAddress")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(BASE_POINT_SIZE)
        self.address_label.setFont(mono)
        self.address_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.address_label.setCursor(Qt.CursorShape.IBeamCursor)

        self._or_type_label = _label("orTypeLine", 16)
        self._or_type_label.setWordWrap(True)
        self._code_caption = _label("codeCaption", 16, bold=True)

        self.code_label = _label("roomCode")
        code_font = QFont(self.font())
        code_font.setPixelSize(ROOM_CODE_PIXEL_SIZE)
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.code_label.setFont(code_font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        for label in (
            self._join_heading,
            self._scan_label,
            self.address_label,
            self._or_type_label,
            self._code_caption,
            self.code_label,
        ):
            label.setAlignment(centre)
        layout.addWidget(self._join_heading)
        layout.addWidget(self._scan_label)
        layout.addWidget(self.qr_widget, 1)
        layout.addWidget(self.address_label)
        layout.addSpacing(6)
        layout.addWidget(self._or_type_label)
        layout.addSpacing(4)
        layout.addWidget(self._code_caption)
        layout.addWidget(self.code_label, 0, centre)
        return panel

    def _build_roster_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("rosterPanel")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(20, 18, 20, 20)
        layout.setSpacing(10)

        heading_row = QHBoxLayout()
        self._roster_heading = _label("rosterHeading", 26, bold=True)
        self.totals_label = _label("totals", 18, bold=True)
        self.totals_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        heading_row.addWidget(self._roster_heading)
        heading_row.addStretch(1)
        heading_row.addWidget(self.totals_label)
        layout.addLayout(heading_row)

        self._empty_hint = _label("emptyHint", 16)
        self._empty_hint.setWordWrap(True)
        layout.addWidget(self._empty_hint)

        view = QTreeView()
        view.setObjectName("roster")
        tree_font = view.font()
        tree_font.setPointSize(ROSTER_POINT_SIZE)
        view.setFont(tree_font)
        view.setModel(self.roster_model)
        view.setUniformRowHeights(True)  # keeps a roster of hundreds cheap to lay out
        view.setAlternatingRowColors(True)
        view.setIndentation(26)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        header = view.header()
        header.setStretchLastSection(False)
        # Never ResizeToContents: it measures every row on every change, which at a few
        # hundred participants blocks the loop the room server also runs on for a large
        # fraction of a second per connection change. Widths are measured once instead.
        for column in (Column.NAME, Column.ATTENDANCE, Column.STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        # The role (with a possibly long function) takes what is left and elides if it must.
        header.setSectionResizeMode(Column.ROLE, QHeaderView.ResizeMode.Stretch)
        self.roster_view = view
        layout.addWidget(view, 1)

        self.roster_model.rowsInserted.connect(self._on_rows_inserted)
        self.roster_model.modelReset.connect(self._expand_all)
        self._expand_all()
        return panel

    def _text_width(self, text: str, *, bold: bool = False) -> int:
        font = QFont(self.roster_view.font())
        font.setBold(bold)
        return QFontMetrics(font).horizontalAdvance(text)

    def _fit_fixed_columns(self) -> None:
        # The attendance and status columns hold a few known words: size them to the widest
        # word in the current language (headers are bold), plus the status dot.
        header = self.roster_view.header()
        icon_size = self.roster_view.iconSize()
        icon = (
            icon_size.width()
            if icon_size.isValid()
            else self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        )
        for column, keys, extra in (
            (Column.ATTENDANCE, ("attendance_in_room", "attendance_remote"), 0),
            (Column.STATUS, ("status_connected", "status_away"), icon + 12),
        ):
            words = max(self._text_width(tr(k), bold=True) for k in keys) + extra
            title = self._text_width(
                str(self.roster_model.headerData(column, Qt.Orientation.Horizontal)), bold=True
            )
            header.resizeSection(column, max(words, title) + CELL_PADDING)

    def _fit_name_column(self, names: list[str]) -> None:
        # Widen (never narrow, so rows do not jump) to the longest name seen, up to a cap;
        # measuring only the newcomers keeps a join O(1).
        title = str(self.roster_model.headerData(Column.NAME, Qt.Orientation.Horizontal))
        needed = max([self._text_width(title, bold=True)] + [self._text_width(n) for n in names])
        needed += 2 * self.roster_view.indentation() + CELL_PADDING
        header = self.roster_view.header()
        width = min(max(header.sectionSize(Column.NAME), needed), NAME_COLUMN_MAX)
        if width != header.sectionSize(Column.NAME):
            header.resizeSection(Column.NAME, width)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._file_menu = bar.addMenu("")
        self._quit_action = QAction(self)
        # Explicit, because the platform's standard Quit key is empty on Windows.
        self._quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self._quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        # Closing (rather than quitting the application) lets the composition root stop
        # the server and close the store in its own order.
        self._quit_action.triggered.connect(self.close)
        self._file_menu.addAction(self._quit_action)

        self._language_menu = bar.addMenu("")
        group = QActionGroup(self)
        group.setExclusive(True)
        self._language_actions: dict[str, QAction] = {}
        for lang in i18n.LANGUAGES:
            action = QAction(self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, lang=lang: self._switch_language(lang))
            group.addAction(action)
            self._language_menu.addAction(action)
            self._language_actions[lang] = action

    def closeEvent(self, event: QCloseEvent) -> None:
        """Report the close, so the composition root can shut down in its own order."""
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()

    # -- slots --------------------------------------------------------------------------------

    def _switch_language(self, lang: str) -> None:
        if lang == i18n.language():
            return
        i18n.set_language(lang)
        self.retranslate()
        self.languageChanged.emit(lang)

    def _copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self._join_info.join_url)
        self.statusBar().showMessage(tr("link_copied"), STATUS_MESSAGE_MS)

    def _show_totals(self, joined: int, connected: int) -> None:
        self.totals_label.setText(tr("roster_totals", joined=joined, connected=connected))
        self._empty_hint.setVisible(joined == 0)

    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            # The organisation row's own count changed; make sure its people are visible.
            self.roster_view.expand(parent)
            model = self.roster_model
            self._fit_name_column(
                [
                    str(model.index(row, Column.NAME, parent).data())
                    for row in range(first, last + 1)
                ]
            )
            return
        for row in range(first, last + 1):
            self._style_org_row(row)

    def _style_org_row(self, row: int) -> None:
        # Organisation rows carry one text ("Uddevalla (3, 2 anslutna)") across the columns.
        self.roster_view.setFirstColumnSpanned(row, QModelIndex(), True)
        self.roster_view.expand(self.roster_model.index(row, 0))

    def _expand_all(self) -> None:
        model = self.roster_model
        self.roster_view.header().resizeSection(Column.NAME, 0)
        names = []
        for row in range(model.rowCount()):
            self._style_org_row(row)
            parent = model.index(row, 0)
            names += [str(model.index(r, 0, parent).data()) for r in range(model.rowCount(parent))]
        self._fit_name_column(names)
