"""Raw data for the accompanying researcher and the organisers: CSV, Excel and JSON.

Participants are pseudonymised unless the organiser includes names: ``P001``… is the
*person*, the same in every session of the series and numbered in the order people first
joined it (:func:`app.export.data.person_pseudonyms`); pseudonymised, organisation, role,
function and attendance are generalised so that at least three people share them
(:mod:`app.export.kanon`). Free text is exported as written; it may itself mention names.

Every table is written three ways (:mod:`app.export.tables`): ``<table>.csv`` (RFC 4180 for
tools), ``excel/<table>.csv`` (``;`` and a BOM for Swedish Excel) and a sheet of ``data.xlsx``;
in the CSV files and the workbook no text can run as a formula. ``data.json`` keeps every
text exactly. Beside them, the survey per person and session and its codebook
(:mod:`app.export.research`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from app.atomic import write_atomic
from app.export import kanon
from app.export.data import Snapshot
from app.export.research import codebook, survey_long
from app.export.tables import Table, excel_csv, plain_csv, write_csv, write_xlsx
from app.model import Phase, PhaseKind

# Columns of tables that may be empty (an empty table still gets its header row).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "participants": ("session", "participant", "organisation", "role", "function", "attendance"),
    "groups": ("session", "phase", "kind", "group", "participant", "late"),
    "reflections": (
        "session",
        "phase",
        "kind",
        "group",
        "participant",
        "organisation",
        "text",
        "withdrawn",
        "hidden",
        "highlighted",
        "written",
        "card",
    ),
    "survey": ("session", "participant", "organisation", "item", "value", "text"),
    "votes": ("session", "phase", "participant", "card", "dots"),
}


def _pseudonyms(snapshot: Snapshot) -> dict[str, str]:
    if snapshot.persons:
        return snapshot.persons
    ids = [p.id for s in snapshot.sessions for p in s.participants]
    return {pid: f"P{n:03d}" for n, pid in enumerate(ids, start=1)}


def raw_tables(
    snapshot: Snapshot, names: bool, k: int = kanon.DEFAULT_K
) -> dict[str, list[dict[str, Any]]]:
    """Return the raw data as tables (lists of rows) keyed by table name.

    Without names the participant columns are generalised to ``k``-anonymity
    (:mod:`app.export.kanon`).
    """
    alias = _pseudonyms(snapshot)
    org = snapshot.organisation_name
    tables: dict[str, list[dict[str, Any]]] = {
        "participants": [],
        "groups": [],
        "reflections": [],
        "survey": [],
        "votes": [],
    }
    for data in snapshot.sessions:
        number = data.session.number
        for p in data.participants:
            row: dict[str, Any] = {
                "session": number,
                "participant": alias[p.id],
                "organisation": org(p.organisation_id),
                "role": p.role.value,
                "function": p.function,
                "attendance": p.attendance.value,
            }
            if names:
                row["name"] = p.name
            tables["participants"].append(row)
        for rnd in data.rounds:
            for g, members in enumerate(rnd.groups):
                for pid in members:
                    tables["groups"].append(
                        {
                            "session": number,
                            "phase": rnd.phase_index,
                            "kind": rnd.kind.value,
                            "group": g + 1,
                            "participant": alias.get(pid, ""),
                            "late": pid in rnd.late,
                        }
                    )
        for r in data.all_reflections:
            kind = data.phase_kind(r.phase_index)
            tables["reflections"].append(
                {
                    "session": number,
                    "phase": r.phase_index,
                    "kind": kind.value if kind else "",
                    "group": "" if r.group_no is None else r.group_no + 1,
                    "participant": alias.get(r.participant_id, ""),
                    "organisation": org(r.organisation_id),
                    "text": r.text,
                    "withdrawn": r.withdrawn,
                    "hidden": r.hidden,
                    "highlighted": r.highlighted,
                    "written": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(r.created_at)),
                    "card": r.id,  # the page's random id: what ``votes`` refers to
                }
            )
        for pid, item, value, text in data.answers:
            who = data.by_id.get(pid)
            tables["survey"].append(
                {
                    "session": number,
                    "participant": alias.get(pid, ""),
                    "organisation": org(who.organisation_id) if who else "",
                    "item": item,
                    "value": "" if value is None else value,
                    "text": text,
                }
            )
        for phase_index, pid, card_id, dots in data.votes:
            tables["votes"].append(
                {
                    "session": number,
                    "phase": phase_index,
                    "participant": alias.get(pid, ""),
                    "card": card_id,
                    "dots": dots,
                }
            )
    if not names:
        kanon.apply_to_tables(tables, k)
    return tables


def _phase(p: Phase) -> dict[str, Any]:
    found: dict[str, Any] = {
        "kind": p.kind.value,
        "title": p.title,
        "minutes": p.minutes,
        "prompt": p.prompt,
    }
    if p.kind == PhaseKind.PRIORITISE:
        found.update(dots=p.dots, per_card=p.per_card, scope=p.scope.value, open_votes=p.open_votes)
    return found


def write_raw(snapshot: Snapshot, out_dir: Path, names: bool) -> list[Path]:
    """Write the raw data into ``out_dir`` (see the module docstring); return the paths."""
    tables = raw_tables(snapshot, names)
    long_columns, long_rows = survey_long(snapshot)
    # The per-person survey shows what the participant rows show: generalised where they are
    # (k-anonymity, app.export.kanon), so it cannot single out whom they protect.
    shown = {(row["participant"], row["session"]): row for row in tables["participants"]}
    for row in long_rows:
        match = shown.get((row["person"], row["session"]))
        if match is not None:
            for column in ("organisation", "role", "attendance"):
                row[column] = match[column]
    every = [Table.of(name, rows, _COLUMNS.get(name, ())) for name, rows in tables.items()]
    book = codebook(snapshot, {t.name: t.columns for t in every})
    every += [Table.of("survey_long", long_rows, long_columns), Table.of("codebook", book)]
    written = []
    excel_dir = out_dir / "excel"
    excel_dir.mkdir(exist_ok=True)
    for table in every:
        written.append(write_csv(out_dir / f"{table.name}.csv", plain_csv(table)))
        written.append(write_csv(excel_dir / f"{table.name}.csv", excel_csv(table)))
    written.append(write_xlsx(out_dir / "data.xlsx", every))
    document = {
        "series": snapshot.series.name,
        "sessions": [
            {
                "number": s.session.number,
                "theme": s.session.theme,
                "subtitle": s.session.subtitle,
                "program": [_phase(p) for p in s.session.program],
                "survey": [
                    {"key": i.key, "kind": i.kind.value, "text": i.text} for i in s.session.survey
                ],
            }
            for s in snapshot.sessions
        ],
        "names_included": names,
        **tables,
        "survey_long": long_rows,
        "codebook": book,
    }
    payload = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    path = out_dir / "data.json"
    write_atomic(path, lambda handle: handle.write(payload))
    written.append(path)
    return written
