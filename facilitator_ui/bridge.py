"""The one place where the core room's events become Qt signals.

Threading: :class:`app.room.Room` calls its listeners synchronously on the thread that changed
it. In the console that is always the asyncio loop's thread, and with qasync that loop *is* the
Qt main thread, so the bridge emits directly and every connected slot runs before the room
method (``join``, ``attach``, ``detach``) returns. Never drive the room from a worker thread:
the models read the room's state while handling these signals.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.room import ConnectionChanged, ParticipantJoined, Room, RoomEvent

log = logging.getLogger(__name__)


class RoomBridge(QObject):
    """Re-emits a :class:`~app.room.Room`'s events as Qt signals.

    Signals:
        participantJoined(str): a participant (by id) has joined and is stored.
        connectionChanged(str, bool): a participant (by id) got their first open connection
            (True) or lost their last one (False).
    """

    participantJoined = Signal(str)
    connectionChanged = Signal(str, bool)

    def __init__(self, room: Room, parent: QObject | None = None) -> None:
        """Subscribe to ``room``'s events.

        Args:
            room: the live room whose events to forward.
            parent: the usual Qt parent, which owns the bridge.
        """
        super().__init__(parent)
        self._room = room
        self._active = True
        room.subscribe(self._on_event)

    @property
    def room(self) -> Room:
        """The room this bridge listens to."""
        return self._room

    def disconnect_room(self) -> None:
        """Stop forwarding events (the room offers no unsubscribe, so we go quiet instead)."""
        self._active = False

    def _on_event(self, event: RoomEvent) -> None:
        # The room keeps our bound method for its whole life, but Qt may already have
        # deleted the C++ half (e.g. the window closed); emitting then would raise inside
        # the room's join/attach and break the server's handling of that participant.
        if not self._active or not shiboken6.isValid(self):
            return
        if isinstance(event, ParticipantJoined):
            self.participantJoined.emit(event.participant.id)
        elif isinstance(event, ConnectionChanged):
            self.connectionChanged.emit(event.participant_id, event.connected)
        else:  # pragma: no cover - a new event type the console does not show yet
            log.debug("room event not bridged: %r", event)
