"""The console's export dialog: a real export in a worker thread while the loop stays responsive."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QTimer

from app import i18n
from app.model import Attendance, Role
from app.protocol import Join, Reflect, parse
from app.room import Room
from facilitator_ui.export_dialog import ExportDialog

SV = i18n.catalogue("sv")
MIXED = 1


@pytest.fixture
def busy_room(room: Room) -> Room:
    """24 people from eight organisations, in mixed groups, with two cards each."""
    orgs = room.series.organisations
    people = []
    for i in range(24):
        role = Role.ELECTED if i % 3 == 0 else Role.OFFICIAL
        form = Join(f"Deltagare {i} Åström", orgs[i % 8].id, role, Attendance.IN_ROOM, "")
        people.append(room.join(form).participant)
        room.attach(people[-1].id)
    room.live.start(MIXED)
    room.live.make_groups(size=4)
    for i, who in enumerate(people):
        for n in range(2):
            text = f"Reflektion {i}.{n}: <samverkan> & digitalisering i {orgs[i % 8].name}"
            frame = {"type": "reflect", "id": f"card-{i:04d}-{n}", "phase": MIXED, "text": text}
            message = parse(json.dumps(frame))
            assert isinstance(message, Reflect)
            room.live.reflect(who, message)
    return room


def test_export_runs_in_a_worker_with_progress_and_a_responsive_loop(
    qtbot, qloop, busy_room: Room, tmp_path: Path, monkeypatch
) -> None:
    import threading

    import facilitator_ui.export_dialog as export_dialog

    # The export may only begin once the Qt loop has run a timer *after* the export started:
    # if the export ran on (or blocked) the loop's thread, that timer could never fire and
    # the export would fail waiting. Deterministic, not a timing threshold.
    loop_ran = threading.Event()
    threads: list[int] = []
    real_export = export_dialog.export_all

    def gated_export(*args, **kwargs):
        threads.append(threading.get_ident())
        assert loop_ran.wait(20), "the Qt loop did not run while the export was going"
        return real_export(*args, **kwargs)

    monkeypatch.setattr(export_dialog, "export_all", gated_export)
    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.series_radio.setChecked(True)
    dialog.names_check.setChecked(True)

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    assert dialog.start() is True
    QTimer.singleShot(0, loop_ran.set)
    assert dialog.is_running()
    assert not dialog.export_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60_000)
    elapsed = time.perf_counter() - started
    timer.stop()

    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    max_gap_ms = 1000 * max(gaps)
    print(f"\nexport {elapsed * 1000:.0f} ms; loop max gap {max_gap_ms:.1f} ms, {len(ticks)} ticks")
    assert threads and threads[0] != threading.get_ident()
    assert loop_ran.is_set()

    written = dialog.written()
    assert dialog.progress_values and dialog.progress_values[-1] == 100
    assert dialog.progress_values == sorted(dialog.progress_values)
    assert dialog.progress_bar.value() == 100
    assert dialog.status_label.text() == SV["export_result"].format(
        count=len(written), folder=tmp_path / "ut"
    )
    assert dialog.open_folder_button.isEnabled()
    assert dialog.files_list.count() == len(written)
    pdfs = [p for p in written if p.suffix == ".pdf"]
    assert len(pdfs) == 9  # eight organisations took part, plus the overview
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 1
        assert "Tankesmedja" in "".join(page.extract_text() for page in reader.pages)
    uddevalla = next(p for p in pdfs if "Uddevalla" in p.name)
    text = "".join(page.extract_text() for page in PdfReader(uddevalla).pages)
    assert "<samverkan> & digitalisering i Uddevalla" in text
    assert any(p.suffix in (".csv", ".json") for p in written)
    assert all(p.exists() for p in written)


def test_an_unwritable_folder_says_so_clearly(
    qtbot, qloop, busy_room: Room, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    dialog = ExportDialog(busy_room, folder=blocker / "export")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30_000)
    shown = dialog.status_label.text()
    assert shown.startswith(SV["export_folder_error"].split("{folder}")[0])
    assert str(blocker / "export") in shown
    assert dialog.written() == []
    assert dialog.export_button.isEnabled()  # try again with another folder
    assert not dialog.open_folder_button.isEnabled()


def test_cancel_stops_after_the_current_file(qtbot, qloop, busy_room: Room, tmp_path: Path) -> None:
    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start()
    dialog.cancel()
    dialog.close()  # closing while it runs waits for the worker instead
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30_000)
    assert dialog.status_label.text() == SV["export_cancelled"]
    made = list((tmp_path / "ut").glob("*.pdf"))
    assert 1 <= len(made) < 9
    assert not list((tmp_path / "ut").glob("*.part"))  # no half-written file
    dialog.close()
    assert not dialog.isVisible()


def test_no_folder_chosen(qtbot, qloop, room: Room) -> None:
    dialog = ExportDialog(room)
    qtbot.addWidget(dialog)
    assert dialog.start() is False
    assert dialog.status_label.text() == SV["export_need_folder"]
