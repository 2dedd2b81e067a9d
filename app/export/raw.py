"""Raw data for the accompanying researcher: CSV files and one JSON document.

Participants are pseudonymised (``P001``…, in joining order across the export) unless the
organiser includes names; pseudonymised, organisation, role, function and attendance are
generalised so that at least three people share them (:mod:`app.export.kanon`). Free text
is exported as written; it may itself mention names.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from app.atomic import write_atomic
from app.export import kanon
from app.export.data import Snapshot
from app.model import Phase, PhaseKind


def _pseudonyms(snapshot: Snapshot) -> dict[str, str]:
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
    """Write ``<table>.csv`` for each table and ``data.json``; return the paths."""
    tables = raw_tables(snapshot, names)
    written = []
    for name, rows in tables.items():
        path = out_dir / f"{name}.csv"
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        # UTF-8 with BOM: Excel, which organisers open these with, then reads å, ä, ö right.
        data = buffer.getvalue().encode("utf-8-sig")
        write_atomic(path, lambda handle, data=data: handle.write(data))
        written.append(path)
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
    }
    payload = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    path = out_dir / "data.json"
    write_atomic(path, lambda handle: handle.write(payload))
    written.append(path)
    return written
