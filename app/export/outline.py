"""A municipality's summary as a structure of headings, paragraphs, lists and tables.

The same content as the PDF (:mod:`app.export.pdf`), built once as plain data so that the
editable and accessible forms (:mod:`app.export.docx`, :mod:`app.export.html`) render real
headings, lists and tables from it rather than positioned text. Participant text is kept as
plain text here; each renderer writes it as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
from app.i18n import tr
from app.model import GroupKind, Organisation, Reflection


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the document's title."""

    level: int
    text: str


@dataclass(frozen=True)
class Para:
    """A paragraph of text; ``note`` for small print."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Card:
    """A reflection: its text and who wrote it (organisation, or name and organisation)."""

    text: str
    caption: str
    highlighted: bool = False


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    """A table with a header row (and a caption said before it)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


Block = Heading | Para | Card | Bullets | Grid


@dataclass(frozen=True)
class Outline:
    """A document: title, language, and its blocks in reading order."""

    title: str
    language: str
    blocks: list[Block] = field(default_factory=list)


def _card(snapshot: Snapshot, data: SessionData, card: Reflection, names: bool) -> Card:
    author = data.by_id.get(card.participant_id)
    org = snapshot.organisation_name(card.organisation_id)
    who = f"{author.name}, {org}" if names and author else org
    return Card(card.text, f"— {who}", card.highlighted)


def municipality_outline(
    snapshot: Snapshot, org: Organisation, names: bool, language: str
) -> Outline:
    """Return one organisation's summary (what its PDF says) as an outline."""
    outline = Outline(f"{snapshot.series.name} – {org.name}", language)
    add = outline.blocks.append
    add(Heading(1, f"{org.name}: {snapshot.series.name}"))
    for data in snapshot.sessions:
        add(Para(f"{session_line(data)} · {date_text(data.date)}"))
    add(Para(tr("pdf_cover_note"), note=True))
    for data in snapshot.sessions:
        add(Heading(2, session_line(data)))
        # As in the PDF: what the municipality takes home first, its priorities and themes.
        outline.blocks.extend(_priorities(snapshot, data, org))
        outline.blocks.extend(_themes(snapshot, data, org))
        outline.blocks.extend(_session(snapshot, data, org, names))
    return outline


def _priorities(snapshot: Snapshot, data: SessionData, org: Organisation) -> list[Block]:
    out: list[Block] = [Heading(3, tr("pdf_priorities_heading"))]
    rows = _priority_rows(snapshot, data, org, top=5)
    if not rows:
        return [*out, Para(tr("pdf_no_priorities"), note=True)]
    return [*out, _priority_grid(rows, tr("pdf_priorities_note"))]


def _priority_rows(
    snapshot: Snapshot, data: SessionData, org: Organisation | None, top: int
) -> list[tuple[str, ...]]:
    from app.export.pdf import priority_entries  # one rule for which priorities are shown

    return [
        (str(place), text, str(dots), label)
        for place, text, dots, label in priority_entries(snapshot, data, org, top)
    ]


def _priority_grid(rows: list[tuple[str, ...]], caption: str = "") -> Grid:
    header = (tr("pdf_rank"), tr("pdf_card"), tr("pdf_dots"), tr("pdf_from_group"))
    return Grid(header, tuple(rows), caption)


def _themes(snapshot: Snapshot, data: SessionData, org: Organisation) -> list[Block]:
    out: list[Block] = [Heading(3, tr("pdf_themes_heading"))]
    found = data.themes(org.id, [o.name for o in snapshot.series.organisations])
    if not found:
        return [*out, Para(tr("pdf_no_themes"), note=True)]
    rows = tuple((t.label, str(t.count)) for t in found)
    return [*out, Grid((tr("pdf_theme"), tr("pdf_reflections")), rows, tr("pdf_themes_note"))]


def _session(snapshot: Snapshot, data: SessionData, org: Organisation, names: bool) -> list[Block]:
    out: list[Block] = []
    people = data.participants_of(org.id)
    out.append(Heading(3, tr("pdf_participants_heading")))
    out.append(Para(participants_line(data, org.id)))
    if names and people:
        rows = tuple(participant_row(p) for p in people)
        out.append(Grid((tr("pdf_name"), tr("pdf_role"), tr("pdf_attendance")), rows))

    # Only this organisation's own municipality reflections: never another's.
    own = [c for c in data.cards(GroupKind.MUNICIPALITY) if c.organisation_id == org.id]
    out.append(Heading(3, tr("pdf_municipality_heading")))
    out += [_card(snapshot, data, c, names) for c in own] or [Para(tr("pdf_none"), note=True)]

    out.append(Heading(3, tr("pdf_mixed_heading")))
    ids = {p.id for p in people}
    any_group = False
    mixed = data.cards(GroupKind.MIXED)
    for rnd in (r for r in data.rounds if r.kind == GroupKind.MIXED):
        program = data.session.program
        phase = program[rnd.phase_index] if rnd.phase_index < len(program) else None
        for number, members in enumerate(rnd.groups):
            if not ids & set(members):
                continue
            any_group = True
            heading = tr("pdf_group_heading", number=number + 1)
            if phase is not None:
                heading += f" · {phase.title}"
            out.append(Heading(4, heading))
            out.append(Para(mix_line(snapshot, data, members), note=True))
            cards = [c for c in mixed if c.round_id == rnd.id and c.group_no == number]
            out += [_card(snapshot, data, c, names) for c in cards] or [
                Para(tr("pdf_none"), note=True)
            ]
    if not any_group:
        out.append(Para(tr("pdf_none"), note=True))

    out += _survey(data, org)

    highlighted = [
        c
        for c in data.reflections
        if c.highlighted
        and (
            data.phase_kind(c.phase_index) != GroupKind.MUNICIPALITY or c.organisation_id == org.id
        )
    ]
    out.append(Heading(3, tr("pdf_highlighted_heading")))
    out += [_card(snapshot, data, c, names) for c in highlighted] or [
        Para(tr("pdf_none"), note=True)
    ]
    return out


def _survey(data: SessionData, org: Organisation | None) -> list[Block]:
    out: list[Block] = [Heading(3, tr("pdf_survey_heading"))]
    respondents = {pid for pid, *_ in data.answers}
    out.append(Para(tr("pdf_respondents", count=len(respondents)), note=True))
    likert = data.likert_items()
    if likert:
        header = (
            tr("pdf_statement"),
            tr("pdf_answered_by"),
            *(tr(f"pdf_likert_{v}") for v in range(1, 6)),
            "n",
            tr("pdf_mean"),
        )
        rows = []
        for key, text in likert:
            groups = [(tr("pdf_everyone"), data.likert_counts(key))]
            if org is not None:
                groups.insert(0, (org.name, data.likert_counts(key, org.id)))
            for who, counts in groups:
                total = sum(counts)
                mean = sum((v + 1) * c for v, c in enumerate(counts)) / total if total else None
                rows.append(
                    (
                        text,
                        who,
                        *(f"{round(100 * c / total)} %" if total else "–" for c in counts),
                        str(total),
                        f"{mean:.1f}" if mean is not None else "–",
                    )
                )
        caption = tr("pdf_likert_table_caption" if org else "pdf_likert_table_caption_all")
        out.append(Grid(header, tuple(rows), caption))
    for key, text in data.open_items():
        answers = data.open_answers(key, org.id if org is not None else None)
        if answers:
            out.append(Heading(4, text))
            out.append(Bullets(tuple(answers)))
    return out


def overview_outline(snapshot: Snapshot, names: bool, language: str) -> Outline:
    """Return the organisers' overview (what the overview PDF says) as an outline."""
    outline = Outline(snapshot.series.name, language)
    add = outline.blocks.append
    add(Heading(1, f"{tr('pdf_overview_title')}: {snapshot.series.name}"))
    for data in snapshot.sessions:
        add(Para(f"{session_line(data)} · {date_text(data.date)}"))
    for data in snapshot.sessions:
        add(Heading(2, session_line(data)))
        add(Heading(3, tr("pdf_participation_heading")))
        add(_participation(snapshot, data))
        add(Heading(3, tr("pdf_groups_heading")))
        program = data.session.program
        for rnd in data.rounds:
            title = program[rnd.phase_index].title if rnd.phase_index < len(program) else ""
            rows = []
            for number, members in enumerate(rnd.groups, start=1):
                who = (
                    ", ".join(data.by_id[m].name for m in members if m in data.by_id)
                    if names
                    else str(len(members))
                )
                rows.append((str(number), who, mix_line(snapshot, data, members)))
            header = (tr("pdf_group"), tr("pdf_members"), tr("pdf_mix"))
            add(Heading(4, title or tr("pdf_groups_heading")))
            add(Grid(header, tuple(rows)))
        outline.blocks.extend(_themes_comparison(snapshot, data))
        priorities = _priority_rows(snapshot, data, None, top=3)
        if priorities:
            add(Heading(3, tr("pdf_overview_priorities_heading")))
            add(_priority_grid(priorities))
        add(Heading(3, tr("pdf_highlighted_heading")))
        highlighted = [_card(snapshot, data, c, names) for c in data.reflections if c.highlighted]
        outline.blocks.extend(highlighted or [Para(tr("pdf_none"), note=True)])
        outline.blocks.extend(_survey(data, None))
        outline.blocks.extend(_survey_by_organisation(snapshot, data))
    return outline


def _themes_comparison(snapshot: Snapshot, data: SessionData) -> list[Block]:
    names = [o.name for o in snapshot.series.organisations]
    columns = [(tr("pdf_whole_session"), data.themes(None, names, top=5))]
    columns += [(o.name, data.themes(o.id, names, top=5)) for o in snapshot.taking_part()]
    if not any(found for _, found in columns):
        return []
    rows = tuple(
        (name, " · ".join(f"{n}. {t.label} ({t.count})" for n, t in enumerate(found, 1)) or "–")
        for name, found in columns
    )
    header = (tr("pdf_organisation"), tr("pdf_top_themes"))
    return [
        Heading(3, tr("pdf_themes_compare_heading")),
        Grid(header, rows, tr("pdf_themes_compare_note")),
    ]


def _participation(snapshot: Snapshot, data: SessionData) -> Grid:
    groups = [(o.name, data.participants_of(o.id)) for o in snapshot.series.organisations]
    groups.append((tr("pdf_total"), list(data.participants)))
    rows = tuple(
        (name, *(str(n) for n in participation_counts(people))) for name, people in groups if people
    )
    return Grid(participation_header(), rows)


def _survey_by_organisation(snapshot: Snapshot, data: SessionData) -> list[Block]:
    items = data.likert_items()
    if not items:
        return []
    header = (tr("pdf_organisation"), *(text for _, text in items), "n")
    rows = []
    for org in snapshot.taking_part():
        means = []
        n = 0
        for key, _ in items:
            counts = data.likert_counts(key, org.id)
            total = sum(counts)
            n = max(n, total)
            mean = sum((v + 1) * c for v, c in enumerate(counts)) / total if total else None
            means.append(f"{mean:.1f}" if mean is not None else "–")
        rows.append((org.name, *means, str(n)))
    return [
        Heading(4, tr("pdf_survey_by_org_heading")),
        Grid(header, tuple(rows)),
    ]
