"""The one place where the core room's events become Qt signals.

Threading: :class:`app.room.Room` calls its listeners synchronously on the thread that changed
it. In the console that is always the asyncio loop's thread, and with qasync that loop *is* the
Qt main thread, so the bridge emits directly and every connected slot runs before the room
method (``join``, ``attach``, ``detach``, and the :class:`app.live.Live` commands) returns.
Never drive the room from a worker thread: the models read the room's state while handling
these signals. (Grouping runs in an executor, but only on an immutable
:class:`app.live.GroupJob`; its result is applied on the loop thread.)

The signals carry ids and small values, never core objects the slots could hold on to: a
slot asks the room for the current state, so a burst of events can be coalesced safely.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.live import GroupsChanged, PhaseChanged, ReflectionChanged, SurveyAnswered
from app.room import (
    ConnectionChanged,
    ParticipantJoined,
    ParticipantRemoved,
    Room,
    RoomEvent,
    RoomFull,
    WorkshopChanged,
)
from app.votes import VotesChanged

log = logging.getLogger(__name__)


class RoomBridge(QObject):
    """Re-emits a :class:`~app.room.Room`'s events as Qt signals.

    Signals:
        participantJoined(str): a participant (by id) has joined and is stored.
        connectionChanged(str, bool): a participant (by id) got their first open connection
            (True) or lost their last one (False).
        phaseChanged(): the program or the phase clock changed (read ``room.live``).
        groupsChanged(int): the groups of a phase (by index) were made, edited, undone, or
            a late joiner was placed.
        reflectionChanged(str, bool): a reflection card (by id) was written, edited or
            withdrawn (False), or moderated by the facilitator (True).
        surveyAnswered(str): a participant (by id) saved survey answers.
        votesChanged(int): dots changed in a prioritise phase (by index), or its vote
            closed or reopened.
        roomFull(int): a join was refused because the session reached its limit (given).
        workshopChanged(str): a console operation (:mod:`app.operations`: ``edit``,
            ``roster``, ``clear``) or an erasure (``erase``: people's data erased, GDPR or a
            rehearsal's) changed the workshop; every view reloads.
    """

    participantJoined = Signal(str)
    connectionChanged = Signal(str, bool)
    phaseChanged = Signal()
    groupsChanged = Signal(int)
    reflectionChanged = Signal(str, bool)
    surveyAnswered = Signal(str)
    votesChanged = Signal(int)
    roomFull = Signal(int)
    workshopChanged = Signal(str)

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
        """Stop forwarding events and unsubscribe from the room."""
        self._active = False
        self._room.unsubscribe(self._on_event)

    def _on_event(self, event: RoomEvent) -> None:
        # The room keeps our bound method until we unsubscribe, but Qt may already have
        # deleted the C++ half (e.g. the window closed); emitting then would raise inside
        # the room's command and break the server's handling of that participant.
        if not self._active or not shiboken6.isValid(self):
            return
        if isinstance(event, ParticipantJoined):
            self.participantJoined.emit(event.participant.id)
        elif isinstance(event, ConnectionChanged):
            self.connectionChanged.emit(event.participant_id, event.connected)
        elif isinstance(event, PhaseChanged):
            self.phaseChanged.emit()
        elif isinstance(event, GroupsChanged):
            self.groupsChanged.emit(event.round.phase_index)
        elif isinstance(event, ReflectionChanged):
            self.reflectionChanged.emit(event.reflection.id, event.moderated)
        elif isinstance(event, SurveyAnswered):
            self.surveyAnswered.emit(event.participant_id)
        elif isinstance(event, VotesChanged):
            self.votesChanged.emit(event.phase_index)
        elif isinstance(event, RoomFull):
            self.roomFull.emit(event.limit)
        elif isinstance(event, WorkshopChanged):
            self.workshopChanged.emit(event.what)
        elif isinstance(event, ParticipantRemoved):
            # An erasure is one change of the whole session (people, cards, groups, answers,
            # votes): the views follow it as they follow a console operation.
            self.workshopChanged.emit("erase")
        else:  # pragma: no cover - a new event type the console does not show yet
            log.debug("room event not bridged: %r", event)
