"""Export benchmark: every format of an export of 88 participants and 2 000 reflections.

Every format: per municipality a PDF, a Word document and an HTML page; the overview PDF; the
raw data (xlsx, CSV for Excel and for tools, JSON, survey per person, codebook); with names,
the groups (Zoom, room list, table plan). Prints the wall time of the whole export, the time
of each format on its own, and peak memory (the data is made first). Not a test: run it by
hand, e.g. ``python bench/export.py``. Target: under 5 s on the 2-core dev machine.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.export import export_all  # noqa: E402
from app.model import Attendance, Role  # noqa: E402
from app.protocol import Join, parse  # noqa: E402
from app.room import Room  # noqa: E402
from app.sample import FYRBODAL_SIZES  # noqa: E402
from app.store import DB_NAME, Store  # noqa: E402

SIZES = FYRBODAL_SIZES
SENTENCES = (
    "Vi behöver en gemensam bild av vad digitalisering betyder för välfärden.",
    "Förtroendevalda måste äga frågan, inte bara delegera den till IT.",
    "Små kommuner kan inte bära kompetensen själva – samverkan är nödvändig.",
    "Börja i verksamhetens behov, inte i tekniken.",
    "Vi saknar data om vad våra invånare faktiskt efterfrågar.",
    "Ledningen behöver våga pröva nya arbetssätt & lära av misstag.",
    "Styrningen är ofta för detaljerad; ge verksamheterna mandat.",
    "Gemensamma plattformar i Fyrbodal skulle spara både pengar och tid.",
    "Invånarnas tillit är vår viktigaste tillgång <och den är skör>.",
    "Kompetensutveckling för chefer borde vara första steget.",
    "Hur mäter vi nytta, inte bara kostnad?",
    "Vi pratar för lite om etik och integritet.",
    "Digital transformation är en överlevnadsfråga för välfärdsleveransen.",
    "Det handlar om att ställa om tankesätt, inte om prylar.",
)


def make_session(folder: Path, reflections: int = 2000, seed: int = 1) -> Path:
    """Build a session of 88 participants with ``reflections`` cards and full survey."""
    rng = random.Random(seed)
    store = Store(folder / DB_NAME)
    room = Room(store)
    orgs = {o.name: o.id for o in room.series.organisations}
    people = []
    for name, count in SIZES.items():
        for i in range(count):
            role = Role.ELECTED if rng.random() < 0.35 else Role.OFFICIAL
            p = room.join(
                Join(f"{name[:3]} Person {i}", orgs[name], role, Attendance.IN_ROOM, "")
            ).participant
            room.attach(p.id)
            people.append(p)
    live = room.live
    made = 0
    for phase in (1, 2):
        live.start(phase)
        live.make_groups(size=6) if phase == 1 else live.make_groups()
        for n in range(reflections // 2):
            who = people[n % len(people)]
            text = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 5)))
            message = parse(
                json.dumps(
                    {"type": "reflect", "id": f"c{phase}-{n:06d}", "phase": phase, "text": text}
                )
            )
            live.reflect(who, message)  # type: ignore[arg-type]
            made += 1
        for n in range(0, reflections // 2, 40):
            live.moderate(f"c{phase}-{n:06d}", highlighted=True)
    live.start(3)
    for i, p in enumerate(people):
        answers = {
            item.key: (1 + (i * 7 + k) % 5 if item.kind.value == "likert" else "svar")
            for k, item in enumerate(live.survey)
        }
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
    print(f"made: {len(people)} participants, {made} reflections")
    return folder / DB_NAME


def per_format(db: Path, out: Path) -> dict[str, float]:
    """Time each format on its own, on one snapshot (best of 2)."""
    from app import i18n
    from app.export.data import load
    from app.export.outline import municipality_outline
    from app.export.pdf import write_municipality_pdf, write_overview_pdf
    from app.export.raw import write_raw
    from app.export.rooms import write_group_files
    from app.export.web import write_html
    from app.export.word import write_docx

    snapshot = load(db, [1])
    orgs = snapshot.taking_part()
    out.mkdir(parents=True, exist_ok=True)
    language = i18n.language()
    jobs = {
        "municipality PDFs": lambda: [
            write_municipality_pdf(snapshot, o, out / f"{o.id}.pdf", True) for o in orgs
        ],
        "municipality Word (.docx)": lambda: [
            write_docx(municipality_outline(snapshot, o, True, language), out / f"{o.id}.docx")
            for o in orgs
        ],
        "municipality HTML": lambda: [
            write_html(municipality_outline(snapshot, o, True, language), out / f"{o.id}.html")
            for o in orgs
        ],
        "overview PDF": lambda: write_overview_pdf(snapshot, out / "overview.pdf", True),
        "raw data (xlsx, CSV, JSON)": lambda: write_raw(snapshot, out, True),
        "groups (Zoom, rooms, plan)": lambda: write_group_files(snapshot, out),
    }
    times = {}
    for name, job in jobs.items():
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - started)
        times[name] = best
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = make_session(Path(tmp))
        out = Path(tmp) / "out"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            files = export_all(db, out, sessions=[1], names=True)
            runs.append(time.perf_counter() - started)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # A separate, traced run: tracemalloc slows Python down, so it is not timed.
        tracemalloc.start()
        export_all(db, out, sessions=[1], names=True)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        elapsed = min(runs)
        pdfs = sorted(out.rglob("*.pdf"))
        pages = 0
        from pypdf import PdfReader

        for pdf in pdfs:
            pages += len(PdfReader(pdf).pages)
        size = sum(p.stat().st_size for p in files)
        kinds = Counter(p.suffix for p in files)
        listed = ", ".join(f"{n} {suffix}" for suffix, n in sorted(kinds.items()))
        print(f"{'files':<28}{len(files)} ({listed}; {pages} PDF pages, {size / 1e6:.1f} MB)")
        print(
            f"{'export, every format':<28}{elapsed:.2f} s best of 3, "
            f"{max(runs):.2f} s worst   (target < 5 s)"
        )
        for name, seconds in per_format(db, Path(tmp) / "each").items():
            print(f"  {name:<30}{seconds:.2f} s")
        print(f"{'peak Python heap':<28}{peak / 1e6:.1f} MB (tracemalloc)")
        # The dev machine's two cores are shared: the figures above mean little without this.
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{'load average (1, 5, 15 min)':<28}{load} on {os.cpu_count()} CPUs")
        print(
            f"{'process max RSS':<28}{rss_after / 1024:.0f} MB"
            f" (before export {rss_before / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    main()
