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

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import tr
from app.live import PhaseStatus
from app.room import JoinInfo, Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import ask, plain_label
from facilitator_ui.groups_view import GroupsView
from facilitator_ui.participants_tab import STATUS_MESSAGE_MS, _ParticipantsTab
from facilitator_ui.phase_bar import PhaseBar
from facilitator_ui.program_panel import ProgramPanel
from facilitator_ui.ranking_view import PrioritiesView
from facilitator_ui.reachability import HELP_AFTER_S, DevicesSeen, ReachabilityPanel
from facilitator_ui.roster_model import RosterModel
from facilitator_ui.settings import Settings, SettingsDialog
from facilitator_ui.shortcuts import Command  # noqa: F401 (callers use main_window.Command)
from facilitator_ui.survey_view import SurveyView
from facilitator_ui.tasks import TaskRunner
from facilitator_ui.wall_view import ReflectionWall
from facilitator_ui.window_menus import _WindowMenus

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

# The style sheet ships as a file of the package (facilitator_ui/console.qss): colours picked
# for contrast on a projector as much as on a laptop screen.
STYLE_SHEET = resources.files("facilitator_ui").joinpath("console.qss").read_text("utf-8")


class MainWindow(_ParticipantsTab, _WindowMenus, QMainWindow):
    """The console window: phase bar, the day's tabs, and the File, Language and Session menus.

    The participants tab comes from :class:`~facilitator_ui.participants_tab._ParticipantsTab`
    and the menus and day tools from :class:`~facilitator_ui.window_menus._WindowMenus`.

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
