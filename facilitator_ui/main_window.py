"""The facilitator console's main window: everything needed to run a whole session.

At the top, always visible, the current phase with its countdown and controls
(:class:`~facilitator_ui.phase_bar.PhaseBar`). Below it one tab per part of the day:

- **Deltagare**: the join panel meant for the projector (a large QR code, the address it
  encodes written out, the short address and the room code in very large type, so people at
  the back of the room can join) and the facilitator's live roster;
- **Program**: the phases, the current one marked, and their editor;
- **Grupper**: the groups of a group phase as cards, with drag and drop;
- **Reflektioner**: the live wall of cards, with moderation;
- **Enkät**: the survey results, live.

All texts come from :mod:`app.i18n`; everything participants or the network supplied is shown
as plain text. Core events reach the views through the one :class:`RoomBridge`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from importlib import resources

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QScreen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import tr
from app.live import PhaseStatus
from app.room import JoinInfo, Room
from facilitator_ui import shortcuts
from facilitator_ui.audience_window import (
    VIEW_KEYS,
    AudienceView,
    AudienceWindow,
    choose_screen,
    screen_key,
    screen_label,
)
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import ask, big_button, plain_label
from facilitator_ui.groups_view import GroupsView
from facilitator_ui.help_overlay import HelpOverlay
from facilitator_ui.phase_bar import PhaseBar
from facilitator_ui.program_panel import ProgramPanel
from facilitator_ui.qr_widget import QrWidget
from facilitator_ui.ranking_view import PrioritiesView
from facilitator_ui.reachability import HELP_AFTER_S, DevicesSeen, ReachabilityPanel
from facilitator_ui.roster_delegate import RoleDelegate
from facilitator_ui.roster_model import Column, RosterModel
from facilitator_ui.settings import Settings, SettingsDialog
from facilitator_ui.shortcuts import Command
from facilitator_ui.survey_view import SurveyView
from facilitator_ui.tasks import TaskRunner
from facilitator_ui.wall_view import ReflectionWall
from facilitator_ui.workshop_files import WorkshopActions

Rehearse = Callable[[int], Awaitable[None]]
RemoveRehearsal = Callable[[], Awaitable[int]]
"""Starts N simulated participants joining over the real server (given by the composition
root); the console only awaits it."""

SetPublicUrl = Callable[[str | None], JoinInfo]
"""Sets (or, with None, clears) the public join address on the room server and returns the
new join information; raises ValueError for an address it refuses (from the composition root,
since the console does not talk to the server itself)."""

REHEARSE_DEFAULT = 30
REHEARSE_MAX = 500

BASE_POINT_SIZE = 14
ROSTER_POINT_SIZE = 14
ROOM_CODE_PIXEL_SIZE = 56
QR_MINIMUM = 200
NAME_COLUMN_MAX = 360
CELL_PADDING = 34  # item padding from the style sheet, the style's margins, and some air
STATUS_MESSAGE_MS = 4000

# The style sheet ships as a file of the package (facilitator_ui/console.qss): colours picked
# for contrast on a projector as much as on a laptop screen.
STYLE_SHEET = resources.files("facilitator_ui").joinpath("console.qss").read_text("utf-8")


class MainWindow(QMainWindow):
    """The console window: phase bar, the day's tabs, and the File, Language and Session menus.

    Attributes:
        bridge: the room's events as Qt signals (one per room; reuse it for other models).
        tasks: runs the console's coroutines (grouping, rehearsal) on the shared loop.
        phase_bar: the current phase, its countdown and the phase controls.
        tabs: the day's tabs: participants, program, groups, reflections, survey.
        program_panel, groups_view, wall, survey_view: the tabs' views.
        roster_model: the roster shown on the participants tab.
        roster_view: the tree view over :attr:`roster_model`.
        qr_widget: the QR code of the join address.
        address_label: the join address written out, exactly what the QR code encodes.
        code_label: the room code in very large type.
        totals_label: "12 joined · 9 connected now".
        banner: the amber warning banner (hidden when there is nothing to warn about).
        rehearse_action: Session > "Repetition…" (disabled without a rehearse callback).
        audience: the audience window for the projector (hidden until shown).
        audience_button, audience_combo: show it; what it shows in this phase.
        shortcut_actions: the action of each keyboard shortcut (see
            :data:`facilitator_ui.shortcuts.SHORTCUTS`), also active in the audience window.
        help_overlay: the shortcut list over the window (F1 or ?).
        reachability: the help shown when nobody reaches the page; its ``count_label`` is
            in the status bar.
        settings: the remembered settings (in memory only unless the caller gives a store).

    Signals:
        languageChanged(str): the user picked a language in the menu (e.g. to remember it).
        closed(): the window was closed (File > Quit, Ctrl+Q or the window manager); the
            composition root stops the server and the loop on it.
        rehearsalRunning(bool): a rehearsal started (True) or ended (False).
        openWorkshopRequested(Path): switch to another workshop file (Arkiv > Öppna, Ny
            workshop, or reopening after a session's data was deleted); the composition
            root stops the server and rebuilds store, room, server and window on it.
    """

    languageChanged = Signal(str)
    closed = Signal()
    rehearsalRunning = Signal(bool)
    openWorkshopRequested = Signal(object)

    def __init__(
        self,
        room: Room,
        join_info: JoinInfo,
        parent: QWidget | None = None,
        *,
        rehearse: Rehearse | None = None,
        remove_rehearsal: RemoveRehearsal | None = None,
        clock: Callable[[], float] = time.time,
        settings: Settings | None = None,
        set_public_url: SetPublicUrl | None = None,
        devices_seen: DevicesSeen | None = None,
        interfaces: Callable[[], list[str]] | None = None,
        reachability_after: float = HELP_AFTER_S,
    ) -> None:
        """Build the window for ``room``, showing how to reach it per ``join_info``.

        Args:
            room: the live room; every view follows its events.
            join_info: the addresses and code to show (see :meth:`set_join_info`).
            parent: the usual Qt parent (normally None: this is a top-level window).
            rehearse: starts N simulated participants joining over the real server; the
                Session menu's rehearsal is disabled without it.
            remove_rehearsal: stops the simulated participants and erases every rehearsal
                participant of the session; without it they are erased from the room directly.
            clock: the wall clock the phase controls use (tests pass their own).
            settings: where to remember settings (default: in memory only).
            set_public_url: applies a public join address on the server (Arkiv >
                Inställningar); without it a new address is only remembered.
            devices_seen: the server's count of devices that opened the page (polled).
            interfaces: lists this computer's addresses for the settings dialog.
            reachability_after: seconds the QR code is on show with nobody arriving before
                the reachability help appears.
        """
        super().__init__(parent)
        self._room = room
        self._join_info = join_info
        self._room_token = room.room_token  # the token join_info was made for
        self._rehearse = rehearse
        self._remove_rehearsal = remove_rehearsal
        self._rehearsing = False
        self._quit_agreed = False  # Ctrl+Q asked already: the close it makes does not ask again
        self._rehearsal_count = 0
        self._clock = clock
        self.settings = settings if settings is not None else Settings()
        self._set_public_url = set_public_url
        self._interfaces = interfaces
        self.bridge = RoomBridge(room, self)
        self.tasks = TaskRunner(self)
        self.roster_model = RosterModel(room, self.bridge, self)

        font = self.font()
        font.setPointSize(BASE_POINT_SIZE)
        self.setFont(font)
        self.setStyleSheet(STYLE_SHEET)

        central = QWidget()
        central.setObjectName("console")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(16, 4, 16, 6)
        outer.setSpacing(6)

        # The session line and the copy button share the menu bar's row, which is mostly
        # empty, so the projected QR code keeps the height (a native, global menu bar as on
        # macOS has no room for them: there they get a row of their own).
        header = QWidget()
        header.setObjectName("headerBar")
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(24, 2, 10, 2)
        header_layout.setSpacing(14)
        self._session_label = plain_label("sessionLine", 14, bold=True)
        self._session_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        header_layout.addWidget(self._session_label, 1)
        # The link is for remote participants (pasted into the meeting chat), so the button
        # sits with the facilitator's controls rather than in the projected join panel.
        self._copy_button = QPushButton()
        self._copy_button.setObjectName("copyButton")
        self._copy_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._copy_button.clicked.connect(self._copy_link)
        header_layout.addWidget(self._copy_button)
        self._header = header

        self.banner = self._build_banner()
        outer.addWidget(self.banner)
        self.reachability = ReachabilityPanel(
            devices_seen,
            self._qr_on_show,
            clock=clock,
            after=reachability_after,
            # Simulated participants of a rehearsal connect from this computer too.
            someone_connected=lambda: not self._rehearsing and bool(room.live.present()),
        )
        outer.addWidget(self.reachability)

        self.phase_bar = PhaseBar(room.live, self.bridge, clock)
        outer.addWidget(self.phase_bar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(12)
        splitter.addWidget(self._build_join_panel())
        splitter.addWidget(self._build_roster_panel())
        # The roster takes what the join panel (the QR code's column) leaves: its names and
        # roles are never cut, also on a 1280-pixel projector.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([3_200, 6_800])  # about a third for the QR code's column

        self.program_panel = ProgramPanel(room.live, self.bridge, clock)
        self.groups_view = GroupsView(room, self.bridge, self.tasks)
        self.groups_view.auto_check.setChecked(self.settings.auto_groups)
        self.groups_view.auto_check.toggled.connect(
            lambda on: setattr(self.settings, "auto_groups", on)
        )
        self.wall = ReflectionWall(room, self.bridge)
        self.survey_view = SurveyView(room, self.bridge)
        self.priorities_view = PrioritiesView(room, self.bridge)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.tabs.setDocumentMode(True)
        for page in (
            splitter,
            self.program_panel,
            self.groups_view,
            self.wall,
            self.survey_view,
            self.priorities_view,
        ):
            self.tabs.addTab(page, "")
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._join_page = splitter

        self._build_menus()
        bar = self.menuBar()
        if bar.isNativeMenuBar():
            outer.insertWidget(0, header)
        else:
            bar.setCornerWidget(header, Qt.Corner.TopRightCorner)
        status = self.statusBar()  # made now, so a first message does not shift the layout
        self._rehearsal_label = plain_label("rehearsalIndicator")
        self._rehearsal_bar = QProgressBar()
        self._rehearsal_bar.setRange(0, 0)
        self._rehearsal_bar.setFixedWidth(120)
        self._rehearsal_bar.setTextVisible(False)
        status.addPermanentWidget(self._rehearsal_label)
        status.addPermanentWidget(self._rehearsal_bar)
        self._rehearsal_label.hide()
        self._rehearsal_bar.hide()

        for view in (self.phase_bar, self.program_panel, self.groups_view):
            signal = view.failed if isinstance(view, PhaseBar) else view.message
            signal.connect(self._show_message)
        self.roster_model.totalsChanged.connect(self._show_totals)
        self._build_day_tools()
        self.retranslate()  # also shows join_info, in the current language
        self.phase_bar.fix_height()

    # -- public API ---------------------------------------------------------------------------

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

    def language_action(self, lang: str) -> QAction:
        """Return the Language menu's action for ``lang`` (e.g. to trigger it from a test)."""
        return self._language_actions[lang]

    def is_rehearsing(self) -> bool:
        """Return True while a rehearsal started here runs."""
        return self._rehearsing

    def start_rehearsal(self, count: int) -> bool:
        """Start ``count`` simulated participants joining (via the ``rehearse`` callback).

        Returns False when there is no callback, one already runs, or no loop runs.
        """
        if self._rehearse is None or self._rehearsing or count < 1:
            return False
        self._set_rehearsing(True, count)
        if self.tasks.start(self._run_rehearsal(self._rehearse, count)) is None:
            self._set_rehearsing(False, count)
            return False
        return True

    def reload_views(self) -> None:
        """Show the room's changed workshop in every view (after a core operation).

        The survey results tab is built from the survey's items, so it is made anew; the
        roster takes the organisations' new order; the wall, the priorities and the audience
        window read the cards again (an erasure took some away); every text (session line,
        organisation lists) is set again.
        """
        at = self.tabs.indexOf(self.survey_view)
        if at >= 0:
            old = self.survey_view
            fresh = SurveyView(self._room, self.bridge)
            current = self.tabs.currentIndex()
            self.tabs.removeTab(at)
            self.tabs.insertTab(at, fresh, tr("tab_survey"))
            self.tabs.setCurrentIndex(current)
            old.deleteLater()
            self.survey_view = fresh
        room = self._room
        if room.room_token != self._room_token:
            # The running session was cleared: it has a new room token and code.
            self._room_token = room.room_token
            self.set_join_info(self._join_info.with_room(room.room_token, room.display_code))
        self.roster_model.reload()
        self.groups_view.refresh()
        self.wall.reload()
        self.priorities_view.refresh()
        self.audience.refresh()
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language (call after :func:`app.i18n.set_language`)."""
        self.setWindowTitle(tr("app_title"))
        session = self._room.session
        line = tr(
            "session_line",
            series=self._room.series.name,
            number=session.number,
            theme=session.theme,
            subtitle=session.subtitle,
        )
        # The menu bar's row has room for the session, not for the whole line: beside the
        # menus it would push them behind "»". The whole line is in the tooltip.
        self._session_label.setText(tr("session_short", number=session.number, theme=session.theme))
        self._session_label.setToolTip(line)
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
        self._session_menu.setTitle(tr("menu_session"))
        self.rehearse_action.setText(tr("rehearse_action"))
        self.remove_rehearsal_action.setText(tr("rehearse_remove_action"))
        for number, key in enumerate(
            (
                "tab_participants",
                "tab_program",
                "tab_groups",
                "tab_wall",
                "tab_survey",
                "tab_priorities",
            )
        ):
            self.tabs.setTabText(number, tr(key))
        self.phase_bar.retranslate()
        self.program_panel.retranslate()
        self.groups_view.retranslate()
        self.wall.retranslate()
        self.survey_view.retranslate()
        self.priorities_view.retranslate()
        if self._rehearsing:
            self._rehearsal_label.setText(tr("rehearse_running", count=self._rehearsal_count))
        self._language_menu.setTitle(tr("menu_language"))
        for lang, action in self._language_actions.items():
            action.setText(tr(f"lang_{lang}"))
            action.setChecked(lang == i18n.language())
        self.roster_model.retranslate()
        self._retranslate_day_tools()
        self.workshop_actions.retranslate()
        self._fit_fixed_columns()
        self._fit_name_column([])
        self._show_totals(*self.roster_model.totals())
        self.set_join_info(self._join_info)

    # -- the day's tools: audience window, shortcuts, help, settings, reachability --------------

    def toggle_timer(self) -> None:
        """Start the first phase, or pause or resume the current one (Space)."""
        bar = self.phase_bar
        for button in (bar.start_button, bar.pause_button):
            if button.isEnabled():
                button.click()
                return

    def next_phase(self) -> None:
        """Close the current phase and start the next one (Ctrl+→ or N)."""
        if self.phase_bar.next_button.isEnabled():
            self.phase_bar.next_button.click()

    def shuffle_groups(self) -> None:
        """Reshuffle the unlocked groups, or make the groups if there are none (Ctrl+Shift+S)."""
        rnd = self.groups_view.current_round()
        self.tabs.setCurrentWidget(self.groups_view)
        self.groups_view.make_groups(reshuffle=rnd is not None and bool(rnd.groups))

    def toggle_audience(self) -> None:
        """Show the audience window full screen, or hide it (F5 or Ctrl+P)."""
        self.set_audience_visible(not self.audience.isVisible())

    def set_audience_visible(self, visible: bool) -> None:
        """Show the audience window on its screen (see :meth:`audience_screen`), or hide it."""
        if visible:
            self.audience.show_on(self.audience_screen())
        else:
            self.audience.hide()

    def audience_screen(self) -> QScreen | None:
        """Return the screen for the audience window: the remembered one, else a free one."""
        return choose_screen(
            QGuiApplication.screens(), self.settings.audience_screen, self.screen()
        )

    def choose_audience_screen(self, screen: QScreen) -> None:
        """Send the audience window to ``screen`` from now on (and now, if shown)."""
        self.settings.audience_screen = screen_key(screen)
        if self.audience.isVisible():
            self.audience.show_on(screen)

    def apply_public_url(self, url: str | None) -> JoinInfo:
        """Use a public join address (None: this computer's own) and remember it.

        Raises:
            ValueError: if the address is refused.
        """
        if self._set_public_url is not None:
            self.set_join_info(self._set_public_url(url))
            self.reachability.restart()
        self.settings.public_url = url
        return self._join_info

    def open_settings(self) -> SettingsDialog:
        """Open Arkiv > Inställningar (window-modal, without blocking the loop)."""
        dialog = SettingsDialog(
            self.settings,
            self,
            current_port=self._join_info.requested_port,
            interfaces=self._interfaces,
            apply_public_url=self.apply_public_url if self._set_public_url else None,
            apply_language=self._switch_language,
            max_participants=self._room.max_participants,
            apply_max_participants=self._room.set_max_participants,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(lambda: self._show_message(tr("settings_saved")))
        dialog.open()
        return dialog

    def add_header_widget(self, widget: QWidget) -> None:
        """Put ``widget`` in the header row, before the copy-link button (e.g. a state light)."""
        layout = self._header.layout()
        assert isinstance(layout, QHBoxLayout)
        layout.insertWidget(layout.indexOf(self._copy_button), widget)

    def add_session_action(self, action: QAction) -> None:
        """Add ``action`` to the Session menu (e.g. the online session dialog)."""
        self._session_menu.addAction(action)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 - Qt's names
        """Move the focus with Tab; the widget reached keeps Space and letters for itself."""
        moved = super().focusNextPrevChild(next)
        self._key_guard.watch(QApplication.focusWidget() if moved else None)
        return moved

    def _qr_on_show(self) -> bool:
        console = self.isVisible() and self.tabs.currentWidget() is self._join_page
        audience = self.audience.isVisible() and self.audience.view() == AudienceView.QR
        return console or audience

    def _build_day_tools(self) -> None:
        # The projector's window, and what it shows in this phase, from the status bar.
        self.audience_button = big_button("audienceButton", 13)
        self.audience_button.setCheckable(True)
        self.audience_combo = QComboBox()
        self.audience_combo.setObjectName("audienceChoice")
        # As wide as its longest choice in the current language ("Showing: Follow the phase").
        self.audience_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.audience = AudienceWindow(self._room, self.bridge, self._join_info, clock=self._clock)
        self.destroyed.connect(self.audience.deleteLater)
        self.audience.set_anonymous(self.wall.anonymous())
        self.wall.anonymous_check.toggled.connect(self.audience.set_anonymous)
        self.priorities_view.themesOrganisationChanged.connect(
            self.audience.set_themes_organisation
        )
        self.audience.visibilityChanged.connect(self._on_audience_visible)
        self.audience.viewChanged.connect(lambda _view: self._sync_audience_choice())
        self.bridge.phaseChanged.connect(self._sync_audience_choice)
        self.bridge.roomFull.connect(lambda limit: self._show_message(tr("room_full", limit=limit)))
        self.bridge.workshopChanged.connect(lambda _what: self.reload_views())
        for view in VIEW_KEYS:
            self.audience_combo.addItem("", view.value)
        self.audience_combo.activated.connect(
            lambda index: self.audience.set_choice(
                AudienceView(self.audience_combo.itemData(index))
            )
        )
        self.audience_button.clicked.connect(self.set_audience_visible)
        self.languageChanged.connect(self._remember_language)
        self.help_overlay = HelpOverlay(self)

        self.shortcut_actions: dict[Command, QAction] = {Command.QUIT: self._quit_action}
        for command, slot in (
            (Command.TIMER, self.toggle_timer),
            (Command.NEXT_PHASE, self.next_phase),
            (Command.SHUFFLE, self.shuffle_groups),
            (Command.AUDIENCE, self.toggle_audience),
            (Command.HELP, self.help_overlay.toggle),
        ):
            action = shortcuts.bind(QAction(self), command)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.addAction(action)
            self.audience.addAction(action)  # the keys work with the projector focused too
            self.shortcut_actions[command] = action
        self.shortcut_actions[Command.AUDIENCE].setCheckable(True)
        self._key_guard = shortcuts.PlainKeyGuard(self)  # see focusNextPrevChild

        self._settings_action = QAction(self)
        self._settings_action.setObjectName("settingsAction")
        self._settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self._settings_action.triggered.connect(self.open_settings)
        self._file_menu.insertAction(self._quit_action, self._settings_action)
        self._file_menu.insertSeparator(self._quit_action)
        self._session_menu.addSeparator()
        for command in (Command.TIMER, Command.NEXT_PHASE, Command.SHUFFLE):
            self._session_menu.addAction(self.shortcut_actions[command])
        self._view_menu = self.menuBar().addMenu("")
        self._view_menu.addAction(self.shortcut_actions[Command.AUDIENCE])
        self._screen_menu = self._view_menu.addMenu("")
        self._screen_menu.aboutToShow.connect(self._fill_screen_menu)
        self._screen_group = QActionGroup(self)
        self._choice_menu = self._view_menu.addMenu("")
        choices = QActionGroup(self)
        self._choice_actions: dict[AudienceView, QAction] = {}
        for view in VIEW_KEYS:
            action = QAction(self)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, v=view: self.audience.set_choice(v))
            choices.addAction(action)
            self._choice_menu.addAction(action)
            self._choice_actions[view] = action
        self._view_menu.addSeparator()
        self._view_menu.addAction(self.shortcut_actions[Command.HELP])
        status = self.statusBar()
        for widget in (self.reachability.count_label, self.audience_button, self.audience_combo):
            status.addPermanentWidget(widget)
        self._sync_audience_choice()
        self.reachability.poll()  # the count at once, not two seconds from now

    def _retranslate_day_tools(self) -> None:
        for row in shortcuts.SHORTCUTS:
            self.shortcut_actions[row.command].setText(tr(row.text_key))
        self._settings_action.setText(tr("menu_settings"))
        self._view_menu.setTitle(tr("menu_view"))
        self._screen_menu.setTitle(tr("audience_screen_menu"))
        self._choice_menu.setTitle(tr("audience_choice_menu"))
        for view, key in VIEW_KEYS.items():
            self._choice_actions[view].setText(tr(key))
            self.audience_combo.setItemText(
                self.audience_combo.findData(view.value), tr("audience_choice_item", view=tr(key))
            )
        self.audience_combo.setToolTip(tr("audience_choice_menu"))
        self.audience_combo.setAccessibleName(tr("audience_choice_menu"))
        self.audience_button.setText(tr("audience_button"))
        self.audience_button.setToolTip(tr("shortcut_audience"))
        self.help_overlay.retranslate()
        self.reachability.retranslate()
        self.audience.retranslate()

    def _fill_screen_menu(self) -> None:
        self._screen_menu.clear()  # deletes the old actions, which leave the group
        target = self.audience_screen()
        for screen in QGuiApplication.screens():
            action = self._screen_menu.addAction(screen_label(screen, screen is self.screen()))
            action.setCheckable(True)
            action.setChecked(screen is target)
            action.triggered.connect(
                lambda _checked=False, s=screen: self.choose_audience_screen(s)
            )
            self._screen_group.addAction(action)

    def _sync_audience_choice(self) -> None:
        choice = self.audience.choice()
        self.audience_combo.setCurrentIndex(self.audience_combo.findData(choice.value))
        self._choice_actions[choice].setChecked(True)

    def _on_audience_visible(self, visible: bool) -> None:
        self.audience_button.setChecked(visible)
        self.shortcut_actions[Command.AUDIENCE].setChecked(visible)

    def _remember_language(self, lang: str) -> None:
        self.settings.language = lang

    # -- building -----------------------------------------------------------------------------

    def _build_banner(self) -> QFrame:
        banner = QFrame()
        banner.setObjectName("warningBanner")
        layout = QHBoxLayout(banner)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(14)
        icon = plain_label("warningIcon")
        size = 40
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(icon)
        texts = QVBoxLayout()
        self._port_warning = plain_label("portWarning", 15, bold=True)
        self._loopback_warning = plain_label("loopbackWarning", 15, bold=True)
        for warning in (self._port_warning, self._loopback_warning):
            warning.setWordWrap(True)
            texts.addWidget(warning)
        layout.addLayout(texts, 1)
        return banner

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

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._file_menu = bar.addMenu("")
        self._quit_action = QAction(self)
        shortcuts.bind(self._quit_action, Command.QUIT)  # Ctrl+Q, even on Windows
        self._quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        # Closing (rather than quitting the application) lets the composition root stop
        # the server and close the store in its own order.
        self._quit_action.triggered.connect(self.quit_asking)
        self._file_menu.addAction(self._quit_action)
        # New, open, save as, recent, roster import, export, edit, erase (workshop files).
        self.workshop_actions = WorkshopActions(self, self._room)
        self.workshop_actions.install(self._file_menu, before=self._quit_action)

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

        self._session_menu = bar.addMenu("")
        self.rehearse_action = QAction(self)
        self.rehearse_action.setObjectName("rehearseAction")
        self.rehearse_action.setEnabled(self._rehearse is not None)
        self.rehearse_action.triggered.connect(self._ask_rehearsal)
        self._session_menu.addAction(self.rehearse_action)
        self.remove_rehearsal_action = QAction(self)
        self.remove_rehearsal_action.setObjectName("removeRehearsalAction")
        self.remove_rehearsal_action.triggered.connect(self.ask_remove_rehearsal)
        self._session_menu.addAction(self.remove_rehearsal_action)

    def quit_question(self) -> str | None:
        """Return what quitting now would interrupt as a question; None if nothing would.

        People connected (their pages will say the facilitator's computer is away) or a phase
        running (its timer stops) are worth a question; an empty room is not.
        """
        live = self._room.live
        present = len(live.present())
        phase = live.phase
        running = live.clock.status in (PhaseStatus.RUNNING, PhaseStatus.PAUSED)
        lines = []
        if present:
            lines.append(tr("quit_connected", count=present))
        if running and phase is not None:
            lines.append(tr("quit_phase_running", phase=phase.title))
        if not lines:
            return None
        lines.append(tr("quit_after"))
        return "\n\n".join(lines)

    def quit_asking(self) -> bool:
        """Close the console (Ctrl+Q, Arkiv → Avsluta) once the facilitator agrees.

        Returns:
            True if the window closed.
        """
        question = self.quit_question()
        if question is not None and not ask(self, tr("quit_title"), question, tr("quit_action")):
            return False
        self._quit_agreed = True
        try:
            return self.close()
        finally:
            self._quit_agreed = False

    def closeEvent(self, event: QCloseEvent) -> None:
        """Report the close, so the composition root can shut down in its own order.

        Closing from the window manager (the title bar's ×) asks first, as Ctrl+Q does; a close
        the program makes itself (a logout, a workshop switch) does not.
        """
        if event.spontaneous() and not self._quit_agreed:
            question = self.quit_question()
            if question is not None and not ask(
                self, tr("quit_title"), question, tr("quit_action")
            ):
                event.ignore()
                return
        super().closeEvent(event)
        if event.isAccepted():
            self.tasks.cancel_all()
            self.audience.hide()
            self.closed.emit()

    # -- slots --------------------------------------------------------------------------------

    def _switch_language(self, lang: str) -> None:
        if lang == i18n.language():
            return
        i18n.set_language(lang)
        self.retranslate()
        self.languageChanged.emit(lang)

    def _show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def _ask_rehearsal(self) -> None:
        if self._rehearse is None or self._rehearsing:
            return
        count, ok = QInputDialog.getInt(
            self,
            tr("rehearse_title"),
            tr("rehearse_prompt"),
            REHEARSE_DEFAULT,
            1,
            REHEARSE_MAX,
            1,
        )
        if ok:
            self.start_rehearsal(count)

    def ask_remove_rehearsal(self) -> bool:
        """Ask, then erase every rehearsal participant of the session (Träff menu).

        Returns:
            True if the removal started.
        """
        count = len(self._room.rehearsal_participants())
        if not count:
            self._show_message(tr("rehearse_none"))
            return False
        if self._rehearsing or not ask(
            self,
            tr("rehearse_remove_title"),
            tr("rehearse_remove_question", count=count),
            tr("rehearse_remove_confirm"),
            destructive=True,
        ):
            return False
        if self._remove_rehearsal is None:
            self._rehearsal_removed(self._room.remove_rehearsal())
            return True
        return self.tasks.start(self._run_remove_rehearsal(self._remove_rehearsal)) is not None

    async def _run_remove_rehearsal(self, remove: RemoveRehearsal) -> None:
        self._rehearsal_removed(await remove())

    def _rehearsal_removed(self, count: int) -> None:
        # The room has no event for many people leaving at once: the views read it anew.
        self.roster_model.reload()
        self.groups_view.refresh()
        self._show_message(tr("rehearse_removed", count=count))

    def _set_rehearsing(self, running: bool, count: int) -> None:
        self._rehearsing = running
        self._rehearsal_count = count
        self.rehearse_action.setEnabled(not running and self._rehearse is not None)
        self._rehearsal_label.setText(tr("rehearse_running", count=count) if running else "")
        self._rehearsal_label.setVisible(running)
        self._rehearsal_bar.setVisible(running)
        self.rehearsalRunning.emit(running)

    async def _run_rehearsal(self, rehearse: Rehearse, count: int) -> None:
        try:
            await rehearse(count)
        except Exception:
            self._show_message(tr("rehearse_failed"))
            raise  # to sys.excepthook, which logs it and tells the facilitator
        else:
            self._show_message(tr("rehearse_done", count=count))
        finally:
            self._set_rehearsing(False, count)

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
