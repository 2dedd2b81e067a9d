"""Settings remembered between runs, and the dialog that edits them (Arkiv → Inställningar).

:class:`Settings` is a typed view over a :class:`~PySide6.QtCore.QSettings` store: the
composition root uses ``QSettings("Tankesmedja", "Tankesmedja")`` (the platform's usual place:
the registry on Windows, a plist on macOS, ``~/.config/Tankesmedja/Tankesmedja.conf`` on
Linux); tests give it an INI file in a temporary folder, or nothing, which keeps the values in
memory only. Values read back are checked: a hand-edited or stale file gives the built-in
default, never an error.

The port and the interface take effect on the next start (the server is already listening);
the language and the public address apply at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import i18n
from app.i18n import tr
from app.paths import DEFAULT_PORT
from app.room import normalise_public_url
from facilitator_ui.common import error_and_buttons, plain_label

ORGANISATION = "Tankesmedja"
APPLICATION = "Tankesmedja"

_LANGUAGE = "language"
_PORT = "server/port"
_HOST = "server/host"
_PUBLIC_URL = "server/public_url"
_LAST_WORKSHOP = "workshop/last"
_AUDIENCE_SCREEN = "audience/screen"
_AUTO_GROUPS = "groups/auto"


class _MemoryStore:
    """The part of QSettings' interface :class:`Settings` uses, kept in a dict."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def value(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - QSettings' name
        self._values[key] = value

    def remove(self, key: str) -> None:
        self._values.pop(key, None)

    def sync(self) -> None:
        pass


def valid_host(text: str) -> bool:
    """Return True for an address to listen on: an IP address, ``localhost``, or empty (all)."""
    text = text.strip()
    if not text or text == "localhost":
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class Settings:
    """The console's remembered settings; every property reads and writes the store at once.

    ``None`` means "not set": the caller uses its own default (the command line's flags win
    over these, see :mod:`tankesmedja.__main__`).
    """

    def __init__(self, store: QSettings | None = None) -> None:
        """Use ``store`` (None: an in-memory store that forgets everything)."""
        self._store: Any = store if store is not None else _MemoryStore()

    @classmethod
    def default(cls) -> Settings:
        """Return the user's settings in the platform's usual place."""
        return cls(QSettings(ORGANISATION, APPLICATION))

    @classmethod
    def at(cls, path: Path) -> Settings:
        """Return settings kept in the INI file ``path`` (tests, portable installs)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def store(self) -> Any:
        """The QSettings (or in-memory) store, for keys of other parts (e.g. recent files)."""
        return self._store

    def sync(self) -> None:
        """Write pending changes to disk now (QSettings also does it by itself)."""
        self._store.sync()

    def _text(self, key: str) -> str | None:
        value = self._store.value(key)
        if value is None:
            return None
        text = str(value).strip()
        return text or None

    def _set(self, key: str, value: object | None) -> None:
        if value is None or value == "":
            self._store.remove(key)
        else:
            self._store.setValue(key, value)

    @property
    def language(self) -> str | None:
        """The console's language (``sv`` or ``en``), or None."""
        value = self._text(_LANGUAGE)
        return value if value in i18n.LANGUAGES else None

    @language.setter
    def language(self, value: str | None) -> None:
        if value is not None and value not in i18n.LANGUAGES:
            raise ValueError(f"unsupported language {value!r}")
        self._set(_LANGUAGE, value)

    @property
    def port(self) -> int | None:
        """The port to listen on (0: any free port), or None."""
        value = self._text(_PORT)
        try:
            port = int(value) if value is not None else None
        except ValueError:
            return None
        return port if port is not None and 0 <= port <= 65535 else None

    @port.setter
    def port(self, value: int | None) -> None:
        if value is not None and not 0 <= value <= 65535:
            raise ValueError(f"{value} is not a port number")
        self._set(_PORT, None if value is None else str(value))

    @property
    def host(self) -> str | None:
        """The address to listen on, or None for every interface."""
        value = self._text(_HOST)
        return value if value is not None and valid_host(value) else None

    @host.setter
    def host(self, value: str | None) -> None:
        if value is not None and not valid_host(value):
            raise ValueError(f"{value!r} is not an address of this computer")
        self._set(_HOST, (value or "").strip() or None)

    @property
    def public_url(self) -> str | None:
        """The organisers' public join address (canonical form), or None."""
        try:
            return normalise_public_url(self._text(_PUBLIC_URL))
        except ValueError:
            return None

    @public_url.setter
    def public_url(self, value: str | None) -> None:
        self._set(_PUBLIC_URL, normalise_public_url(value))

    @property
    def last_workshop(self) -> str | None:
        """The last workshop opened (its folder or database file), or None."""
        return self._text(_LAST_WORKSHOP)

    @last_workshop.setter
    def last_workshop(self, value: str | Path | None) -> None:
        self._set(_LAST_WORKSHOP, None if value is None else str(value))

    @property
    def audience_screen(self) -> str | None:
        """The name of the screen the audience window was last sent to, or None."""
        return self._text(_AUDIENCE_SCREEN)

    @audience_screen.setter
    def audience_screen(self, value: str | None) -> None:
        self._set(_AUDIENCE_SCREEN, value)

    @property
    def auto_groups(self) -> bool:
        """Make the groups when a group phase starts (on unless turned off)."""
        return self._text(_AUTO_GROUPS) != "off"

    @auto_groups.setter
    def auto_groups(self, value: bool) -> None:
        self._set(_AUTO_GROUPS, None if value else "off")


class SettingsDialog(QDialog):
    """Arkiv → Inställningar: language, port, interface and public address.

    Attributes:
        language_combo, port_spin, host_combo, public_edit, max_participants_spin: the
            fields (the last one the open workshop's limit on participants per session).
        error_label: why the public address or interface was refused (hidden when fine).

    Signals:
        applied(): the settings were saved (and the language and public address applied).
    """

    applied = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        current_port: int | None = None,
        interfaces: Callable[[], list[str]] | None = None,
        apply_public_url: Callable[[str | None], None] | None = None,
        apply_language: Callable[[str], None] | None = None,
        max_participants: int | None = None,
        apply_max_participants: Callable[[int], None] | None = None,
    ) -> None:
        """Show ``settings`` for editing.

        Args:
            settings: where the values are kept.
            parent: the console window (the dialog is window-modal over it).
            current_port: the port the server listens on now (the default shown).
            interfaces: lists this computer's addresses for the interface field.
            apply_public_url: applies a new public address now; raises ValueError to refuse.
            apply_language: switches the console's language now.
            max_participants: the open workshop's limit on participants per session (its
                field is shown only with ``apply_max_participants``).
            apply_max_participants: sets (and remembers in the workshop) a new limit.
        """
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._settings = settings
        self._apply_public_url = apply_public_url
        self._apply_language = apply_language
        self._apply_max_participants = apply_max_participants

        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("settingsLanguage")
        for lang in i18n.LANGUAGES:
            self.language_combo.addItem(tr(f"lang_{lang}"), lang)
        self.language_combo.setCurrentIndex(max(self.language_combo.findData(i18n.language()), 0))
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("settingsPort")
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText(tr("settings_port_any"))
        stored_port = settings.port
        fallback = current_port or DEFAULT_PORT
        self._shown_port = stored_port if stored_port is not None else fallback
        self.port_spin.setValue(self._shown_port)
        self.host_combo = QComboBox()
        self.host_combo.setObjectName("settingsHost")
        self.host_combo.setEditable(True)
        self.host_combo.addItem(tr("settings_host_all"), "")
        for address in interfaces() if interfaces is not None else []:
            self.host_combo.addItem(address, address)
        stored_host = settings.host or ""
        at = self.host_combo.findData(stored_host)
        if at < 0:
            self.host_combo.addItem(stored_host, stored_host)
            at = self.host_combo.count() - 1
        self.host_combo.setCurrentIndex(at)
        self.public_edit = QLineEdit(settings.public_url or "")
        self.public_edit.setObjectName("settingsPublicUrl")
        self.public_edit.setPlaceholderText("https://workshop.example.se")
        self.public_edit.setClearButtonEnabled(True)

        self.max_participants_spin = QSpinBox()
        self.max_participants_spin.setObjectName("settingsMaxParticipants")
        self.max_participants_spin.setRange(1, 100_000)
        self.max_participants_spin.setValue(max_participants or 1000)
        self._shown_max = self.max_participants_spin.value()

        self._language_caption = plain_label("settingsCaption")
        self._max_caption = plain_label("settingsCaption")
        self._port_caption = plain_label("settingsCaption")
        self._host_caption = plain_label("settingsCaption")
        self._public_caption = plain_label("settingsCaption")
        form.addRow(self._language_caption, self.language_combo)
        form.addRow(self._port_caption, self.port_spin)
        form.addRow(self._host_caption, self.host_combo)
        form.addRow(self._public_caption, self.public_edit)
        if apply_max_participants is not None:
            form.addRow(self._max_caption, self.max_participants_spin)
        else:
            self.max_participants_spin.hide()
        layout.addLayout(form)
        self._public_hint = plain_label("settingsHint", wrap=True)
        self._restart_hint = plain_label("settingsHint", wrap=True)
        layout.addWidget(self._public_hint)
        layout.addWidget(self._restart_hint)
        self.error_label, _ = error_and_buttons(self, layout, "settingsError")
        self.setMinimumWidth(640)
        self.retranslate()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("settings_title"))
        self._language_caption.setText(tr("settings_language"))
        self._port_caption.setText(tr("settings_port"))
        self._host_caption.setText(tr("settings_host"))
        self._public_caption.setText(tr("settings_public_url"))
        self._max_caption.setText(tr("settings_max_participants"))
        self._public_hint.setText(tr("settings_public_hint"))
        self._restart_hint.setText(tr("settings_restart_hint"))

    def host_text(self) -> str:
        """Return the interface chosen or typed ('' for every interface)."""
        text = self.host_combo.currentText().strip()
        at = self.host_combo.findText(text)
        if at >= 0 and self.host_combo.itemData(at) is not None:
            return str(self.host_combo.itemData(at))
        return text

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def accept(self) -> None:
        """Check and save the fields; apply the language and public address now."""
        host = self.host_text()
        if not valid_host(host):
            self._fail(tr("settings_host_invalid", host=host))
            return
        try:
            public = normalise_public_url(self.public_edit.text())
        except ValueError:
            self._fail(tr("settings_public_invalid"))
            return
        if self._apply_public_url is not None and public != self._settings.public_url:
            try:
                self._apply_public_url(public)
            except ValueError:
                self._fail(tr("settings_public_invalid"))
                return
        settings = self._settings
        settings.public_url = public
        if self.port_spin.value() != self._shown_port or settings.port is not None:
            settings.port = self.port_spin.value()  # untouched, it stays "not set"
        settings.host = host or None
        limit = self.max_participants_spin.value()
        if self._apply_max_participants is not None and limit != self._shown_max:
            self._apply_max_participants(limit)  # the workshop's own, at once
        lang = str(self.language_combo.currentData())
        settings.language = lang
        settings.sync()
        if self._apply_language is not None and lang != i18n.language():
            self._apply_language(lang)
        self.error_label.hide()
        self.applied.emit()
        super().accept()
