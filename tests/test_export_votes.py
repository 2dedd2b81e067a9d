"""Priorities and themes in the exports, parsed back from the PDFs and the raw data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from app.export import export_all
from app.model import Participant
from app.room import Room
from app.store import DB_NAME, Store

from .test_export import flat, text_of
from .test_live import reflect
from .test_votes import MUNI, PRIO, people, vote, with_vote

UDDEVALLA = [
    "Samverkan kring e-tjänster med grannkommunerna.",
    "Vi behöver mer samverkan och en gemensam plattform för e-tjänster.",
    "Informationssäkerhet måste in i varje upphandling.",
    "Samverkan om informationssäkerhet sparar pengar.",
]
TANUM = [
    "Bredband på landsbygden först.",
    "Utan bredband inga digitala tjänster för turisterna.",
    "Bredbandet i skärgården är för dåligt.",
    "Turismen behöver digitala tjänster.",
]


def test_municipality_pdf_starts_with_priorities_and_themes_and_raw_has_votes(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / DB_NAME)
    room = Room(store)
    with_vote(room)
    group: dict[int, list[Participant]] = people(room, [7, 5], 4)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for o, texts in ((7, UDDEVALLA), (5, TANUM)):
        for i, (p, text) in enumerate(zip(group[o], texts, strict=True)):
            reflect(room, p, f"card-{o}-{i}", text, phase=MUNI)
    room.live.start(PRIO)
    a, b, c, d = group[7]
    vote(room, a, "vote-0001", "card-7-2", 2)
    vote(room, b, "vote-0002", "card-7-2", 1)
    vote(room, c, "vote-0003", "card-7-0", 2)
    vote(room, group[5][0], "vote-0004", "card-5-0", 2)
    room.live.next_phase()
    store.close()

    out = tmp_path / "export"
    export_all(tmp_path / DB_NAME, out, sessions=[1])
    text = flat(text_of(out / "traff1-Uddevalla.pdf"))
    start = text.index("Era prioriteringar")
    themes_at = text.index("Det ni talade om")
    assert start < themes_at < text.index("Deltagare")  # first in the session's pages
    priorities = text[start:themes_at]
    # Ranked: the card with 3 dots first, then the one with 2; with the group they came from.
    assert priorities.index("Informationssäkerhet måste in i varje upphandling. 3") < (
        priorities.index("Samverkan kring e-tjänster med grannkommunerna. 2")
    )
    assert "Kommungrupp" in priorities
    assert "Bredband" not in priorities  # Tanum's cards are Tanum's
    themes = text[themes_at : text.index("Deltagare")]
    assert "samverkan 3" in themes and "e-tjänster 2" in themes
    assert "informationssäkerhet 2" in themes
    assert "Uddevalla" not in themes.replace("Det ni talade om", "")

    tanum = flat(text_of(out / "traff1-Tanum.pdf"))
    assert "Bredband på landsbygden först. 2" in tanum
    assert "bredband 3" in tanum and "Informationssäkerhet" not in tanum

    overview = flat(text_of(out / "traff1-oversikt.pdf"))
    compare = overview[overview.index("Teman per organisation") :]
    assert "Uddevalla 1. samverkan (3)" in compare and "Tanum 1. bredband (3)" in compare
    assert "Prioriteringar per grupp" in overview

    raw = out / "traff1-data"
    with (raw / "votes.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["card"], r["dots"]) for r in rows) == sorted(
        [("card-7-2", "2"), ("card-7-2", "1"), ("card-7-0", "2"), ("card-5-0", "2")]
    )
    assert all(r["participant"].startswith("P0") for r in rows)  # pseudonymised
    data = json.loads((raw / "data.json").read_text("utf-8"))
    cards = {r["card"] for r in data["reflections"]}
    assert {r["card"] for r in data["votes"]} <= cards
    assert data["sessions"][0]["program"][PRIO]["dots"] == 3
    assert "Uddevalla 0" not in json.dumps(data["votes"], ensure_ascii=False)

    # The Word and HTML forms say the same, in the same order, as tables.
    from docx import Document

    document = Document(str(out / "traff1-Uddevalla.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings.index("Era prioriteringar") < headings.index("Det ni talade om")
    assert headings.index("Det ni talade om") < headings.index("Deltagare")
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    ranking = next(t for t in tables if t[0] == ["#", "Kort", "Prickar", "Grupp"])
    assert ranking[1][1:3] == ["Informationssäkerhet måste in i varje upphandling.", "3"]
    assert ranking[2][1:3] == ["Samverkan kring e-tjänster med grannkommunerna.", "2"]
    assert not [row for row in ranking if "Bredband" in row[1]]
    themes = next(t for t in tables if t[0] == ["Tema", "Reflektioner"])
    assert ["samverkan", "3"] in themes and ["e-tjänster", "2"] in themes
    page = (out / "traff1-Uddevalla.html").read_text("utf-8")
    assert page.index("Era prioriteringar") < page.index("Det ni talade om")
    assert "<td>Informationssäkerhet måste in i varje upphandling.</td><td>3</td>" in page
    overview = Document(str(out / "traff1-oversikt.docx"))
    titles = [p.text for p in overview.paragraphs if p.style.name.startswith("Heading")]
    assert "Teman per organisation" in titles and "Prioriteringar per grupp" in titles
