"""Export benchmark: 11 municipality PDFs + the overview from 88 participants, 2 000 reflections.

Prints wall time and peak memory of the export alone (the data is made first). Not a test:
run it by hand, e.g. ``python bench/export.py``. Target: under 5 s on the 2-core dev machine.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = make_session(Path(tmp))
        out = Path(tmp) / "out"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            files = export_all(db, out, sessions=[1])
            runs.append(time.perf_counter() - started)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # A separate, traced run: tracemalloc slows Python down, so it is not timed.
        tracemalloc.start()
        export_all(db, out, sessions=[1])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        elapsed = min(runs)
        pdfs = sorted(out.glob("*.pdf"))
        pages = 0
        from pypdf import PdfReader

        for pdf in pdfs:
            pages += len(PdfReader(pdf).pages)
        size = sum(p.stat().st_size for p in pdfs)
        print(f"{'files':<28}{len(files)} ({len(pdfs)} PDFs, {pages} pages, {size / 1e6:.1f} MB)")
        print(
            f"{'export wall time':<28}{elapsed:.2f} s best of 3, "
            f"{max(runs):.2f} s worst   (target < 5 s)"
        )
        print(f"{'peak Python heap':<28}{peak / 1e6:.1f} MB (tracemalloc)")
        print(
            f"{'process max RSS':<28}{rss_after / 1024:.0f} MB"
            f" (before export {rss_before / 1024:.0f} MB)"
        )


if __name__ == "__main__":
    main()
