"""PDF summaries with reportlab: one per municipality, and one overview for the organisers.

All participant text goes through :func:`para`, which escapes it, so ``<``, ``&`` and anything
that looks like markup come out literally. Text is set in the bundled DejaVu Sans, which covers
Swedish and the other European scripts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app import i18n
from app.atomic import atomic_path
from app.export.data import (
    SessionData,
    Snapshot,
    date_text,
    mix_line,
    participant_row,
    participants_line,
    participation_counts,
    participation_header,
    session_line,
)
from app.export.textblock import TextBlock, printable
from app.i18n import tr
from app.model import GroupKind, GroupRound, Organisation, Reflection, Role
from app.votes import GroupKey, source_phase

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
ACCENT = colors.HexColor("#14507a")
MUTED = colors.HexColor("#4a5560")
OWN = colors.HexColor("#14507a")
ALL = colors.HexColor("#9db7cc")
HIGHLIGHT = colors.HexColor("#fff4cc")
CARD_BORDER = colors.HexColor("#c9d3dc")


@cache
def register_fonts() -> None:
    """Register the bundled TrueType fonts with reportlab (once per process)."""
    fonts = resources.files("assets").joinpath("fonts")
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        with resources.as_file(fonts.joinpath(file)) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


@cache
def styles() -> dict[str, ParagraphStyle]:
    """Return the paragraph styles of every PDF."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, splitLongWords=True)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=MUTED),
        "title": ParagraphStyle(
            "title", parent=base, fontName=FONT_BOLD, fontSize=26, leading=32, textColor=ACCENT
        ),
        "cover_org": ParagraphStyle(
            "cover_org",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=34,
            leading=42,
            textColor=colors.black,
            spaceBefore=18,
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=14, leading=20),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=16,
            leading=22,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "card": ParagraphStyle(
            "card",
            parent=base,
            leftIndent=8,
            borderPadding=(4, 6, 4, 6),
            spaceBefore=3,
            spaceAfter=5,
            borderColor=colors.HexColor("#c9d3dc"),
            borderWidth=0.5,
        ),
        "highlight": ParagraphStyle(
            "highlight",
            parent=base,
            leftIndent=8,
            borderPadding=(4, 6, 4, 6),
            spaceBefore=3,
            spaceAfter=5,
            backColor=HIGHLIGHT,
            borderColor=colors.HexColor("#e0b000"),
            borderWidth=0.5,
        ),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
    }


def para(text: str, style: str = "body") -> Paragraph:
    """Return a paragraph showing ``text`` literally (escaped, line breaks kept)."""
    chosen = styles()[style]
    text = printable(text, chosen.fontName)
    return Paragraph(escape(text).replace("\n", "<br/>"), chosen)


def rich(markup: str, style: str = "body") -> Paragraph:
    """Return a paragraph of our own markup (never participant text)."""
    return Paragraph(markup, styles()[style])


class _NumberedCanvas(Canvas):
    """A canvas that writes "page X of Y" and the generation time once all pages are known."""

    footer_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawString(18 * mm, 10 * mm, self.footer_text)
            self.drawRightString(
                A4[0] - 18 * mm, 10 * mm, tr("pdf_page_of", page=number, pages=total)
            )
            super().showPage()
        super().save()


#: The PDF /Lang of each interface language.
PDF_LANGUAGES = {"sv": "sv-SE", "en": "en-GB"}


class _Document(SimpleDocTemplate):
    """A document whose h1/h2 headings become bookmarks (the PDF outline) as they are laid out.

    reportlab cannot write a tagged PDF (no structure tree), so a screen reader gets no
    heading structure from these files; the outline at least lets everyone navigate by
    heading, and the document's language and title are set. The Word and HTML forms of each
    summary are the accessible alternative (see :mod:`app.export.web`).
    """

    _outline_level = -1

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's name
        """Bookmark a heading where it landed."""
        if not isinstance(flowable, Paragraph) or flowable.style.name not in ("h1", "h2"):
            return
        level = min(0 if flowable.style.name == "h1" else 1, self._outline_level + 1)
        self._outline_level = level
        key = f"h{id(flowable)}-{self.page}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(flowable.getPlainText(), key, level=level)


def _build(path: Path, story: list[Flowable], title: str, generated_at: float) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(generated_at))
    footer = tr("pdf_footer", when=stamp)

    class Numbered(_NumberedCanvas):
        footer_text = footer

    with atomic_path(path) as tmp:
        doc = _Document(
            str(tmp),
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=20 * mm,
            title=title,
            author="Tankesmedja",
            subject=tr("doc_subject"),
            creator="Tankesmedja",
            lang=PDF_LANGUAGES.get(i18n.language(), i18n.language()),
            displayDocTitle=True,
        )
        doc.build(story, canvasmaker=Numbered)


HEAD_SIZE = 8


def _head(text: str) -> Paragraph:
    """Return a header cell: bold, wrapped at spaces inside its column, never past it."""
    style = ParagraphStyle(
        "th", fontName=FONT_BOLD, fontSize=HEAD_SIZE, leading=HEAD_SIZE + 2, splitLongWords=True
    )
    return Paragraph(escape(text), style)


def _head_width(text: str, least: float) -> float:
    """Return the width a header column needs for its longest word (with the padding)."""
    register_fonts()
    longest = max(
        (pdfmetrics.stringWidth(w, FONT_BOLD, HEAD_SIZE) for w in text.split()), default=0
    )
    return max(least, longest + 14)


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float], header: bool = True) -> Table:
    data = [list(r) for r in rows]
    if header and data:
        data[0] = [_head(c) if isinstance(c, str) else c for c in data[0]]
    table = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#c9d3dc")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
        ]
    table.setStyle(TableStyle(style))
    return table


def _cell(text: str) -> Paragraph:
    return para(text, "small")


# -- pieces shared by both kinds of PDF ----------------------------------------------------


def _card(
    snapshot: Snapshot, data: SessionData, card: Reflection, names: bool, *, org: bool = True
) -> Flowable:
    """Return a card; ``org=False`` where every card is of the reader's organisation."""
    author = data.by_id.get(card.participant_id)
    org_name = snapshot.organisation_name(card.organisation_id)
    if names and author:
        who = f"{author.name}, {org_name}" if org else author.name
    else:
        who = org_name if org else ""
    register_fonts()
    return TextBlock(
        card.text,
        caption=f"— {who}" if who else "",
        font=FONT,
        background=HIGHLIGHT if card.highlighted else None,
        border=colors.HexColor("#e0b000") if card.highlighted else CARD_BORDER,
    )


def _likert_chart(
    item_text: str, own: Sequence[int] | None, everyone: Sequence[int], own_label: str = ""
) -> Flowable:
    """Return a bar chart of the share of answers 1–5, this organisation beside everyone.

    Without ``own`` (the organisers' overview) only everyone's answers are drawn: one series,
    not the same one twice.
    """
    width, height = 170 * mm, 40 * mm
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 28 * mm, 6 * mm
    chart.width, chart.height = width - 70 * mm, height - 12 * mm

    def shares(counts: Sequence[int]) -> list[float]:
        total = sum(counts)
        return [100.0 * c / total if total else 0.0 for c in counts]

    # reportlab draws categories bottom-up; reverse so 1 is on top like a questionnaire.
    chart.data = [shares(everyone)[::-1]]
    if own is not None:
        chart.data.append(shares(own)[::-1])
    chart.categoryAxis.categoryNames = [tr(f"pdf_likert_{v}") for v in range(5, 0, -1)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = 100
    chart.valueAxis.valueStep = 25
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = "%d %%"
    chart.bars[0].fillColor = ALL if own is not None else OWN
    if own is not None:
        chart.bars[1].fillColor = OWN
    chart.barSpacing = 1
    chart.groupSpacing = 4
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 38 * mm, height - 10 * mm
    legend.fontName = FONT
    legend.fontSize = 7
    everyone_entry = (ALL, f"{tr('pdf_everyone')} (n={sum(everyone)})")
    legend.colorNamePairs = (
        [(OWN, f"{own_label} (n={sum(own)})"), everyone_entry]
        if own is not None
        else [(OWN, everyone_entry[1])]
    )
    drawing.add(legend)
    return KeepTogether([para(item_text, "h2"), drawing])


def _participation_table(snapshot: Snapshot, data: SessionData) -> Table:
    rows: list[list[Any]] = [list(participation_header())]
    for org in snapshot.series.organisations:
        people = data.participants_of(org.id)
        if people:
            rows.append([_cell(org.name), *participation_counts(people)])
    rows.append([tr("pdf_total"), *participation_counts(data.participants)])
    numbers = [_head_width(text, 18 * mm) for text in rows[0][1:]]
    return _table(rows, [174 * mm - sum(numbers), *numbers])


def _mixed_rounds(data: SessionData) -> list[GroupRound]:
    return [r for r in data.rounds if r.kind == GroupKind.MIXED]


# -- one municipality -----------------------------------------------------------------------


def municipality_story(snapshot: Snapshot, org: Organisation, names: bool) -> list[Flowable]:
    """Return the flowables of one organisation's summary."""
    story: list[Flowable] = [
        Spacer(1, 30 * mm),
        para(snapshot.series.name, "title"),
        Spacer(1, 4 * mm),
    ]
    for data in snapshot.sessions:
        story.append(para(f"{session_line(data)} · {date_text(data.date)}", "subtitle"))
    story += [para(org.name, "cover_org"), Spacer(1, 8 * mm)]
    story.append(para(tr("pdf_cover_note"), "small"))
    for data in snapshot.sessions:
        story += [PageBreak(), para(session_line(data), "h1")]
        # What the municipality takes home comes first: its priorities and its themes.
        story += _priorities_section(snapshot, data, org)
        story += _themes_section(snapshot, data, org)
        story += _municipality_session(snapshot, data, org, names)
    return story


def _group_label(
    data: SessionData,
    phase_index: int,
    key: GroupKey,
    snapshot: Snapshot,
    organisation_id: int | None = None,
) -> str:
    kind, number = key
    if kind == "room":
        return tr("pdf_room_vote")
    if kind == "organisation":
        return snapshot.organisation_name(number)
    source = source_phase(data.session.program, phase_index)
    rnd = data.round(source) if source is not None else None
    if rnd is not None and rnd.kind == GroupKind.MUNICIPALITY:
        label = tr("pdf_municipality_group", number=number + 1)
        if organisation_id is not None:
            label = f"{snapshot.organisation_name(organisation_id)} · {label}"
        return label
    return tr("pdf_group_heading", number=number + 1)


def _priority_rows(
    snapshot: Snapshot, data: SessionData, org: Organisation | None, top: int
) -> list[list[Any]]:
    """Return table rows (rank, card, dots, group) of the groups ``org`` voted in (None: all)."""
    return [
        [place, para(text), dots, _cell(label)]
        for place, text, dots, label in priority_entries(snapshot, data, org, top)
    ]


def priority_entries(
    snapshot: Snapshot, data: SessionData, org: Organisation | None, top: int
) -> list[tuple[int, str, int, str]]:
    """Return (rank, card text, dots, group) of the groups ``org`` voted in (None: all).

    The PDFs and the Word and HTML forms (:mod:`app.export.outline`) show these rows.
    """
    ids = {p.id for p in data.participants_of(org.id)} if org else None
    rows: list[tuple[int, str, int, str]] = []
    for index, groups in data.rankings():
        source = source_phase(data.session.program, index)
        rnd = data.round(source) if source is not None else None
        for group in groups:
            kind, number = group.key
            if ids is not None and not (
                kind == "room"
                or (kind == "organisation" and number == org.id)  # type: ignore[union-attr]
                or (kind == "group" and rnd is not None and ids & set(rnd.groups[number]))
            ):
                continue
            label = _group_label(data, index, group.key, snapshot, group.organisation_id)
            voted = [r for r in group.cards if r.dots > 0][:top]
            for place, ranked in enumerate(voted, start=1):
                rows.append((place, ranked.card.text, ranked.dots, label))
    return rows


def _priority_table(rows: list[list[Any]]) -> Table:
    header = [tr("pdf_rank"), tr("pdf_card"), tr("pdf_dots"), tr("pdf_from_group")]
    return _table([header, *rows], [9 * mm, 111 * mm, 16 * mm, 38 * mm])


def _priorities_section(snapshot: Snapshot, data: SessionData, org: Organisation) -> list[Flowable]:
    out: list[Flowable] = [para(tr("pdf_priorities_heading"), "h1")]
    rows = _priority_rows(snapshot, data, org, top=5)
    if not rows:
        return [*out, para(tr("pdf_no_priorities"), "small")]
    return [*out, para(tr("pdf_priorities_note"), "small"), _priority_table(rows)]


def _name_list(snapshot: Snapshot) -> list[str]:
    return [o.name for o in snapshot.series.organisations]


def _themes_section(snapshot: Snapshot, data: SessionData, org: Organisation) -> list[Flowable]:
    out: list[Flowable] = [para(tr("pdf_themes_heading"), "h1")]
    found = data.themes(org.id, _name_list(snapshot))
    if not found:
        return [*out, para(tr("pdf_no_themes"), "small")]
    rows: list[list[Any]] = [[tr("pdf_theme"), tr("pdf_reflections")]]
    rows += [[_cell(t.label), t.count] for t in found]
    return [*out, para(tr("pdf_themes_note"), "small"), _table(rows, [120 * mm, 30 * mm])]


def _municipality_session(
    snapshot: Snapshot, data: SessionData, org: Organisation, names: bool
) -> list[Flowable]:
    out: list[Flowable] = []
    people = data.participants_of(org.id)
    out.append(para(tr("pdf_participants_heading"), "h2"))
    out.append(para(participants_line(data, org.id)))
    if names and people:
        rows = [[tr("pdf_name"), tr("pdf_role"), tr("pdf_attendance")]]
        rows += [[_cell(text) for text in participant_row(p)] for p in people]
        out.append(_table(rows, [60 * mm, 70 * mm, 40 * mm]))

    # Only this organisation's own municipality reflections: never another's.
    own_cards = [c for c in data.cards(GroupKind.MUNICIPALITY) if c.organisation_id == org.id]
    out.append(para(tr("pdf_municipality_heading"), "h1"))
    if not own_cards:
        out.append(para(tr("pdf_none"), "small"))
    out += [_card(snapshot, data, c, names, org=False) for c in own_cards]

    out.append(para(tr("pdf_mixed_heading"), "h1"))
    ids = {p.id for p in people}
    any_group = False
    mixed_cards = data.cards(GroupKind.MIXED)
    for rnd in _mixed_rounds(data):
        phase = (
            data.session.program[rnd.phase_index]
            if rnd.phase_index < len(data.session.program)
            else None
        )
        for number, members in enumerate(rnd.groups):
            if not ids & set(members):
                continue
            any_group = True
            cards = [c for c in mixed_cards if c.round_id == rnd.id and c.group_no == number]
            heading = tr("pdf_group_heading", number=number + 1)
            if phase is not None:
                heading += f" · {phase.title}"
            out.append(CondPageBreak(30 * mm))
            out.append(para(heading, "h2"))
            out.append(para(mix_line(snapshot, data, members), "small"))
            if not cards:
                out.append(para(tr("pdf_none"), "small"))
            out += [_card(snapshot, data, c, names) for c in cards]
    if not any_group:
        out.append(para(tr("pdf_none"), "small"))

    out += _survey_section(snapshot, data, org)

    highlighted = [
        c
        for c in data.reflections
        if c.highlighted
        and (
            data.phase_kind(c.phase_index) != GroupKind.MUNICIPALITY or c.organisation_id == org.id
        )
    ]
    out.append(para(tr("pdf_highlighted_heading"), "h1"))
    if not highlighted:
        out.append(para(tr("pdf_none"), "small"))
    out += [_card(snapshot, data, c, names) for c in highlighted]
    return out


def _survey_section(
    snapshot: Snapshot, data: SessionData, org: Organisation | None
) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(60 * mm), para(tr("pdf_survey_heading"), "h1")]
    respondents = {pid for pid, *_ in data.answers}
    out.append(para(tr("pdf_respondents", count=len(respondents)), "small"))
    for key, text in data.likert_items():
        everyone = data.likert_counts(key)
        if not sum(everyone):
            out += [para(text, "h2"), para(tr("pdf_no_answers"), "small")]
            continue
        if org is None:
            out.append(_likert_chart(text, None, everyone))
        else:
            out.append(_likert_chart(text, data.likert_counts(key, org.id), everyone, org.name))
    for key, text in data.open_items():
        # Sorted so that like answers sit together; in the overview under each organisation.
        sources = [org] if org is not None else snapshot.taking_part()
        parts = []
        for source in sources:
            answers = sorted(data.open_answers(key, source.id), key=lambda a: a.casefold())
            if answers:
                parts.append((source, answers))
        if not parts:
            continue
        out.append(para(text, "h2"))
        for source, answers in parts:
            bullets: list[Flowable] = [
                TextBlock(f"• {a}", font=FONT, padding=1, space_after=2) for a in answers
            ]
            if org is None:  # the organisation's name never alone at the foot of a page
                bullets = [
                    KeepTogether([para(f"{source.name} ({len(answers)})", "small"), *bullets[:3]]),
                    *bullets[3:],
                ]
            out += bullets
    return out


def write_municipality_pdf(snapshot: Snapshot, org: Organisation, path: Path, names: bool) -> Path:
    """Write one organisation's summary atomically to ``path``."""
    _build(
        path,
        municipality_story(snapshot, org, names),
        f"{snapshot.series.name} – {org.name}",
        snapshot.generated_at,
    )
    return path


# -- the organisers' overview ------------------------------------------------------------------


def overview_story(snapshot: Snapshot, names: bool) -> list[Flowable]:
    """Return the flowables of the organisers' overview."""
    story: list[Flowable] = [
        Spacer(1, 30 * mm),
        para(snapshot.series.name, "title"),
        para(tr("pdf_overview_title"), "cover_org"),
    ]
    for data in snapshot.sessions:
        story.append(para(f"{session_line(data)} · {date_text(data.date)}", "subtitle"))
    story += _cover_figures(snapshot)
    for data in snapshot.sessions:
        story += [PageBreak(), para(session_line(data), "h1")]
        story.append(para(tr("pdf_participation_heading"), "h2"))
        story.append(_participation_table(snapshot, data))
        story += _themes_comparison(snapshot, data)
        priorities = _priority_rows(snapshot, data, None, top=3)
        if priorities:
            story.append(para(tr("pdf_overview_priorities_heading"), "h1"))
            story.append(_priority_table(priorities))
        story.append(para(tr("pdf_groups_heading"), "h1"))
        for rnd in data.rounds:
            title = (
                data.session.program[rnd.phase_index].title
                if rnd.phase_index < len(data.session.program)
                else ""
            )
            story.append(para(title, "h2"))
            rows: list[list[Any]] = [[tr("pdf_group"), tr("pdf_members"), tr("pdf_mix")]]
            for number, members in enumerate(rnd.groups):
                member_text = (
                    ", ".join(data.by_id[m].name for m in members if m in data.by_id)
                    if names
                    else str(len(members))
                )
                rows.append(
                    [number + 1, _cell(member_text), _cell(mix_line(snapshot, data, members))]
                )
            story.append(_table(rows, [16 * mm, 70 * mm, 88 * mm]))
        story.append(para(tr("pdf_highlighted_heading"), "h1"))
        highlighted = [c for c in data.reflections if c.highlighted]
        if not highlighted:
            story.append(para(tr("pdf_none"), "small"))
        story += [_card(snapshot, data, c, names) for c in highlighted]
        story += _survey_section(snapshot, data, None)
        story += _survey_by_organisation(snapshot, data)
    return story


def _cover_figures(snapshot: Snapshot) -> list[Flowable]:
    """Return the cover's key figures: per session who came, what they wrote and answered."""
    rows: list[list[Any]] = [
        [
            "",
            tr("pdf_cover_people"),
            tr("pdf_cover_organisations"),
            tr("role_elected"),
            tr("pdf_cover_cards"),
            tr("pdf_cover_respondents"),
        ]
    ]
    for data in snapshot.sessions:
        rows.append(
            [
                _cell(tr("pdf_cover_session", number=data.session.number)),
                len(data.participants),
                len({p.organisation_id for p in data.participants}),
                data.role_counts()[Role.ELECTED],
                len(data.reflections),
                len({pid for pid, *_ in data.answers}),
            ]
        )
    numbers = [_head_width(text, 20 * mm) for text in rows[0][1:]]
    return [
        Spacer(1, 12 * mm),
        para(tr("pdf_cover_figures"), "h2"),
        _table(rows, [174 * mm - sum(numbers), *numbers]),
        Spacer(1, 6 * mm),
        para(tr("pdf_cover_contents"), "small"),
    ]


def _themes_comparison(snapshot: Snapshot, data: SessionData) -> list[Flowable]:
    """Return the top themes of each organisation side by side, the session's first."""
    names = _name_list(snapshot)
    columns = [(tr("pdf_whole_session"), data.themes(None, names, top=5))]
    columns += [(o.name, data.themes(o.id, names, top=5)) for o in snapshot.taking_part()]
    if not any(found for _name, found in columns):
        return []
    rows: list[list[Any]] = [[tr("pdf_organisation"), tr("pdf_top_themes")]]
    for name, found in columns:
        # No-break spaces keep "4. förändringsarbetet (3)" together on one line.
        ranked = " · ".join(
            f"{n}.\u00a0{t.label}\u00a0({t.count})" for n, t in enumerate(found, start=1)
        )
        rows.append([_cell(name), para(ranked or "–")])
    return [
        para(tr("pdf_themes_compare_heading"), "h1"),
        para(tr("pdf_themes_compare_note"), "small"),
        _table(rows, [40 * mm, 134 * mm]),
    ]


def _survey_by_organisation(snapshot: Snapshot, data: SessionData) -> list[Flowable]:
    items = data.likert_items()
    if not items:
        return []
    out: list[Flowable] = [CondPageBreak(50 * mm), para(tr("pdf_survey_by_org_heading"), "h2")]
    header = [tr("pdf_organisation"), *[f"{i + 1}" for i in range(len(items))], "n"]
    rows: list[list[Any]] = [header]
    for org in snapshot.taking_part():
        means = []
        n = 0
        for key, _ in items:
            counts = data.likert_counts(key, org.id)
            total = sum(counts)
            n = max(n, total)
            means.append(
                f"{sum((v + 1) * c for v, c in enumerate(counts)) / total:.1f}" if total else "–"
            )
        rows.append([_cell(org.name), *means, n])
    width = (174 * mm - 60 * mm - 12 * mm) / len(items)
    out.append(_table(rows, [60 * mm, *([width] * len(items)), 12 * mm]))
    legend = "; ".join(f"{i + 1}: {text}" for i, (_, text) in enumerate(items))
    out.append(para(tr("pdf_means_note") + " " + legend, "small"))
    return out


def write_overview_pdf(snapshot: Snapshot, path: Path, names: bool) -> Path:
    """Write the organisers' overview atomically to ``path``."""
    _build(path, overview_story(snapshot, names), snapshot.series.name, snapshot.generated_at)
    return path
