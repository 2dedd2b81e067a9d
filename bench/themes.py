"""Themes benchmark: the themes of 2 000 reflections, per municipality and for the session.

Not a test: run it by hand, ``python bench/themes.py``. Target: under 1 s for all of it
on the 2-core dev machine. The reflections are the labelled samples' sentences
(``tests/themes_sample.py``) recombined at random, two or three per card, so that the
vocabulary is realistic Swedish (with some English) and the cards differ.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.sample import ORGANISATIONS  # noqa: E402
from app.themes import themes  # noqa: E402
from tests.themes_sample import HELD_OUT, NAMES, REFLECTIONS  # noqa: E402

CARDS = 2000


def main() -> None:
    """Print the time to find themes for 2 000 reflections, cold and warm."""
    rng = random.Random(1)
    sentences = REFLECTIONS + HELD_OUT
    cards = [
        (ORGANISATIONS[i % len(ORGANISATIONS)], " ".join(rng.sample(sentences, rng.randint(2, 3))))
        for i in range(CARDS)
    ]
    names = [*NAMES, *ORGANISATIONS, *(f"Person {i} Efternamn{i}" for i in range(88))]
    for run in ("cold (stop-word lists and stemmers loaded)", "warm"):
        start = time.perf_counter()
        per_org = {
            org: themes([text for o, text in cards if o == org], names) for org in ORGANISATIONS
        }
        overall = themes([text for _o, text in cards], names)
        took = time.perf_counter() - start
        print(
            f"themes of {CARDS} reflections ({len(per_org)} organisations + the session), "
            f"{run}: {took * 1000:.0f} ms"
        )
    print("session's top five:", ", ".join(f"{t.label} ({t.count})" for t in overall[:5]))


if __name__ == "__main__":
    main()
