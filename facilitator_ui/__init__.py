"""The facilitator console: Qt widgets and models over the core in :mod:`app`.

This package is one of the two shells around the pure core (the other is :mod:`room_server`).
It may import :mod:`app` and Qt, never :mod:`room_server`: the composition root hands it a
:class:`app.room.Room` and a :class:`app.room.JoinInfo` and wires the rest. Core events reach
Qt in exactly one place, :class:`facilitator_ui.bridge.RoomBridge`.
"""

from facilitator_ui.qt_compat import warn_if_defective

# Loud at start-up rather than an abort mid-workshop (see facilitator_ui.qt_compat).
warn_if_defective()
