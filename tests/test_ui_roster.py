"""The console's roster: model and view follow the room live, down to a real server and client."""

from __future__ import annotations

import os

# Before Qt is imported (tests/conftest.py does the same; this keeps the module runnable alone).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import json

import pytest
import qasync
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel
from websockets.asyncio.client import connect

from app.model import Attendance, Role
from app.protocol import Join
from app.room import JoinInfo, Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.main_window import MainWindow
from facilitator_ui.roster_model import Column, RosterModel, RosterRole
from room_server.server import RoomServer

DISPLAY = Qt.ItemDataRole.DisplayRole


def org_id(room: Room, name: str) -> int:
    return next(o.id for o in room.series.organisations if o.name == name)


def join(room: Room, name: str, org: str, *, role: Role = Role.OFFICIAL, function: str = "") -> str:
    form = Join(name, org_id(room, org), role, Attendance.IN_ROOM, function)
    return room.join(form).participant.id


def join_info(room: Room) -> JoinInfo:
    base = "http://192.168.1.20:8765"
    return JoinInfo(f"{base}/#t={room.room_token}", base, room.display_code, 8765, 8765, False)


def org_rows(model: RosterModel) -> list[str]:
    return [model.index(row, 0).data(DISPLAY) for row in range(model.rowCount())]


def child_names(model: RosterModel, org_row: int) -> list[str]:
    parent = model.index(org_row, 0)
    return [model.index(r, 0, parent).data(DISPLAY) for r in range(model.rowCount(parent))]


@pytest.fixture
def model(room: Room, qtmodeltester) -> RosterModel:  # noqa: ANN001
    roster = RosterModel(room, RoomBridge(room))
    # Qt's model checks re-run on every signal, so each incremental update is checked too.
    qtmodeltester.check(roster, force_py=True)
    return roster


def test_join_inserts_the_organisation_row_then_the_participant_row(
    qtbot, model: RosterModel, room: Room
) -> None:
    inserted: list[tuple[str | None, int, int]] = []
    model.rowsInserted.connect(
        lambda parent, first, last: inserted.append(
            (parent.data(DISPLAY) if parent.isValid() else None, first, last)
        )
    )
    with qtbot.waitSignal(
        model.rowsInserted, check_params_cb=lambda parent, first, last: parent.isValid()
    ):
        anna = join(room, "Anna Karlsson", "Uddevalla")

    # The org row is inserted empty, then its first child; by now it counts that child.
    assert inserted == [(None, 0, 0), ("Uddevalla (1, 0 anslutna)", 0, 0)]
    assert model.index_of_participant(anna).data(RosterRole.PARTICIPANT_ID) == anna
    assert model.totals() == (1, 0)

    with qtbot.waitSignal(model.rowsInserted) as blocker:
        join(room, "Erik Johansson", "Uddevalla")
    parent, first, last = blocker.args
    assert (parent.row(), first, last) == (0, 1, 1)  # appended under the same org row
    assert len(inserted) == 3


def test_rows_follow_the_series_order_and_count_per_organisation(
    model: RosterModel, room: Room
) -> None:
    for name, org in [
        ("Anna", "Uddevalla"),
        ("Bo", "Åmål"),
        ("Cecilia", "Uddevalla"),
        ("David", "Bengtsfors"),
        ("Eva", "Uddevalla"),
        ("Fatima", "Fyrbodals kommunalförbund"),
    ]:
        join(room, name, org)

    assert org_rows(model) == [
        "Bengtsfors (1, 0 anslutna)",
        "Uddevalla (3, 0 anslutna)",
        "Åmål (1, 0 anslutna)",
        "Fyrbodals kommunalförbund (1, 0 anslutna)",
    ]
    assert child_names(model, 1) == ["Anna", "Cecilia", "Eva"]  # joining order
    uddevalla = model.index(1, 0)
    assert uddevalla.data(RosterRole.JOINED_COUNT) == 3
    assert uddevalla.data(RosterRole.ORGANISATION_ID) == org_id(room, "Uddevalla")
    assert uddevalla.data(RosterRole.PARTICIPANT_ID) is None
    assert model.totals() == (6, 0)


def test_columns_show_role_function_attendance_and_status(model: RosterModel, room: Room) -> None:
    pid = join(room, "Erik", "Tanum", role=Role.OFFICIAL, function="IT-chef")
    row = model.index_of_participant(pid)
    texts = [row.siblingAtColumn(c).data(DISPLAY) for c in Column]
    assert texts == ["Erik", "Tjänsteperson, IT-chef", "På plats", "Borta"]
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [
        "Namn",
        "Roll",
        "Deltar",
        "Status",
    ]


def test_connection_changes_update_the_status_and_the_organisation_row(
    qtbot, model: RosterModel, room: Room
) -> None:
    anna = join(room, "Anna", "Uddevalla")
    join(room, "Bo", "Uddevalla")
    changed: list[tuple[int, int, int]] = []
    model.dataChanged.connect(
        lambda top, bottom, roles: changed.append(
            (top.parent().isValid(), top.row(), bottom.column())
        )
    )

    with qtbot.waitSignal(model.totalsChanged) as totals:
        room.attach(anna)
    assert totals.args == [2, 1]
    row = model.index_of_participant(anna)
    status = row.siblingAtColumn(Column.STATUS)
    assert status.data(DISPLAY) == "Ansluten"
    assert row.data(RosterRole.CONNECTED) is True
    assert row.data(Qt.ItemDataRole.ForegroundRole) is None  # full contrast while here
    assert model.index(0, 0).data(DISPLAY) == "Uddevalla (2, 1 ansluten)"
    assert model.index(0, 0).data(RosterRole.CONNECTED_COUNT) == 1
    # One change for the participant's whole row, one for the organisation row.
    assert changed == [(True, 0, Column.STATUS), (False, 0, 0)]

    room.attach(anna)  # a second tab: still one connected person, no new signal
    assert len(changed) == 2
    room.detach(anna)
    assert status.data(DISPLAY) == "Ansluten"
    room.detach(anna)
    assert status.data(DISPLAY) == "Borta"
    assert row.data(RosterRole.CONNECTED) is False
    assert isinstance(row.data(Qt.ItemDataRole.ForegroundRole), QBrush)  # dimmed
    assert model.index(0, 0).data(DISPLAY) == "Uddevalla (2, 0 anslutna)"
    assert model.totals() == (2, 0)


def test_participants_already_in_the_room_are_loaded(room: Room) -> None:
    anna = join(room, "Anna", "Lysekil")
    join(room, "Bo", "Dals-Ed")
    room.attach(anna)

    model = RosterModel(room, RoomBridge(room))

    assert org_rows(model) == ["Dals-Ed (1, 0 anslutna)", "Lysekil (1, 1 ansluten)"]
    assert model.totals() == (2, 1)


def test_names_are_plain_text_everywhere(qtbot, room: Room) -> None:
    window = MainWindow(room, join_info(room))
    qtbot.addWidget(window)
    hostile = '<img src=x onerror="alert(1)"><b>Anna</b> &amp;'
    pid = join(room, hostile, "Mellerud")

    index = window.roster_model.index_of_participant(pid)
    assert index.data(DISPLAY) == hostile  # shown as typed, never interpreted
    assert index.data(Qt.ItemDataRole.ToolTipRole) is None
    labels = window.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_the_window_view_expands_new_organisations_and_shows_totals(qtbot, room: Room) -> None:
    join(room, "Anna", "Uddevalla")
    window = MainWindow(room, join_info(room))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    view = window.roster_view
    assert window.totals_label.text() == "1 anmäld · 0 anslutna nu"
    assert view.font().pointSize() >= 14

    pid = join(room, "Bo", "Bengtsfors")  # a new org row, above Uddevalla
    room.attach(pid)

    model = view.model()
    assert org_rows(model) == ["Bengtsfors (1, 1 ansluten)", "Uddevalla (1, 0 anslutna)"]
    for row in range(model.rowCount()):
        assert view.isExpanded(model.index(row, 0))
        assert view.isFirstColumnSpanned(row, QModelIndex())
    assert window.totals_label.text() == "2 anmälda · 1 ansluten nu"


def test_a_real_participant_joins_through_the_real_server(qtbot, qapp: QApplication, room: Room):
    """The composition the app uses: server and window on one qasync loop, a real client."""
    seen: dict[str, object] = {}

    async def scenario() -> None:
        server = RoomServer(room, "127.0.0.1", 0)
        await server.start()
        try:
            window = MainWindow(room, server.join_info())
            qtbot.addWidget(window)
            window.show()
            assert window.address_label.text() == server.join_url
            url = f"ws://127.0.0.1:{server.port}/ws"
            origin = url.replace("ws://", "http://").removesuffix("/ws")
            async with connect(url, proxy=None, open_timeout=5, origin=origin) as ws:  # type: ignore[arg-type]
                await ws.send(json.dumps({"type": "hello", "room_token": room.room_token}))
                welcome = json.loads(await ws.recv())
                org = next(o for o in welcome["organisations"] if o["name"] == "Vänersborg")
                await ws.send(
                    json.dumps(
                        {
                            "type": "join",
                            "name": "Karin <i>Lind</i>",
                            "organisation_id": org["id"],
                            "role": "elected",
                            "attendance": "remote",
                        }
                    )
                )
                while (joined := json.loads(await ws.recv()))["type"] != "joined":
                    pass
                pid = joined["participant"]["id"]
                # The room told the bridge before the server acknowledged: no waiting needed.
                index = window.roster_view.model().index_of_participant(pid)
                seen["name"] = index.data(DISPLAY)
                seen["org"] = index.parent().data(DISPLAY)
                seen["status"] = index.siblingAtColumn(Column.STATUS).data(DISPLAY)
                seen["totals"] = window.totals_label.text()
            for _ in range(200):  # the server notices the closed socket on its own
                if not room.is_connected(pid):
                    break
                await asyncio.sleep(0.01)
            seen["after"] = window.totals_label.text()
            seen["status_after"] = index.siblingAtColumn(Column.STATUS).data(DISPLAY)
        finally:
            await server.stop()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        runner.run(asyncio.wait_for(scenario(), 10))

    assert seen == {
        "name": "Karin <i>Lind</i>",
        "org": "Vänersborg (1, 1 ansluten)",
        "status": "Ansluten",
        "totals": "1 anmäld · 1 ansluten nu",
        "after": "1 anmäld · 0 anslutna nu",
        "status_after": "Borta",
    }


def test_columns_are_sized_without_measuring_every_row(qtbot, room: Room) -> None:
    """ResizeToContents re-measures all rows on each change: ~0.4 s at 400 people, on the
    loop the server shares. Widths are measured from the words and from newcomers instead."""
    from PySide6.QtWidgets import QHeaderView

    window = MainWindow(room, join_info(room))
    qtbot.addWidget(window)
    header = window.roster_view.header()
    modes = {header.sectionResizeMode(c) for c in Column}
    assert QHeaderView.ResizeMode.ResizeToContents not in modes

    before = header.sectionSize(Column.NAME)
    long_name = "Anna-Karin Lindqvist Gustafsson"
    join(room, long_name, "Tanum")
    assert header.sectionSize(Column.NAME) > before
    assert header.sectionSize(Column.NAME) >= QFontMetrics(
        window.roster_view.font()
    ).horizontalAdvance(long_name)
