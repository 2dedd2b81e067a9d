"""Each municipality's summary as Word and HTML, opened back with independent readers.

python-docx reads the ``.docx``; the standard library's HTML parser reads the page. Both must
say what the PDF says for that organisation, and nothing it must not.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from app import i18n
from app.export import export_all, safe_file_name
from app.model import Participant
from app.room import Room
from app.store import DB_NAME
from tests.test_export import MARKUP, workshop  # noqa: F401 - the fixture


def _docx_text(path: Path) -> tuple[list[tuple[str, str]], list[list[list[str]]]]:
    document = Document(str(path))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return paragraphs, tables


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.headings: list[tuple[int, str]] = []
        self._heading: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = int(tag[1])
            self.headings.append((self._heading, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag.startswith("h") and self._heading is not None:
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            level, text = self.headings[-1]
            self.headings[-1] = (level, text + data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text("utf-8"))
    return page


def test_each_municipality_gets_a_word_document_with_real_structure(
    workshop: tuple[Path, Room, list[Participant]],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1])
    orgs = room.series.organisations
    assert len(list(out.glob("*.docx"))) == len(orgs) + 1  # and the overview
    for org in orgs:
        path = out / f"traff1-{safe_file_name(org.name)}.docx"
        paragraphs, tables = _docx_text(path)
        texts = [t for _, t in paragraphs]
        styles = {s for s, _ in paragraphs}
        assert {"Heading 1", "Heading 2", "Heading 3", "Heading 4", "Quote"} <= styles
        assert paragraphs[0] == ("Heading 1", f"{org.name}: {room.series.name}")
        own = [
            f"MUNI[{org.name}]-{i:02d}" for i, p in enumerate(people) if p.organisation_id == org.id
        ]
        assert own and all(tag in texts for tag in own)
        joined = "\n".join(texts)
        for other in orgs:
            if other.id != org.id:
                assert f"MUNI[{other.name}]" not in joined, (org.name, other.name)
        assert "HIDDEN-CARD" not in joined and "Deltagare0" not in joined
        # The survey as a table whose header row is marked as one.
        survey = next(t for t in tables if t[0][0] == "Påstående")
        assert survey[1][1] == org.name and survey[2][1] == "Alla deltagare"
        document = Document(str(path))
        header = document.tables[-1].rows[0]._tr
        assert header.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
        props = document.core_properties
        assert props.language == "sv-SE" and props.author == "Tankesmedja"
        assert props.title == f"{room.series.name} – {org.name}"
        lang = document.styles.element.find(
            f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
        )
        assert lang is not None and lang.get(qn("w:val")) == "sv-SE"


def test_word_and_html_show_markup_and_names_as_plain_text(
    workshop: tuple[Path, Room, list[Participant]],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1], names=True)
    org = room.organisation_name(people[0].organisation_id)
    stem = out / f"traff1-{safe_file_name(org)}"
    paragraphs, tables = _docx_text(stem.with_suffix(".docx"))
    assert f"MIXED-00 {MARKUP}" in [t for _, t in paragraphs]
    assert ["Namn", "Roll", "Deltog"] in [t[0] for t in tables]
    assert any("Deltagare00 Ärlig" in row[0] for t in tables for row in t)
    page = _page(stem.with_suffix(".html"))
    assert not [t for t, _ in page.tags if t in ("script", "b", "para")]
    assert f"MIXED-00 {MARKUP}" in page.text
    assert "Deltagare00 Ärlig" in "".join(page.text)


def test_the_html_page_is_structured_for_a_screen_reader(
    workshop: tuple[Path, Room, list[Participant]],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    i18n.set_language("en")
    try:
        export_all(data_dir / DB_NAME, out, sessions=[1])
    finally:
        i18n.set_language("sv")
    org = room.organisation_name(people[1].organisation_id)
    page = _page(out / f"session1-{safe_file_name(org)}.html")  # names in English too
    html = dict(page.tags)["html"]
    assert html["lang"] == "en"
    title = "".join(page.text[page.text.index(f"{room.series.name} – {org}") :][:1])
    assert title == f"{room.series.name} – {org}"
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))  # no skipped level
    assert ("h3", {}) in page.tags and any(h == (3, "Survey") for h in page.headings)
    assert all(attrs.get("scope") == "col" for tag, attrs in page.tags if tag == "th")
    assert any(tag == "caption" for tag, _ in page.tags)
    assert f"MUNI[{org}]-01" in page.text


def test_pdfs_carry_language_title_author_and_a_heading_outline(
    workshop: tuple[Path, Room, list[Participant]],  # noqa: F811
    tmp_path: Path,
) -> None:
    from pypdf import PdfReader

    data_dir, room, people = workshop
    for language, tag, heading, stem, overview in (
        ("sv", "sv-SE", "Enkät", "traff1", "oversikt"),
        ("en", "en-GB", "Survey", "session1", "overview"),
    ):
        out = tmp_path / language
        i18n.set_language(language)
        try:
            export_all(data_dir / DB_NAME, out, sessions=[1])
        finally:
            i18n.set_language("sv")
        org = room.organisation_name(people[2].organisation_id)
        for path, title in (
            (out / f"{stem}-{safe_file_name(org)}.pdf", f"{room.series.name} – {org}"),
            (out / f"{stem}-{overview}.pdf", room.series.name),
        ):
            reader = PdfReader(path)
            root = reader.trailer["/Root"]
            assert root["/Lang"] == tag, path.name
            assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
            meta = reader.metadata
            assert meta is not None and meta.title == title and meta.author == "Tankesmedja"
            assert meta.subject
            entries = [o.title for o in reader.outline if not isinstance(o, list)]
            assert heading in entries, (path.name, entries)


def test_the_html_pages_colours_pass_wcag_aa() -> None:
    from app.export.web import _STYLE
    from tests.test_page_a11y import contrast

    def rgb(hex_colour: str) -> tuple[float, float, float]:
        value = hex_colour.lstrip("#")
        return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))

    # Every text colour of the page on every background it is drawn on.
    pairs = [
        ("#1b1f23", "#ffffff"),  # body text
        ("#14507a", "#ffffff"),  # h1, h2
        ("#4a5560", "#ffffff"),  # notes, captions, attributions
        ("#1b1f23", "#fff4cc"),  # a highlighted card
        ("#4a5560", "#fff4cc"),  # its attribution
        ("#1b1f23", "#e6eef5"),  # table headers
    ]
    for fore, back in pairs:
        assert fore in _STYLE and (back in _STYLE or back == "#ffffff"), (fore, back)
        assert contrast(rgb(fore), rgb(back)) >= 4.5, (fore, back)


def test_the_overview_also_comes_as_word_and_html(
    workshop: tuple[Path, Room, list[Participant]],  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir, room, people = workshop
    out = tmp_path / "out"
    export_all(data_dir / DB_NAME, out, sessions=[1])
    paragraphs, tables = _docx_text(out / "traff1-oversikt.docx")
    headings = [t for s, t in paragraphs if s.startswith("Heading")]
    assert headings[0] == f"Översikt för arrangörer: {room.series.name}"
    assert "Deltagande per organisation och roll" in headings
    participation = next(
        t for t in tables if t[0][0] == "Organisation" and t[0][1] == "Förtroendevald"
    )
    assert participation[-1][0] == "Totalt" and participation[-1][-1] == str(len(people))
    assert "MIXED-04 tanke" in [t for _, t in paragraphs]  # the highlighted card
    assert "HIDDEN-CARD" not in " ".join(t for _, t in paragraphs)
    page = _page(out / "traff1-oversikt.html")
    assert [level for level, _ in page.headings].count(1) == 1
    assert "MIXED-04 tanke" in page.text
