"""The PDFs' layout, read back from the files (issue 16): no text drawn over other text on any
page (pdfplumber's character boxes), every page renders (pdftoppm), the overview's survey
shows one series, open answers grouped by organisation and sorted, a cover with key figures,
and a municipality's own cards do not repeat its name on every card."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest

from app import i18n
from app.export import export_all
from app.model import Attendance, Role
from app.protocol import Join, parse
from app.room import Room
from app.store import DB_NAME, Store

IN_CI = __import__("os").environ.get("CI") == "true"


def overlaps(path: Path) -> list[str]:
    """Characters of different text runs drawn over each other, page by page."""
    found = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            chars = [c for c in page.chars if c["text"].strip()]
            chars.sort(key=lambda c: (round(c["top"]), c["x0"]))
            for i, a in enumerate(chars):
                for b in chars[i + 1 : i + 40]:
                    if b["top"] >= a["bottom"] - 1:
                        break
                    dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                    dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                    width = min(a["x1"] - a["x0"], b["x1"] - b["x0"])
                    height = min(a["bottom"] - a["top"], b["bottom"] - b["top"])
                    if dx > 0.4 * width and dy > 0.4 * height:
                        found.append(f"page {number}: {a['text']!r} over {b['text']!r}")
    return found


def page_texts(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def rendered_pages(path: Path, out: Path) -> int:
    if shutil.which("pdftoppm") is None:
        if IN_CI:
            pytest.fail("pdftoppm missing in CI: .ci/run must install poppler-utils")
        pytest.skip("pdftoppm not installed (apt-get install poppler-utils)")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(out)], check=True)
    return len(list(out.parent.glob(out.name + "*.png")))


@pytest.fixture
def day(tmp_path: Path) -> Path:
    """A session like the tried one: 44 people of 11 organisations, cards, survey answers."""
    store = Store(tmp_path / DB_NAME)
    room = Room(store)
    orgs = room.series.organisations
    people = []
    for i in range(44):
        role = Role.ELECTED if i % 3 == 0 else Role.OFFICIAL
        mode = Attendance.REMOTE if i % 7 == 0 else Attendance.IN_ROOM
        joined = room.join(Join(f"Person{i:02d} Namn", orgs[i % 11].id, role, mode, ""))
        room.attach(joined.participant.id)
        people.append(joined)
    live = room.live
    live.start(1)
    live.make_groups(size=6)
    for i, joined in enumerate(people):
        p = joined.participant
        message = {"type": "reflect", "id": f"mixed-{i:04d}", "phase": 1, "text": f"Tanke {i}"}
        live.reflect(p, parse(json.dumps(message)))  # type: ignore[arg-type]
    live.start(2)
    live.make_groups()
    for i, joined in enumerate(people):
        p = joined.participant
        message = {"type": "reflect", "id": f"muni-{i:04d}", "phase": 2, "text": f"Hos oss {i}"}
        live.reflect(p, parse(json.dumps(message)))  # type: ignore[arg-type]
    live.start(3)
    for i, joined in enumerate(people):
        answers = {"perspective": 1 + i % 5, "takeaway": f"Svar {43 - i:02d}"}
        message = {"type": "survey", "id": f"s-{i:06d}", "answers": answers}
        live.answer_survey(joined.participant, parse(json.dumps(message)))  # type: ignore[arg-type]
    store.close()
    return tmp_path / DB_NAME


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_no_pdf_page_has_text_over_text_and_every_page_renders(
    day: Path, tmp_path: Path, lang: str
) -> None:
    i18n.set_language(lang)
    try:
        files = export_all(day, tmp_path / "out", sessions=[1], names=True)
    finally:
        i18n.set_language("sv")
    pdfs = [f for f in files if f.suffix == ".pdf"]
    assert len(pdfs) == 13  # eleven organisations, the overview and (with names) the table plan
    for pdf in pdfs:
        assert overlaps(pdf) == [], pdf.name
        pages = len(page_texts(pdf))
        assert rendered_pages(pdf, tmp_path / "png" / pdf.stem) == pages


def test_the_overlap_check_finds_text_drawn_over_text(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "bad.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(100, 700, "Förtroendevalda")
    c.drawString(140, 700, "Tjänstepersoner")  # starts inside the first word
    c.drawString(100, 600, "Fine")
    c.drawString(200, 600, "apart")
    c.save()
    found = overlaps(path)
    assert found and all(f.startswith("page 1:") for f in found)
    assert not any("Fine" in f or "apart" in f for f in found)


def test_overview_and_municipality_pdfs_read_well(day: Path, tmp_path: Path) -> None:
    files = {f.name: f for f in export_all(day, tmp_path / "out", sessions=[1], names=False)}
    overview = next(f for name, f in files.items() if "versikt" in name or "overview" in name)
    pages = page_texts(overview)
    cover = " ".join(pages[0].split())
    assert "Dagen i siffror" in cover and "Träff 1" in cover
    assert "Deltagare" in cover and "Reflektioner" in cover
    assert "44 11 15 88 44" in cover  # people, organisations, elected, cards, respondents

    text = "\n".join(pages)
    # One series per chart in the overview: everyone, once.
    assert text.count("Alla deltagare (n=44)") == 1  # one Likert item, one legend entry
    # Open answers under each organisation, sorted within it.
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("Bengtsfors (4)")
    answers = [line.removeprefix("• ") for line in lines[start + 1 : start + 5]]
    assert answers == sorted(answers) and all(a.startswith("Svar ") for a in answers)
    assert "Dals-Ed (4)" in lines

    uddevalla = next(f for name, f in files.items() if "Uddevalla" in name)
    text = " ".join(page_texts(uddevalla))
    own = text[text.index("Kommunvis reflektion") : text.index("Mixade grupper")]
    assert Counter(own.split())["Hos"] == 4  # its four own cards ...
    assert "Uddevalla" not in own  # ... do not each repeat its name
    assert "— Uddevalla" in text[text.index("Mixade grupper") :]  # in the mixed groups they do


def test_file_names_follow_the_export_language(day: Path, tmp_path: Path) -> None:
    i18n.set_language("en")
    try:
        files = export_all(day, tmp_path / "en", sessions=[1])
        series = export_all(day, tmp_path / "all")
    finally:
        i18n.set_language("sv")
    names = {f.name for f in files if f.suffix == ".pdf"}
    assert "session1-overview.pdf" in names and "session1-Uddevalla.pdf" in names
    assert not [n for n in names if "traff" in n or "oversikt" in n]
    assert "series-overview.pdf" in {f.name for f in series}
    swedish = {f.name for f in export_all(day, tmp_path / "sv", sessions=[1]) if f.suffix == ".pdf"}
    assert "traff1-oversikt.pdf" in swedish
