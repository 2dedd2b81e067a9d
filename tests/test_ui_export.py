"""The console's export dialog: a real export in a child process while the loop stays responsive."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import errno
import json
import multiprocessing
import signal
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QTimer

from app import i18n
from app.export.process import PROCESS_NAME
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


def _export_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == PROCESS_NAME]


def test_export_runs_in_a_child_process_with_progress_and_a_responsive_loop(
    qtbot, qloop, busy_room: Room, tmp_path: Path, monkeypatch
) -> None:
    import app.export
    import app.export.process

    def not_here(*args, **kwargs):
        raise AssertionError("the export ran in the console's own process")

    # The child imports the export afresh: these only trip if it ran in this process.
    monkeypatch.setattr(app.export, "export_all", not_here)
    monkeypatch.setattr(app.export.process, "export_all", not_here)
    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.series_radio.setChecked(True)
    dialog.names_check.setChecked(True)

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    # How many times the timer had fired at each progress report, and who the exporter was.
    ticks_at: list[int] = []
    exporters: list[int] = []
    shown_progress = dialog._on_progress

    def on_progress(done: int, total: int, name: str) -> None:
        ticks_at.append(len(ticks))
        if done == 0:
            exporters.extend(p.pid for p in _export_children())
        shown_progress(done, total, name)

    dialog._on_progress = on_progress  # type: ignore[method-assign]
    timer.start()
    started = time.perf_counter()
    assert dialog.start() is True
    assert dialog.is_running()
    assert not dialog.export_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60_000)
    elapsed = time.perf_counter() - started
    timer.stop()

    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    max_gap_ms = 1000 * max(gaps)
    print(f"\nexport {elapsed * 1000:.0f} ms; loop max gap {max_gap_ms:.1f} ms, {len(ticks)} ticks")
    assert exporters and os.getpid() not in exporters  # one child process did the work
    # The loop kept running the timer while the child started and while it wrote files: a
    # loop blocked by the export would have let it fire once at most between two reports.
    assert ticks_at[0] >= 5
    assert ticks_at[-1] - ticks_at[0] >= 5
    assert not _export_children()  # the child has ended

    written = dialog.written()
    assert dialog.progress_values[0] == 0  # "0 of N: preparing" before the first file
    assert dialog.progress_values and dialog.progress_values[-1] == 100
    assert dialog.progress_values == sorted(dialog.progress_values)
    assert dialog.progress_bar.value() == 100
    assert dialog.status_label.text() == i18n.tr(
        "export_result", count=len(written), folder=tmp_path / "ut"
    )
    assert dialog.open_folder_button.isEnabled()
    assert dialog.files_list.count() == len(written)
    pdfs = [p for p in written if p.suffix == ".pdf" and p.parent == tmp_path / "ut"]
    assert len(pdfs) == 9  # eight organisations took part, plus the overview
    # ... each also as Word and HTML; the raw data as a workbook; with names, the groups.
    assert sum(p.suffix == ".docx" for p in written) == sum(p.suffix == ".html" for p in written)
    assert sum(p.suffix == ".docx" for p in written) == 9  # and the overview
    assert {"data.xlsx", "codebook.csv", "bordsplacering.pdf", "rum.csv"} <= {
        p.name for p in written
    }
    assert dialog.formats_label.text() == SV["export_formats_note"]
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 1
        assert "Tankesmedja" in "".join(page.extract_text() for page in reader.pages)
    uddevalla = next(p for p in pdfs if "Uddevalla" in p.name)
    text = "".join(page.extract_text() for page in PdfReader(uddevalla).pages)
    assert "<samverkan> & digitalisering i Uddevalla" in text
    assert "Sida 1 av" in text  # the console's language reached the child
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
    # Cancel as soon as the first file is reported, from the progress update itself, so
    # the child is at most one file further when the stop request reaches it.
    dialog.progress_bar.valueChanged.connect(lambda value: value > 0 and dialog.cancel())
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=60_000)
    assert dialog.status_label.text() == SV["export_cancelling"]
    dialog.close()  # closing while it runs waits for the export instead
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30_000)
    assert dialog.status_label.text() == SV["export_cancelled"]
    made = list((tmp_path / "ut").glob("*.pdf"))
    assert 1 <= len(made) < 9
    for pdf in made:  # each one whole
        assert len(PdfReader(pdf).pages) >= 1
    assert not list((tmp_path / "ut").rglob("*.part"))  # no half-written file
    assert not _export_children()
    assert dialog.export_button.isEnabled() and not dialog.cancel_button.isEnabled()
    dialog.close()
    assert not dialog.isVisible()


def test_closing_the_console_terminates_the_export_process(
    qtbot, qloop, busy_room: Room, tmp_path: Path
) -> None:
    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    qtbot.addWidget(dialog)
    assert dialog.start()
    qtbot.waitUntil(lambda: bool(dialog.progress_values), timeout=60_000)
    task = dialog.task()
    assert task is not None
    task.cancel()  # what the console's task runner does when the window closes
    qtbot.waitUntil(task.done, timeout=30_000)
    assert task.cancelled()
    qtbot.waitUntil(lambda: not _export_children(), timeout=30_000)
    assert not list((tmp_path / "ut").rglob("*.part"))
    assert dialog.export_button.isEnabled()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_an_export_process_that_dies_is_reported(
    qtbot, qloop, busy_room: Room, tmp_path: Path
) -> None:
    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    qtbot.addWidget(dialog)
    dialog.show()
    shown_progress = dialog._on_progress

    def kill_child(done: int, total: int, name: str) -> None:
        shown_progress(done, total, name)
        if done == 1:  # as the OOM killer would, mid-export
            for child in _export_children():
                os.kill(child.pid, signal.SIGKILL)

    dialog._on_progress = kill_child  # type: ignore[method-assign]
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60_000)
    reason = SV["export_process_ended"].format(code=-signal.SIGKILL)
    assert dialog.status_label.text() == SV["export_failed"].format(error=reason)
    assert not list((tmp_path / "ut").rglob("*.part"))
    assert dialog.export_button.isEnabled() and not dialog.open_folder_button.isEnabled()


def test_no_folder_chosen(qtbot, qloop, room: Room) -> None:
    dialog = ExportDialog(room)
    qtbot.addWidget(dialog)
    assert dialog.start() is False
    assert dialog.status_label.text() == SV["export_need_folder"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX resource limits")
def test_a_disk_that_fills_during_the_consoles_export_gives_a_clear_message(
    qtbot, qloop, busy_room: Room, tmp_path: Path, monkeypatch
) -> None:
    import resource

    from app.export import process as export_process

    out = tmp_path / "ut"
    first = ExportDialog(busy_room, folder=out)
    qtbot.addWidget(first)
    assert first.start()
    qtbot.waitUntil(lambda: not first.is_running(), timeout=60_000)
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert len(before) >= 9

    # The child process inherits a limit on the size of the files it writes (the parent
    # puts its own limit back at once): past it a write fails as on a full disk. Python
    # ignores SIGXFSZ, so the write raises OSError instead of killing the child.
    limit = max(len(data) for data in before.values()) // 2
    start = export_process._Child.start

    def start_limited(self: object) -> object:
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            return start(self)  # type: ignore[arg-type]
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))

    monkeypatch.setattr(export_process._Child, "start", start_limited)
    dialog = ExportDialog(busy_room, folder=out)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60_000)
    shown = dialog.status_label.text()
    assert shown.startswith(SV["export_folder_error"].split("{folder}")[0])
    assert str(out) in shown and os.strerror(errno.EFBIG) in shown  # "File too large"
    after = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert set(after) == set(before)  # no temporary or half file left behind
    for name, data in after.items():
        # The previous complete file, or a new complete one; never half of one.
        if name.endswith(".pdf"):
            assert data == before[name] or len(PdfReader(out / name).pages) >= 1
    assert dialog.export_button.isEnabled()


def test_a_dialog_deleted_while_it_exports_lets_the_export_finish_quietly(
    qtbot, qloop, busy_room: Room, tmp_path: Path
) -> None:
    import shiboken6

    dialog = ExportDialog(busy_room, folder=tmp_path / "ut")
    dialog.show()
    assert dialog.start()
    task = dialog.task()
    assert task is not None
    qtbot.waitUntil(lambda: bool(dialog.progress_values), timeout=60_000)
    shiboken6.delete(dialog)  # e.g. the window torn down without closing the dialog first
    qtbot.waitUntil(task.done, timeout=60_000)
    assert not task.cancelled() and task.exception() is None  # no error dialog for the user
    assert len(list((tmp_path / "ut").glob("*.pdf"))) >= 9  # and the files are there, whole
    assert not list((tmp_path / "ut").rglob("*.part"))
