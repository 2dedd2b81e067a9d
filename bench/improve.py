"""Console benchmark: groups made at once, then improved in the background, beside the loop.

Not a test: run it by hand, e.g. ``python bench/improve.py``. Fifteen people of the sample
series's eleven organisations have met in five rounds of three (each round made by the
console at once, counting the earlier ones); the sixth round is made in the Grupper tab
before its phase starts. Printed: how long until the groups are shown (made at once), the
repeated pairs then and after the background search (up to ``IMPROVE_SECONDS``), and how
late a 50 ms ``asyncio.sleep`` on the console's loop (which is also the room server's) woke
up while the search ran: the worst and the median lateness. The search runs in the loop's
executor, so the lateness should stay at a few tens of milliseconds, whatever the search
costs.

Offscreen Qt (``QT_QPA_PLATFORM=offscreen``), a real qasync loop, a real SQLite store in a
temporary folder; nothing on the network.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from app.model import Phase, PhaseKind, Role
from app.room import Room
from app.store import Store
from facilitator_ui import groups_view
from facilitator_ui.main_window import MainWindow
from tests.ui_helpers import FakeClock, join, join_info


async def _run(window: MainWindow, room: Room, phase: int) -> None:
    view = window.groups_view
    shown: list[str] = []
    view.improvingChanged.connect(lambda on: shown.append(view.repeats_label.text()) if on else 0)
    started = time.monotonic()
    view.make_button.click()
    while not view.is_improving():
        if not view.is_busy() and room.live.round(phase) is not None and not shown:
            print("groups at their bounds at once: nothing to improve")
            return
        await asyncio.sleep(0.01)
    made = time.monotonic() - started
    late: list[float] = []
    while view.is_improving():
        before = time.monotonic()
        await asyncio.sleep(0.05)
        late.append(time.monotonic() - before - 0.05)
    took = time.monotonic() - started
    print(f"groups shown after {made * 1000:.0f} ms: {shown[0]}")
    print(f"background search ended after {took:.1f} s: {view.repeats_label.text()}")
    print(f"  status: {window.statusBar().currentMessage()}")
    worst = sorted(range(len(late)), key=late.__getitem__)[-5:]
    print(
        f"loop lateness while searching: worst {max(late) * 1000:.0f} ms,"
        f" median {statistics.median(late) * 1000:.0f} ms over {len(late)} sleeps"
    )
    print("  worst five (sleep number, ms):", [(i, round(late[i] * 1000)) for i in worst])


def main() -> None:
    """Run the benchmark once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=15, help="participants (default 15)")
    parser.add_argument("--rounds", type=int, default=5, help="earlier rounds (default 5)")
    args = parser.parse_args()
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        room = Room(store)
        program = [
            Phase(PhaseKind.MIXED_GROUPS, f"Runda {i + 1}", 20) for i in range(args.rounds + 1)
        ]
        room.live.set_program(program)
        for i in range(args.people):
            join(room, f"Person {i}", i, role=Role.ELECTED if i % 3 == 0 else Role.OFFICIAL)
        for r in range(args.rounds):
            room.live.make_groups(r, 3)
        window = MainWindow(room, join_info(room), clock=FakeClock())
        window.resize(1500, 960)
        window.show()
        view = window.groups_view
        view.auto_check.setChecked(False)
        view.set_phase(args.rounds)
        view.size_spin.setValue(3)
        print(
            f"{args.people} people, {args.rounds} earlier rounds of 3;"
            f" search budget {groups_view.IMPROVE_SECONDS:g} s"
        )
        loop.run_until_complete(_run(window, room, args.rounds))
        window.close()
        store.close()


if __name__ == "__main__":
    main()
