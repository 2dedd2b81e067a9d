"""The roster: who has joined the live room, grouped by organisation, as a Qt item model.

A two-level tree. Top rows are the series' organisations that have at least one participant,
in the series' order; their children are the participants in joining order, so a newcomer
shows up at the bottom of their organisation. The model is updated incrementally from
:class:`facilitator_ui.bridge.RoomBridge` signals, never reset while the room is live, so a
view keeps its scroll position, expansion and selection while people stream in.

Everything returned for :data:`Qt.ItemDataRole.DisplayRole` is plain text: participants wrote
their names themselves and views render display text literally.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPen, QPixmap

from app.i18n import tr
from app.model import Attendance, Participant, Role
from app.room import Room
from facilitator_ui.bridge import RoomBridge

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# Internal id of top-level (organisation) indexes; children carry their organisation's key.
_TOP = 0

# Colours checked against a white background: dimmed text stays above 4.5:1 (WCAG AA).
_DIM = QColor("#5f6368")
_ONLINE = QColor("#1b6e2a")


class Column(IntEnum):
    """The roster's columns."""

    NAME = 0
    ROLE = 1
    ATTENDANCE = 2
    STATUS = 3


class RosterRole(IntEnum):
    """Custom item data roles, for tests and for views that need more than text."""

    PARTICIPANT_ID = Qt.ItemDataRole.UserRole + 1
    """The participant's id (str) on participant rows; None on organisation rows."""
    CONNECTED = Qt.ItemDataRole.UserRole + 2
    """Whether the participant has an open connection (bool); on organisation rows, any."""
    ORGANISATION_ID = Qt.ItemDataRole.UserRole + 3
    """The organisation's id (int) on both kinds of row."""
    JOINED_COUNT = Qt.ItemDataRole.UserRole + 4
    """On organisation rows: how many of its people joined (int)."""
    CONNECTED_COUNT = Qt.ItemDataRole.UserRole + 5
    """On organisation rows: how many of its people are connected now (int)."""
    ROLE_WORD = Qt.ItemDataRole.UserRole + 6
    """On participant rows: the role alone, without the function (str)."""


_ROLE_KEYS = {Role.ELECTED: "role_elected", Role.OFFICIAL: "role_official"}
_ATTENDANCE_KEYS = {
    Attendance.IN_ROOM: "attendance_in_room",
    Attendance.REMOTE: "attendance_remote",
}


@dataclass(eq=False, slots=True)
class _OrgNode:
    """One organisation row and the ids of its participants, in joining order."""

    key: int  # stable internal id of its children's indexes (never 0)
    organisation_id: int
    rank: int  # position in the series' order, which fixes the row order
    participant_ids: list[str] = field(default_factory=list)
    connected: int = 0


class RosterModel(QAbstractItemModel):
    """A tree model of the room's participants, grouped by organisation.

    Signals:
        totalsChanged(int, int): the number of participants who joined and of those
            connected now changed; the same values as :meth:`totals`.
    """

    totalsChanged = Signal(int, int)

    def __init__(self, room: Room, bridge: RoomBridge, parent: QObject | None = None) -> None:
        """Load the room's current participants and follow ``bridge`` from then on.

        Args:
            room: the live room to show.
            bridge: the bridge of that room whose signals keep the model current.
            parent: the usual Qt parent.
        """
        super().__init__(parent)
        self._room = room
        self._ranks = {org.id: rank for rank, org in enumerate(room.series.organisations)}
        self._orgs: list[_OrgNode] = []
        self._by_key: dict[int, _OrgNode] = {}
        self._by_org: dict[int, _OrgNode] = {}
        self._participants: dict[str, Participant] = {}
        self._connected: set[str] = set()
        self._icons: dict[bool, QIcon] = {}
        self._load()
        bridge.participantJoined.connect(self._on_participant_joined)
        bridge.connectionChanged.connect(self._on_connection_changed)

    # -- public API ---------------------------------------------------------------------------

    def totals(self) -> tuple[int, int]:
        """Return ``(joined, connected)``: everyone who joined, and those connected now."""
        return len(self._participants), len(self._connected)

    def participant(self, index: Index) -> Participant | None:
        """Return the participant on a participant row, or None for an organisation row."""
        node = self._child_node(index)
        if node is None:
            return None
        return self._participants[node.participant_ids[index.row()]]

    def index_of_participant(self, participant_id: str) -> QModelIndex:
        """Return the index (column 0) of a participant's row; invalid if not in the roster."""
        participant = self._participants.get(participant_id)
        if participant is None:
            return QModelIndex()
        node = self._by_org[participant.organisation_id]
        return self.createIndex(node.participant_ids.index(participant_id), 0, node.key)

    def index_of_organisation(self, organisation_id: int) -> QModelIndex:
        """Return the index (column 0) of an organisation's row; invalid if it has no one."""
        node = self._by_org.get(organisation_id)
        if node is None:
            return QModelIndex()
        return self.createIndex(self._orgs.index(node), 0, _TOP)

    def reload(self) -> None:
        """Rebuild from the room (e.g. after switching session); views are reset."""
        self.beginResetModel()
        self._orgs.clear()
        self._by_key.clear()
        self._by_org.clear()
        self._participants.clear()
        self._connected.clear()
        self._load()
        self.endResetModel()
        self.totalsChanged.emit(*self.totals())

    def retranslate(self) -> None:
        """Tell views that every text changed, after the language was switched."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        if not self._orgs:
            return
        last = len(Column) - 1
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._orgs) - 1, last))
        for row, node in enumerate(self._orgs):
            parent = self.index(row, 0)
            count = len(node.participant_ids)
            self.dataChanged.emit(self.index(0, 0, parent), self.index(count - 1, last, parent))

    # -- QAbstractItemModel -------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        """Return the index of a cell (see :class:`QAbstractItemModel`)."""
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, _TOP)
        if parent.internalId() != _TOP:
            return QModelIndex()  # participants have no children
        return self.createIndex(row, column, self._orgs[parent.row()].key)

    def parent(self, index: Index | None = None) -> Any:  # type: ignore[override]
        """Return the organisation row of a participant row (see :class:`QAbstractItemModel`).

        Without an argument this is :meth:`QObject.parent`, which the override would hide.
        """
        if index is None:
            return super().parent()
        node = self._child_node(index)
        if node is None:
            return QModelIndex()
        return self.createIndex(self._orgs.index(node), 0, _TOP)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the number of organisations, or of participants under an organisation."""
        if not parent.isValid():
            return len(self._orgs)
        if parent.column() != 0 or parent.internalId() != _TOP:
            return 0
        return len(self._orgs[parent.row()].participant_ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the number of columns (the same on every level)."""
        return len(Column)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        """Return the translated column titles."""
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        keys = ("col_name", "col_role", "col_attendance", "col_status")
        return tr(keys[section]) if 0 <= section < len(keys) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Return selectable and enabled; nothing here is editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return a cell's data (plain text for display; see :class:`RosterRole`)."""
        if not index.isValid():
            return None
        if index.internalId() == _TOP:
            return self._org_data(self._orgs[index.row()], index.column(), role)
        node = self._by_key[index.internalId()]
        participant = self._participants[node.participant_ids[index.row()]]
        return self._participant_data(participant, index.column(), role)

    # -- data helpers -------------------------------------------------------------------------

    def _org_name(self, organisation_id: int) -> str:
        return self._room.organisation_name(organisation_id) or tr("org_unknown")

    def _org_data(self, node: _OrgNode, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            if column != Column.NAME:
                return None
            return tr(
                "org_row_connected",
                name=self._org_name(node.organisation_id),
                count=len(node.participant_ids),
                connected=node.connected,
            )
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == RosterRole.ORGANISATION_ID:
            return node.organisation_id
        if role == RosterRole.JOINED_COUNT:
            return len(node.participant_ids)
        if role == RosterRole.CONNECTED_COUNT:
            return node.connected
        if role == RosterRole.CONNECTED:
            return node.connected > 0
        if role == RosterRole.PARTICIPANT_ID:
            return None
        return None

    def _participant_data(self, participant: Participant, column: int, role: int) -> object:
        connected = participant.id in self._connected
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return self._participant_text(participant, column, connected)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == Column.STATUS and connected:
                return QBrush(_ONLINE)
            return None if connected else QBrush(_DIM)
        if role == Qt.ItemDataRole.FontRole and column == Column.STATUS and connected:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATUS:
            return self._status_icon(connected)
        if role == RosterRole.PARTICIPANT_ID:
            return participant.id
        if role == RosterRole.CONNECTED:
            return connected
        if role == RosterRole.ORGANISATION_ID:
            return participant.organisation_id
        if role == RosterRole.ROLE_WORD:
            return tr(_ROLE_KEYS[participant.role])
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.ROLE:
            return self._participant_text(participant, column, connected)
        return None

    def _participant_text(self, participant: Participant, column: int, connected: bool) -> str:
        if column == Column.NAME:
            if participant.rehearsal:  # a rehearsal's made-up person: said where it shows
                return tr("roster_rehearsal", name=participant.name)
            return participant.name
        if column == Column.ROLE:
            role = tr(_ROLE_KEYS[participant.role])
            if participant.function:
                return tr("role_function", role=role, function=participant.function)
            return role
        if column == Column.ATTENDANCE:
            return tr(_ATTENDANCE_KEYS[participant.attendance])
        return tr("status_connected" if connected else "status_away")

    def _status_icon(self, connected: bool) -> QIcon:
        # A filled dot next to the word: the status reads at a glance, and never by colour
        # alone (the word is always there too).
        icon = self._icons.get(connected)
        if icon is None:
            pixmap = QPixmap(32, 32)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            colour = _ONLINE if connected else _DIM
            painter.setPen(QPen(colour, 3))
            painter.setBrush(colour if connected else Qt.GlobalColor.transparent)
            painter.drawEllipse(5, 5, 22, 22)
            painter.end()
            icon = self._icons[connected] = QIcon(pixmap)
        return icon

    def _child_node(self, index: Index) -> _OrgNode | None:
        if not index.isValid() or index.internalId() == _TOP:
            return None
        return self._by_key.get(index.internalId())

    # -- building and incremental updates -----------------------------------------------------

    def _load(self) -> None:
        for participant in self._room.participants():
            node = self._by_org.get(participant.organisation_id)
            if node is None:
                node = self._new_node(participant.organisation_id)
                self._orgs.insert(self._insert_position(node), node)
            node.participant_ids.append(participant.id)
            self._participants[participant.id] = participant
            if self._room.is_connected(participant.id):
                self._connected.add(participant.id)
                node.connected += 1

    def _new_node(self, organisation_id: int) -> _OrgNode:
        # Keys are handed out once per organisation and never reused, so indexes that views
        # keep (persistent indexes) stay valid when rows above them are inserted.
        key = len(self._by_key) + 1
        rank = self._ranks.get(organisation_id, len(self._ranks))
        node = _OrgNode(key=key, organisation_id=organisation_id, rank=rank)
        self._by_key[key] = node
        self._by_org[organisation_id] = node
        return node

    def _insert_position(self, node: _OrgNode) -> int:
        for row, other in enumerate(self._orgs):
            if (other.rank, other.organisation_id) > (node.rank, node.organisation_id):
                return row
        return len(self._orgs)

    def _on_participant_joined(self, participant_id: str) -> None:
        if participant_id in self._participants:
            return  # already shown (e.g. loaded at start); joins are idempotent here
        participant = self._room.participant(participant_id)
        if participant is None:
            log.warning("participant %s joined but is not in the room", participant_id)
            return
        node = self._by_org.get(participant.organisation_id)
        if node is None:
            node = self._new_node(participant.organisation_id)
            row = self._insert_position(node)
            self.beginInsertRows(QModelIndex(), row, row)
            self._orgs.insert(row, node)
            self.endInsertRows()
        org_index = self.index_of_organisation(participant.organisation_id)
        child_row = len(node.participant_ids)
        self.beginInsertRows(org_index, child_row, child_row)
        node.participant_ids.append(participant.id)
        self._participants[participant.id] = participant
        # Ask the room rather than wait for a ConnectionChanged: a listener that subscribed
        # before us may already have attached a connection while handling the join.
        if self._room.is_connected(participant.id):
            self._connected.add(participant.id)
            node.connected += 1
        self.endInsertRows()
        self.dataChanged.emit(org_index, org_index)
        self.totalsChanged.emit(*self.totals())

    def _on_connection_changed(self, participant_id: str, connected: bool) -> None:
        participant = self._participants.get(participant_id)
        # Not shown yet: its join will read the connection state from the room.
        if participant is None or connected == (participant_id in self._connected):
            return
        node = self._by_org[participant.organisation_id]
        if connected:
            self._connected.add(participant_id)
            node.connected += 1
        else:
            self._connected.discard(participant_id)
            node.connected -= 1
        row_index = self.index_of_participant(participant_id)
        last = row_index.siblingAtColumn(len(Column) - 1)
        self.dataChanged.emit(row_index, last)
        org_index = self.index_of_organisation(participant.organisation_id)
        self.dataChanged.emit(org_index, org_index)
        self.totalsChanged.emit(*self.totals())
