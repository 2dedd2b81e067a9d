"""Reachability help: how many devices have opened the page, and what to do when none has.

The console cannot see the network, only what the room server counted: the distinct addresses
that fetched the participant page or opened its socket (a callback from the composition root,
polled every two seconds, since the server has no event for it). When the QR code has been
on show for a minute and no device but this computer has arrived, the usual causes and fixes
are explained in plain language. The first device that arrives hides the help for good.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from app.i18n import tr
from facilitator_ui.common import plain_label

DevicesSeen = Callable[[], tuple[int, int]]
"""Returns (devices that opened the page, of which not this computer)."""

POLL_MS = 2000
HELP_AFTER_S = 60.0

_STYLE = """
#reachabilityPanel {
    background: #e7f0ff;
    border: 2px solid #0b3d91;
    border-radius: 8px;
}
#reachabilityTitle { color: #0b3d91; }
#reachabilityText { color: #0d1b2a; }
"""


class ReachabilityPanel(QFrame):
    """The help panel (hidden until needed) and the device count line.

    Attributes:
        count_label: "Enheter som öppnat sidan: N", for the status bar.
        title_label, causes_label, fixes_label: the help's texts.
        dismiss_button: hides the help for the rest of the run.

    Signals:
        helpShown(bool): the help appeared (True) or went away (False).
    """

    helpShown = Signal(bool)

    def __init__(
        self,
        devices_seen: DevicesSeen | None,
        qr_shown: Callable[[], bool],
        *,
        clock: Callable[[], float] = time.time,
        after: float = HELP_AFTER_S,
        poll_ms: int = POLL_MS,
        someone_connected: Callable[[], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Watch ``devices_seen`` while ``qr_shown`` says the QR code is on show.

        Args:
            devices_seen: the server's count (None: nothing to watch, the panel stays hidden).
            qr_shown: True while the QR code is on a screen people can see.
            clock: the wall clock (tests move their own).
            after: seconds the QR code is on show with nobody arriving before the help shows.
            poll_ms: how often the count is read.
            someone_connected: True once a participant is connected, whatever their
                address: behind a tunnel or reverse proxy on this computer, people who got
                through arrive from this computer's own address.
            parent: the usual Qt parent.
        """
        super().__init__(parent)
        self.setObjectName("reachabilityPanel")
        self.setStyleSheet(_STYLE)
        self._devices_seen = devices_seen
        self._qr_shown = qr_shown
        self._someone_connected = someone_connected
        self._clock = clock
        self.after = after
        self._since: float | None = None
        self._counts = (0, 0)
        self._dismissed = False
        self._arrived = False
        # The online session's tunnel state ("off": participants come over this network).
        self._online = "off"

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 10, 12, 10)
        layout.setSpacing(16)
        texts = QVBoxLayout()
        texts.setSpacing(4)
        self.title_label = plain_label("reachabilityTitle", 16, bold=True)
        self.causes_label = plain_label("reachabilityText", 13, wrap=True)
        self.fixes_label = plain_label("reachabilityText", 13, wrap=True)
        for label in (self.title_label, self.causes_label, self.fixes_label):
            texts.addWidget(label)
        layout.addLayout(texts, 1)
        self.dismiss_button = QPushButton()
        self.dismiss_button.setObjectName("reachabilityDismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)

        self.count_label = plain_label("devicesSeen", 12, bold=True)
        self.count_label.setVisible(devices_seen is not None)
        self.hide()

        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self.poll)
        if devices_seen is not None:
            self._timer.start()
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def counts(self) -> tuple[int, int]:
        """Return the last count read: (devices, of which not this computer)."""
        return self._counts

    def help_visible(self) -> bool:
        """Return True while the help is (meant to be) shown."""
        return not self.isHidden()

    def restart(self) -> None:
        """Count the minute again (e.g. after the join address changed)."""
        self._since = None
        self._dismissed = False
        self.poll()

    def set_online(self, state: str) -> None:
        """Speak of the relay, not the room's network, while an online session is on.

        ``state`` is the tunnel's (``off``, ``connecting``, ``up``, ``down``): with a relay,
        guest Wi-Fi and firewalls are not why nobody arrives; a tunnel that is down, or a
        link other than the relay's, is.
        """
        if state != self._online:
            self._online = state
            self.retranslate()

    def dismiss(self) -> None:
        """Hide the help for the rest of the run."""
        self._dismissed = True
        self._set_help(False)

    def poll(self) -> None:
        """Read the count and show or hide the help."""
        if self._devices_seen is None:
            return
        self._counts = self._devices_seen()
        total, others = self._counts
        self.count_label.setText(tr("devices_seen", count=total))
        if others or (self._someone_connected is not None and self._someone_connected()):
            self._arrived = True
        now = self._clock()
        if not self._qr_shown():
            self._since = None
        elif self._since is None:
            self._since = now
        waited = self._since is not None and now - self._since >= self.after
        self._set_help(waited and not self._arrived and not self._dismissed)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self.title_label.setText(tr("reach_title"))
        online = "_online" if self._online != "off" else ""
        self.causes_label.setText(tr(f"reach_causes{online}"))
        self.fixes_label.setText(tr(f"reach_fixes{online}"))
        self.dismiss_button.setText(tr("reach_dismiss"))
        self.count_label.setText(tr("devices_seen", count=self._counts[0]))

    def _set_help(self, on: bool) -> None:
        if on == self.help_visible():
            return
        self.setVisible(on)
        self.helpShown.emit(on)
