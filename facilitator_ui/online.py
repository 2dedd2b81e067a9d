"""The online session in the console: its settings, its dialog and the tunnel's state light.

An online (or hybrid) session brings participants at home in through the organisers' relay
(see ``docs/online.md``): this laptop keeps an SSH tunnel open to it, and participants open
the relay's https address. The console never talks to the network itself: the composition
root (``tankesmedja/__main__.py``) runs the tunnel and reports its state here as plain values
(:meth:`TunnelLight.set_status`), and gets the settings back through :class:`OnlineConfig`.

Everything here lives in the user's settings (QSettings) and config folder, never in a
workshop file: a workshop file handed to someone else carries no key and no relay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.i18n import tr
from app.room import normalise_public_url
from facilitator_ui.common import error_and_buttons, plain_label

_PREFIX = "online/"
DEFAULT_USER = "tankesmedja"
DEFAULT_RELAY_PORT = 9001

# The light's colours: the same for the state whatever the language.
LIGHT_COLOURS = {
    "off": "#9aa5b1",
    "connecting": "#e6a700",
    "up": "#2b8a3e",
    "down": "#c92a2a",
}


@dataclass(frozen=True)
class OnlineConfig:
    """The online session's settings as the console keeps them.

    Attributes:
        enabled: whether the tunnel is opened when the console starts (and now).
        relay_host: the relay's SSH host name.
        public_url: the https address participants open (the relay's TLS proxy).
        key_file: this laptop's private key for the relay's tunnel-only account.
        user: that account.
        ssh_port: the relay's SSH port.
        relay_port: the port on the relay's loopback its proxy forwards to.
    """

    enabled: bool = False
    relay_host: str = ""
    public_url: str = ""
    key_file: str = ""
    user: str = DEFAULT_USER
    ssh_port: int = 22
    relay_port: int = DEFAULT_RELAY_PORT

    @property
    def complete(self) -> bool:
        """True when everything the tunnel needs is filled in."""
        return bool(self.relay_host and self.public_url and self.key_file and self.user)

    @classmethod
    def load(cls, store: Any) -> OnlineConfig:
        """Read from a QSettings-like store; anything unreadable gives the default."""

        def text(key: str, default: str = "") -> str:
            value = store.value(_PREFIX + key)
            return str(value).strip() if value is not None else default

        def number(key: str, default: int) -> int:
            try:
                value = int(text(key, str(default)))
            except ValueError:
                return default
            return value if 0 < value < 65536 else default

        try:
            public = normalise_public_url(text("public_url")) or ""
        except ValueError:
            public = ""
        return cls(
            enabled=text("enabled") in ("true", "1", "True"),
            relay_host=text("relay_host"),
            public_url=public,
            key_file=text("key_file"),
            user=text("user", DEFAULT_USER) or DEFAULT_USER,
            ssh_port=number("ssh_port", 22),
            relay_port=number("relay_port", DEFAULT_RELAY_PORT),
        )

    def save(self, store: Any) -> None:
        """Write to a QSettings-like store."""
        for key, value in (
            ("enabled", "true" if self.enabled else "false"),
            ("relay_host", self.relay_host),
            ("public_url", self.public_url),
            ("key_file", self.key_file),
            ("user", self.user),
            ("ssh_port", str(self.ssh_port)),
            ("relay_port", str(self.relay_port)),
        ):
            store.setValue(_PREFIX + key, value)
        store.sync()


def status_text(
    state: str, problem: str, retry_in: float | None = None, fingerprint: str | None = None
) -> str:
    """Return the plain-language line for a tunnel state (and why it is down)."""
    text = tr(f"tunnel_{state}")
    if problem:
        text += " " + tr(f"tunnel_problem_{problem}", fingerprint=fingerprint or "?")
    if state == "down" and retry_in is not None and retry_in > 0:
        text += " " + tr("tunnel_retry_in", seconds=f"{retry_in:.0f}")
    return text


class TunnelLight(QWidget):
    """The tunnel's state light in the console's header: a coloured dot and a short word.

    Hidden while no online session is on. A click opens the online session dialog.

    Signals:
        clicked(): the light was clicked.
    """

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Make the light, off and hidden."""
        super().__init__(parent)
        self.setObjectName("tunnelLight")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.dot = QLabel()
        self.dot.setObjectName("tunnelDot")
        self.dot.setFixedSize(14, 14)
        self.label = plain_label("tunnelState", 13, bold=True)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        self.state = "off"
        self.problem = ""
        self.fingerprint: str | None = None
        self.retry_in: float | None = None
        self._paint()
        self.hide()

    def set_status(
        self,
        state: str,
        problem: str = "",
        *,
        fingerprint: str | None = None,
        pinned_now: bool = False,
        retry_in: float | None = None,
    ) -> None:
        """Show a tunnel state: ``off``, ``connecting``, ``up`` or ``down`` (with a problem)."""
        self.state, self.problem, self.retry_in = state, problem, retry_in
        if fingerprint:
            self.fingerprint = fingerprint
        self.pinned_now = pinned_now
        self._paint()
        self.setVisible(state != "off")

    def retranslate(self) -> None:
        """Set the texts in the current language."""
        self._paint()

    def _paint(self) -> None:
        colour = LIGHT_COLOURS.get(self.state, LIGHT_COLOURS["off"])
        self.dot.setStyleSheet(f"background: {colour}; border-radius: 7px;")
        self.label.setText(tr(f"tunnel_short_{self.state}"))
        tip = status_text(self.state, self.problem, self.retry_in, self.fingerprint)
        if self.fingerprint:
            tip += "\n" + tr("online_fingerprint", fingerprint=self.fingerprint)
        self.setToolTip(tip)
        self.setAccessibleName(tip)

    def mouseReleaseEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Report a click."""
        super().mouseReleaseEvent(event)
        self.clicked.emit()


class OnlineDialog(QDialog):
    """Träff → Onlineträff: the relay, the key, the public address, on or off.

    Attributes:
        enabled_box, host_edit, port_spin, user_edit, relay_port_spin, public_edit,
        key_edit: the fields; status_label: the tunnel's state in words;
        public_key_edit: the public key to send to the relay's administrator.

    Signals:
        applied(object): the settings were saved; carries the new :class:`OnlineConfig`.
    """

    applied = Signal(object)

    def __init__(
        self,
        config: OnlineConfig,
        parent: QWidget | None = None,
        *,
        make_key: Callable[[Path], str] | None = None,
        public_key: Callable[[Path], str] | None = None,
        default_key_file: Path | None = None,
        status: str = "",
    ) -> None:
        """Show ``config`` for editing.

        Args:
            config: the current settings.
            parent: the console window (the dialog is window-modal over it).
            make_key: creates a new private key at a path and returns its public line.
            public_key: returns the public line of an existing private key file.
            default_key_file: where a new key goes (the user config folder).
            status: the tunnel's state in words, as the light's tooltip says it.
        """
        super().__init__(parent)
        self.setObjectName("onlineDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._make_key = make_key
        self._public_key = public_key
        self._default_key_file = default_key_file
        layout = QVBoxLayout(self)
        self._intro = plain_label("onlineHint", wrap=True)
        layout.addWidget(self._intro)
        self.enabled_box = QCheckBox()
        self.enabled_box.setObjectName("onlineEnabled")
        self.enabled_box.setChecked(config.enabled)
        layout.addWidget(self.enabled_box)
        form = QFormLayout()
        self.public_edit = QLineEdit(config.public_url)
        self.public_edit.setPlaceholderText("https://workshop.example.se")
        self.host_edit = QLineEdit(config.relay_host)
        self.host_edit.setPlaceholderText("relay.example.se")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(config.ssh_port)
        self.user_edit = QLineEdit(config.user)
        self.relay_port_spin = QSpinBox()
        self.relay_port_spin.setRange(1, 65535)
        self.relay_port_spin.setValue(config.relay_port)
        key_row = QHBoxLayout()
        self.key_edit = QLineEdit(config.key_file)
        self._browse = QPushButton()
        self._browse.clicked.connect(self._choose_key)
        self._new_key = QPushButton()
        self._new_key.setObjectName("onlineNewKey")
        self._new_key.setEnabled(make_key is not None)
        self._new_key.clicked.connect(self.create_key)
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self._browse)
        key_row.addWidget(self._new_key)
        self._captions = [plain_label("onlineCaption") for _ in range(6)]
        form.addRow(self._captions[0], self.public_edit)
        form.addRow(self._captions[1], self.host_edit)
        form.addRow(self._captions[2], self.port_spin)
        form.addRow(self._captions[3], self.user_edit)
        form.addRow(self._captions[4], self.relay_port_spin)
        form.addRow(self._captions[5], key_row)
        layout.addLayout(form)
        self._public_key_caption = plain_label("onlineHint", wrap=True)
        self.public_key_edit = QLineEdit()
        self.public_key_edit.setObjectName("onlinePublicKey")
        self.public_key_edit.setReadOnly(True)
        self._copy_key = QPushButton()
        self._copy_key.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.public_key_edit.text())
        )
        key_line = QHBoxLayout()
        key_line.addWidget(self.public_key_edit, 1)
        key_line.addWidget(self._copy_key)
        layout.addWidget(self._public_key_caption)
        layout.addLayout(key_line)
        self.status_label = plain_label("onlineStatus", wrap=True)
        self.status_label.setText(status)
        layout.addWidget(self.status_label)
        self.error_label, _ = error_and_buttons(self, layout, "onlineError")
        self.setMinimumWidth(680)
        self.retranslate()
        self._show_public_key()

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.setWindowTitle(tr("online_title"))
        self._intro.setText(tr("online_hint"))
        self.enabled_box.setText(tr("online_enabled"))
        for caption, key in zip(
            self._captions,
            (
                "online_public_url",
                "online_relay_host",
                "online_ssh_port",
                "online_user",
                "online_relay_port",
                "online_key_file",
            ),
            strict=True,
        ):
            caption.setText(tr(key))
        self._browse.setText(tr("online_browse"))
        self._new_key.setText(tr("online_new_key"))
        self._public_key_caption.setText(tr("online_public_key"))
        self._copy_key.setText(tr("online_copy_key"))

    def _show_public_key(self) -> None:
        path = self.key_edit.text().strip()
        line = ""
        if path and self._public_key is not None:
            try:
                line = self._public_key(Path(path))
            except (OSError, ValueError):
                line = ""
        self.public_key_edit.setText(line)

    def _choose_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("online_key_file"))
        if path:
            self.key_edit.setText(path)
            self._show_public_key()

    def create_key(self) -> None:
        """Make a new key in the config folder and show its public half to send to IT."""
        if self._make_key is None or self._default_key_file is None:
            return
        try:
            line = self._make_key(self._default_key_file)
        except OSError as exc:
            self._fail(tr("online_key_failed", error=exc.strerror or exc))
            return
        self.key_edit.setText(str(self._default_key_file))
        self.public_key_edit.setText(line)

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def config(self) -> OnlineConfig:
        """Return the settings as filled in (not checked).

        Raises:
            ValueError: if the public address is not an http(s) address of a host.
        """
        return OnlineConfig(
            enabled=self.enabled_box.isChecked(),
            relay_host=self.host_edit.text().strip(),
            public_url=normalise_public_url(self.public_edit.text()) or "",
            key_file=self.key_edit.text().strip(),
            user=self.user_edit.text().strip(),
            ssh_port=self.port_spin.value(),
            relay_port=self.relay_port_spin.value(),
        )

    def accept(self) -> None:
        """Check the fields; emit :attr:`applied` and close when they make sense."""
        try:
            config = self.config()
        except ValueError:
            self._fail(tr("settings_public_invalid"))
            return
        if config.enabled and not config.complete:
            self._fail(tr("online_incomplete"))
            return
        if config.enabled and not Path(config.key_file).is_file():
            self._fail(tr("online_key_missing", path=config.key_file))
            return
        self.error_label.hide()
        self.applied.emit(config)
        super().accept()
