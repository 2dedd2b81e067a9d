"""A municipality's summary as a Word document (python-docx) the organisers can edit.

Real structure, not look-alike formatting: headings use Word's Heading styles (so the
navigation pane, a table of contents and screen readers see them), answers to open questions
are a bulleted list, tables have a header row marked as one (repeated on every page, read as
column headers), and the document's language, title, subject and author are set. Participant
text is written as text runs, so nothing in it is ever interpreted.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from app.atomic import atomic_path
from app.export.outline import Bullets, Card, Grid, Heading, Outline, Para
from app.export.tables import xml_safe
from app.i18n import tr

_LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MUTED = RGBColor(0x4A, 0x55, 0x60)


def write_docx(outline: Outline, path: Path) -> Path:
    """Write ``outline`` as a ``.docx`` file atomically; return ``path``."""
    document = Document()
    tag = _LANGUAGE_TAGS.get(outline.language, outline.language)
    props = document.core_properties
    props.title = xml_safe(outline.title)
    props.subject = tr("doc_subject")
    props.author = "Tankesmedja"
    props.language = tag
    _set_default_language(document, tag)
    styles = document.styles
    if "Reflection Caption" not in [s.name for s in styles]:
        caption = styles.add_style("Reflection Caption", WD_STYLE_TYPE.PARAGRAPH)
        caption.base_style = styles["Normal"]
        caption.font.size = Pt(9)
        caption.font.color.rgb = _MUTED
        caption.paragraph_format.space_after = Pt(8)
    # Style ids looked up once: python-docx's lookup by name scans every style each time,
    # which made 11 documents of a 2 000-card day take 30 s instead of under one.
    ids = {
        name: styles[name].style_id
        for name in (
            "Reflection Caption",
            "Quote",
            "Intense Quote",
            "List Bullet",
            "Caption",
            *(f"Heading {n}" for n in range(1, 10)),
        )
    }

    # Paragraphs are written as XML text and parsed in one go: python-docx's per-paragraph
    # API costs ~0.3 ms a paragraph, 15 000 of them 5 s. Tables go through the API.
    body = document.element.body
    pending: list[str] = []

    def add(text: str, style: str | None = None) -> None:
        ppr = f'<w:pPr><w:pStyle w:val="{ids[style]}"/></w:pPr>' if style else ""
        pending.append(f"<w:p>{ppr}<w:r>{_runs(text)}</w:r></w:p>")

    def flush() -> None:
        if not pending:
            return
        chunk = parse_xml(f'<w:body xmlns:w="{_W}">{"".join(pending)}</w:body>')
        anchor = body.sectPr
        for element in list(chunk):
            if anchor is not None:
                anchor.addprevious(element)
            else:
                body.append(element)
        pending.clear()

    for block in outline.blocks:
        if isinstance(block, Heading):
            add(block.text, f"Heading {min(max(block.level, 1), 9)}")
        elif isinstance(block, Para):
            add(block.text, "Reflection Caption" if block.note else None)
        elif isinstance(block, Card):
            add(block.text, "Intense Quote" if block.highlighted else "Quote")
            add(block.caption, "Reflection Caption")
        elif isinstance(block, Bullets):
            for item in block.items:
                add(item, "List Bullet")
        elif isinstance(block, Grid):
            if block.caption:
                add(block.caption, "Caption")
            flush()
            _table(document, block)
    flush()
    with atomic_path(path) as tmp:
        document.save(str(tmp))
    return path


def _runs(text: str) -> str:
    """Return the run content showing ``text``: escaped, line breaks and tabs kept."""
    lines = []
    for line in xml_safe(text).split("\n"):
        pieces = [f'<w:t xml:space="preserve">{escape(piece)}</w:t>' for piece in line.split("\t")]
        lines.append("<w:tab/>".join(pieces))
    return "<w:br/>".join(lines)


def _table(document: object, grid: Grid) -> None:
    table = document.add_table(rows=1 + len(grid.rows), cols=len(grid.header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    rows = table.rows
    header = rows[0]
    # Repeated on every page and announced as column headers.
    properties = header._tr.get_or_add_trPr()
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    properties.append(marker)
    for cell, text in zip(header.cells, grid.header, strict=True):
        run = cell.paragraphs[0].add_run(xml_safe(text))
        run.bold = True
    for row, values in zip(rows[1:], grid.rows, strict=True):
        for cell, text in zip(row.cells, values, strict=True):
            cell.paragraphs[0].add_run(xml_safe(text))


def _set_default_language(document: object, tag: str) -> None:
    """Set the language of every run that does not say otherwise (spelling, screen readers)."""
    styles = document.styles.element  # type: ignore[attr-defined]
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is None:
        return
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), tag)
    lang.set(qn("w:eastAsia"), tag)
    lang.set(qn("w:bidi"), tag)
