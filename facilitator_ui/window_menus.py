"""The console window's menus and day tools.

The File, Language and Session menus, and the audience button with what the audience window
shows and on which screen.
"""

from __future__ import annotations

from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QGuiApplication,
    QScreen,
)
from PySide6.QtWidgets import QComboBox

from app import i18n
from app.i18n import tr
from facilitator_ui import shortcuts
from facilitator_ui.audience_window import (
    VIEW_KEYS,
    AudienceView,
    AudienceWindow,
    choose_screen,
    screen_key,
    screen_label,
)
from facilitator_ui.common import big_button
from facilitator_ui.help_overlay import HelpOverlay
from facilitator_ui.shortcuts import Command
from facilitator_ui.workshop_files import WorkshopActions


class _WindowMenus:
    """The menus' and day tools' part of :class:`~facilitator_ui.main_window.MainWindow`.

    Builds the menu bar and the tool row above the tabs (audience window, its view and
    screen) and keeps them in step with the window; the window's state is its own.
    """

    def language_action(self, lang: str) -> QAction:
        """Return the Language menu's action for ``lang`` (e.g. to trigger it from a test)."""
        return self._language_actions[lang]

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

    def _switch_language(self, lang: str) -> None:
        if lang == i18n.language():
            return
        i18n.set_language(lang)
        self.retranslate()
        self.languageChanged.emit(lang)
