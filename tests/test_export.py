"""Exports parsed back: every PDF opens and says what it should, and nothing it should not."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from app import i18n
from app.export import ExportCancelled, export_all, process, remove_leftovers, safe_file_name
from app.export.data import load
from app.export.pdf import write_overview_pdf
from app.model import Attendance, GroupKind, Participant, Role
from app.protocol import Join, parse
from app.room import Room
from app.store import DB_NAME, Store, StoreError

MARKUP = "<b>fet</b> & <script>alert(1)</script> </para> Åsa Öberg: växjö ÄÅÖ"


def text_of(path: Path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def flat(text: str) -> str:
    """Join the PDF's wrapped lines so phrases can be searched whatever the line breaks."""
    return " ".join(text.split())


@pytest.fixture
def workshop(tmp_path: Path) -> tuple[Path, Room, list[Participant]]:
    store = Store(tmp_path / DB_NAME)
    room = Room(store)
    orgs = room.series.organisations
    people = []
    for i in range(33):
        role = Role.ELECTED if i % 3 == 0 else Role.OFFICIAL
        result = room.join(
            Join(f"Deltagare{i:02d} Ärlig", orgs[i % 11].id, role, Attendance.IN_ROOM, "")
        )
        room.attach(result.participant.id)
        people.append(result.participant)
    live = room.live

    def card(who: Participant, cid: str, phase: int, text: str) -> None:
        message = parse(json.dumps({"type": "reflect", "id": cid, "phase": phase, "text": text}))
        live.reflect(who, message)  # type: ignore[arg-type]

    live.start(1)
    live.make_groups(size=6)
    for i, p in enumerate(people):
        card(p, f"mixed-{i:04d}", 1, f"MIXED-{i:02d} {MARKUP if i == 0 else 'tanke'}")
    live.moderate("mixed-0004", highlighted=True)
    card(people[5], "hidden-0001", 1, "HIDDEN-CARD")
    live.moderate("hidden-0001", hidden=True)
    live.start(2)
    live.make_groups()
    for i, p in enumerate(people):
        name = room.organisation_name(p.organisation_id)
        card(p, f"muni-{i:04d}", 2, f"MUNI[{name}]-{i:02d}")
    live.start(3)
    for i, p in enumerate(people):
        answers = {"perspective": 1 + i % 5, "takeaway": f"ÖPPET-{i:02d}"}
        live.answer_survey(
            p,
            parse(
                json.dumps(
                    {
                        "type": "survey",
                        "id": f"s-{i:06d}",  # type: ignore[arg-type]
                        "answers": answers,
                    }
                )
            ),
        )
    store.close()
    return tmp_path, room, people


def test_each_municipality_pdf_holds_its_own_and_no_other_municipality_reflections(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    seen: list[tuple[int, int, str]] = []
    files = export_all(
        data_dir / DB_NAME, out, sessions=[1], progress=lambda d, t, n: seen.append((d, t, n))
    )
    orgs = room.series.organisations
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == len(orgs) + 1
    assert [d for d, _, _ in seen] == list(range(1, len(orgs) + 3))
    assert all(p.exists() for p in files)
    assert not list(out.glob("*.part"))
    for org in orgs:
        text = text_of(out / f"traff1-{safe_file_name(org.name)}.pdf")
        assert org.name in text
        own = [
            f"MUNI[{org.name}]-{i:02d}" for i, p in enumerate(people) if p.organisation_id == org.id
        ]
        assert own and all(tag in text for tag in own)
        others = [o.name for o in orgs if o.id != org.id]
        for other in others:
            assert f"MUNI[{other}]" not in text, (org.name, other)
        # Mixed reflections of every group one of its people sat in, and no hidden card.
        rnd = room.live.round(1)
        assert rnd is not None
        groups = {rnd.group_of(p.id) for p in people if p.organisation_id == org.id}
        expected = [f"MIXED-{i:02d}" for i, p in enumerate(people) if rnd.group_of(p.id) in groups]
        assert all(tag in text for tag in expected)
        assert "HIDDEN-CARD" not in text
        assert "Sida 1 av" in text and "genererad" in text


def test_markup_and_swedish_text_come_out_exactly(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1], names=True)
    org = room.organisation_name(people[0].organisation_id)
    text = flat(text_of(out / f"traff1-{safe_file_name(org)}.pdf"))
    assert flat(MARKUP) in text
    assert "Deltagare00 Ärlig" in text  # names included on request
    overview = flat(text_of(out / "traff1-oversikt.pdf"))
    assert flat(MARKUP) not in overview or "MIXED-04" in overview
    assert "MIXED-04" in overview  # the highlighted card


def test_names_are_left_out_unless_asked_for(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, _, _ = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1], names=False)
    for pdf in out.glob("*.pdf"):
        assert "Deltagare0" not in text_of(pdf), pdf.name
    with open(out / "traff1-data" / "participants.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 33 and "name" not in rows[0]
    assert rows[0]["participant"] == "P001"
    data = json.loads((out / "traff1-data" / "data.json").read_text("utf-8"))
    assert "Deltagare" not in json.dumps(data, ensure_ascii=False)
    assert len(data["reflections"]) == 33 * 2 + 1  # the hidden card too, flagged
    assert sum(r["hidden"] for r in data["reflections"]) == 1


def test_survey_figures_match_the_data(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1])
    org = room.series.organisations[0]
    mine = [i for i, p in enumerate(people) if p.organisation_id == org.id]
    text = text_of(out / f"traff1-{safe_file_name(org.name)}.pdf")
    assert f"{org.name} (n={len(mine)})" in text
    assert "Alla deltagare (n=33)" in text
    assert "33 personer svarade på enkäten." in text
    assert all(f"ÖPPET-{i:02d}" in text for i in mine)
    snapshot = load(data_dir / DB_NAME, [1])
    counts = snapshot.sessions[0].likert_counts("perspective")
    assert counts == (7, 7, 7, 6, 6)
    overview = text_of(out / "traff1-oversikt.pdf")
    mean = sum((i % 5) + 1 for i in mine) / len(mine)
    assert f"{mean:.1f}" in overview


def test_an_interrupted_export_leaves_no_half_file(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, _, _ = workshop
    out = tmp_path / "out"
    out.mkdir()
    target = out / "overview.pdf"
    target.write_bytes(b"the previous, complete export")
    snapshot = load(data_dir / DB_NAME, [1])

    from reportlab.platypus import SimpleDocTemplate

    def boom(self: object, *args: object, **kwargs: object) -> None:
        with open(self.filename, "wb") as handle:  # type: ignore[attr-defined]
            handle.write(b"%PDF-1.4 half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(SimpleDocTemplate, "build", boom)
    with pytest.raises(OSError):
        write_overview_pdf(snapshot, target, names=False)
    assert target.read_bytes() == b"the previous, complete export"
    assert [p.name for p in out.iterdir()] == ["overview.pdf"]


def test_long_unbroken_text_wraps_instead_of_overflowing(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    room = Room(store)
    org = room.series.organisations[2]
    who = room.join(Join("Lång", org.id, Role.OFFICIAL, Attendance.IN_ROOM, "")).participant
    room.attach(who.id)
    room.live.start(2)
    room.live.make_groups()
    long_text = ("ordet " * 160).strip() + "\n" + "x" * 1000
    message = parse(
        json.dumps({"type": "reflect", "id": "long-0001", "phase": 2, "text": long_text[:2000]})
    )
    room.live.reflect(who, message)  # type: ignore[arg-type]
    store.close()
    out = tmp_path / "out"
    export_all(tmp_path / DB_NAME, out, sessions=[1])
    reader = PdfReader(out / f"traff1-{safe_file_name(org.name)}.pdf")
    assert len(reader.pages) >= 2
    text = "".join(text_of(out / f"traff1-{safe_file_name(org.name)}.pdf").split())
    assert "x" * 400 in text


def test_export_command(workshop: tuple[Path, Room, list[Participant]], tmp_path: Path) -> None:
    data_dir, room, _ = workshop
    out = tmp_path / "cli-out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "export",
            "--data-dir",
            str(data_dir),
            "--session",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("*.pdf"))) == len(room.series.organisations) + 1
    assert "skrivs bara med --names" in result.stderr  # where the groups' files went
    assert not (out / "traff1-grupper").exists()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "export",
            "--data-dir",
            str(tmp_path / "nowhere"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    blocked = tmp_path / "file"
    blocked.write_text("x")
    unwritable = subprocess.run(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "export",
            "--data-dir",
            str(data_dir),
            "--out",
            str(blocked / "sub"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unwritable.returncode == 2 and "--out" in unwritable.stderr
    assert "Traceback" not in unwritable.stderr


def test_export_command_on_data_made_by_simulate(tmp_path: Path) -> None:
    data_dir = tmp_path / "rehearsal"
    simulated = subprocess.run(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "simulate",
            "--participants",
            "24",
            "--data-dir",
            str(data_dir),
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    out = tmp_path / "out"
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "tankesmedja",
            "export",
            "--data-dir",
            str(data_dir),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    snapshot = load(data_dir / DB_NAME, None)
    session = next(s for s in snapshot.sessions if s.participants)
    assert len(session.participants) == 24
    muni = [c for c in session.cards(GroupKind.MUNICIPALITY)]
    assert muni, "the simulation wrote municipality reflections"
    for org in snapshot.taking_part():
        text = flat(text_of(out / f"traff{session.session.number}-{safe_file_name(org.name)}.pdf"))
        for card in muni:
            snippet = flat(card.text)[:40]
            if card.organisation_id == org.id:
                assert snippet in text, (org.name, snippet)
    assert (out / f"traff{session.session.number}-oversikt.pdf").exists()


# -- the export in a child process (what the console runs) ------------------------------------


def _export_children() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == process.PROCESS_NAME]


async def test_the_child_process_exports_what_export_all_does_in_the_chosen_language(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    seen: list[tuple[int, int, str]] = []
    i18n.set_language("en")  # the console's language: the child has its own i18n state
    files = await process.export_in_process(
        data_dir / DB_NAME, out, sessions=[1], progress=lambda *report: seen.append(report)
    )
    orgs = room.series.organisations
    total = len(orgs) + 2
    assert seen[0] == (0, total, "")  # counted before the first file is written
    assert [done for done, _, _ in seen] == list(range(total + 1))
    pdfs = {p.name for p in files if p.suffix == ".pdf"}
    assert {name for _, _, name in seen[1:]} == pdfs | {"session1-data"}  # English names
    assert all(p.exists() for p in files)
    assert len(pdfs) == len(orgs) + 1
    org = room.organisation_name(people[3].organisation_id)
    text = text_of(out / f"session1-{safe_file_name(org)}.pdf")
    assert f"MUNI[{org}]-03" in text
    assert "Page 1 of" in text and "Sida 1 av" not in text
    assert not list(out.rglob("*.part"))
    assert not _export_children()


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
async def test_the_child_runs_at_a_lower_priority_than_the_console(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, _room, _people = workshop
    priorities: list[int] = []

    def note_priority(*_report: object) -> None:
        for child in _export_children():
            with contextlib.suppress(OSError):  # it may just have ended
                priorities.append(os.getpriority(os.PRIO_PROCESS, child.pid or 0))

    await process.export_in_process(
        data_dir / DB_NAME, tmp_path / "out", sessions=[1], progress=note_priority
    )
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert priorities and set(priorities) == {min(19, ours + process.EXPORT_NICENESS)}


def test_on_windows_the_child_asks_for_below_normal_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows has no os.nice: the priority class is set through psutil instead.
    import psutil

    classes: list[int] = []
    monkeypatch.setattr(process.sys, "platform", "win32")
    monkeypatch.setattr(psutil, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000, raising=False)
    monkeypatch.setattr(psutil.Process, "nice", lambda self, value=None: classes.append(value))
    monkeypatch.setattr(os, "nice", lambda _inc: pytest.fail("os.nice called on Windows"))
    process.lower_priority()
    assert classes == [0x4000]


async def test_errors_in_the_child_come_back_as_the_errors_they_were(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = Store(tmp_path / DB_NAME)
    Room(store)
    store.close()
    with pytest.raises(OSError) as raised:
        await process.export_in_process(tmp_path / DB_NAME, blocker / "export")
    assert raised.value.strerror  # what the dialog shows
    assert isinstance(raised.value.__cause__, process.RemoteTraceback)
    assert "mkdir" in raised.value.__cause__.text  # the child's own traceback, for the log

    missing = tmp_path / "elsewhere" / DB_NAME
    with pytest.raises(StoreError, match="no workshop database"):
        await process.export_in_process(missing, tmp_path / "out")
    assert not missing.parent.exists()  # only read: a wrong path creates no database


async def test_a_child_that_does_not_stop_in_time_is_terminated_without_half_files(
    workshop: tuple[Path, Room, list[Participant]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir, _, _ = workshop
    monkeypatch.setattr(process, "STOP_GRACE", 0.0)  # terminate at once, mid-file
    out = tmp_path / "out"
    cancel = asyncio.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, name: str) -> None:
        seen.append((done, total))
        if done == 1:
            cancel.set()

    with pytest.raises(ExportCancelled):
        await process.export_in_process(
            data_dir / DB_NAME, out, sessions=None, progress=progress, cancel=cancel
        )
    last_done, total = seen[-1]
    assert last_done < total  # it stopped before the end
    pdfs = list(out.glob("*.pdf"))
    assert 1 <= len(pdfs) < 12
    for pdf in pdfs:  # the files it finished are whole
        assert len(PdfReader(pdf).pages) >= 1
    assert not list(out.rglob("*.part"))
    assert not _export_children()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
async def test_a_killed_child_is_reported_and_leaves_no_half_file(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, _, _ = workshop
    out = tmp_path / "out"

    def kill_on_first_file(done: int, total: int, name: str) -> None:
        if done == 1:
            for child in _export_children():
                os.kill(child.pid, signal.SIGKILL)

    with pytest.raises(process.ExportProcessError) as raised:
        await process.export_in_process(
            data_dir / DB_NAME, out, sessions=None, progress=kill_on_first_file
        )
    assert raised.value.exitcode == -signal.SIGKILL
    assert str(raised.value) == i18n.tr("export_process_ended", code=-signal.SIGKILL)
    assert not list(out.rglob("*.part"))


async def test_cancelling_the_task_ends_the_child(
    workshop: tuple[Path, Room, list[Participant]], tmp_path: Path
) -> None:
    data_dir, _, _ = workshop
    first = asyncio.Event()
    task = asyncio.create_task(
        process.export_in_process(
            data_dir / DB_NAME, tmp_path / "out", progress=lambda *_: first.set()
        )
    )
    await first.wait()
    assert _export_children()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(500):  # the child ends on its own time; wait for it, without a deadline
        if not _export_children():
            break
        await asyncio.sleep(0.02)
    assert not _export_children()
    assert not list((tmp_path / "out").rglob("*.part"))


def test_leftovers_of_a_killed_export_are_removed_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "traff1-data" / "excel").mkdir(parents=True)
    (out / "traff1-grupper").mkdir(parents=True)
    ours = [
        out / ".traff1-Uddevalla.pdf.k2j3h4.part",
        out / ".traff1-Uddevalla.docx.k2j3h5.part",
        out / "traff1-data" / ".data.json.a8s7d6.part",
        out / "traff1-data" / ".data.xlsx.a8s7d7.part",
        out / "traff1-data" / "excel" / ".survey.csv.b1c2d3.part",
        out / "traff1-grupper" / ".rum.csv.c1d2e3.part",
    ]
    others = [
        out / ".serie-oversikt.pdf.x1y2z3.part",  # another export's (a series export)
        out / ".download.zip.part",  # someone else's
        out / "traff1-Uddevalla.pdf",  # a finished file
    ]
    for path in ours + others:
        path.write_bytes(b"x")
    assert sorted(remove_leftovers(out, [1])) == sorted(ours)
    assert all(not p.exists() for p in ours) and all(p.exists() for p in others)
    assert remove_leftovers(tmp_path / "never-made", None) == []
