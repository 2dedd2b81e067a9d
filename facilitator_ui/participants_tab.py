"""The console's participants tab: the join panel for the projector and the live roster."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QSizePolicy,
    QStyle,
    QTreeView,
    QVBoxLayout,
)

from app.i18n import tr
from app.room import JoinInfo
from facilitator_ui.audience_window import AudienceView
from facilitator_ui.common import plain_label
from facilitator_ui.qr_widget import QrWidget
from facilitator_ui.roster_delegate import RoleDelegate
from facilitator_ui.roster_model import Column

ROSTER_POINT_SIZE = 14
ROOM_CODE_PIXEL_SIZE = 56
QR_MINIMUM = 200
NAME_COLUMN_MAX = 360
CELL_PADDING = 34  # item padding from the style sheet, the style's margins, and some air
STATUS_MESSAGE_MS = 4000


class _ParticipantsTab:
    """The participants tab's part of :class:`~facilitator_ui.main_window.MainWindow`.

    Builds the join panel (QR code, address, room code) and the roster, and keeps them
    current; the window's state (``room``, ``bridge``, the labels and views) is its own.
    """

    @property
    def join_info(self) -> JoinInfo:
        """The join information currently shown."""
        return self._join_info

    def set_join_info(self, info: JoinInfo) -> None:
        """Show new join information (e.g. after the server restarted on another port)."""
        self._join_info = info
        self.audience.set_join_info(info)
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

    def _qr_on_show(self) -> bool:
        console = self.isVisible() and self.tabs.currentWidget() is self._join_page
        audience = self.audience.isVisible() and self.audience.view() == AudienceView.QR
        return console or audience

    def _build_join_panel(self) -> QFrame:
        panel = QFrame()
        panel.setObjectName("joinPanel")
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(24, 8, 24, 10)
        layout.setSpacing(4)
        centre = Qt.AlignmentFlag.AlignHCenter

        self._join_heading = plain_label("joinHeading", 26, bold=True)
        self._scan_label = plain_label("scanHint", 16)
        self.qr_widget = QrWidget()
        self.qr_widget.setMinimumSize(QR_MINIMUM, QR_MINIMUM)

        self.address_label = plain_label("joinAddress")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        # The whole link is for the record (the QR code holds it, "Kopiera länken" copies
        # it): small enough that the roster keeps the width its names and roles need.
        mono.setPointSize(10)
        self.address_label.setFont(mono)
        self.address_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.address_label.setCursor(Qt.CursorShape.IBeamCursor)

        self._or_type_label = plain_label("orTypeLine", 16)
        self._or_type_label.setWordWrap(True)
        self._code_caption = plain_label("codeCaption", 16, bold=True)

        self.code_label = plain_label("roomCode")
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
        self._roster_heading = plain_label("rosterHeading", 26, bold=True)
        self.totals_label = plain_label("totals", 18, bold=True)
        self.totals_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        heading_row.addWidget(self._roster_heading)
        heading_row.addStretch(1)
        heading_row.addWidget(self.totals_label)
        layout.addLayout(heading_row)

        self._empty_hint = plain_label("emptyHint", 16)
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
        # The role (with a possibly long function) takes what is left; where the function
        # does not fit beside it, the role alone is shown (the whole in the tooltip), never
        # a role cut to "Tjänstep…".
        header.setSectionResizeMode(Column.ROLE, QHeaderView.ResizeMode.Stretch)
        view.setItemDelegateForColumn(Column.ROLE, RoleDelegate(view))
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
