"""For the accompanying researcher: survey answers per person and session, and their codebook.

``survey_long`` has one row per participant per session, keyed by the person's pseudonym,
which is the same in every session of the series (:func:`app.export.data.person_pseudonyms`),
so answers can be followed from session 1 to 3 without names. Each survey item is a column
named by its stable key; Likert answers are integers 1–5 and a missing one is
:data:`MISSING_LIKERT`; an open answer is its text, empty when missing.

The codebook lists every variable of that table: type, the question in Swedish and English,
the scale's labels in both languages, the missing-value code and the sessions that asked it;
then the variables of the other raw tables (participants, groups, reflections, survey).
Questions the organisers wrote themselves have no English text of ours: the codebook says so.
"""

from __future__ import annotations

from typing import Any

from app.export.data import Snapshot
from app.i18n import catalogue
from app.model import SurveyKind

#: The value of a Likert item someone did not answer (a number, as statistics tools expect).
MISSING_LIKERT = -9

_ID_VARIABLES = ("person", "session", "organisation", "role", "attendance")


def _pair(key: str) -> str:
    sv, en = _both(key)
    return sv if sv == en else f"{sv} / {en}"


def _both(key: str, **params: object) -> tuple[str, str]:
    texts = []
    for lang in ("sv", "en"):
        text = catalogue(lang).get(key) or catalogue("sv").get(key) or key
        texts.append(text.format(**params) if params else text)
    return texts[0], texts[1]


def survey_long(snapshot: Snapshot) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Return (columns, rows) of the long survey table: one row per participant per session."""
    keys = _item_keys(snapshot)
    kinds = {i.key: i.kind for s in snapshot.sessions for i in s.session.survey}
    rows: list[dict[str, Any]] = []
    for data in snapshot.sessions:
        asked = {i.key for i in data.session.survey}
        answers: dict[tuple[str, str], tuple[int | None, str]] = {
            (pid, item): (value, text) for pid, item, value, text in data.answers
        }
        for p in data.participants:
            row: dict[str, Any] = {
                "person": snapshot.persons.get(p.id, ""),
                "session": data.session.number,
                "organisation": snapshot.organisation_name(p.organisation_id),
                "role": p.role.value,
                "attendance": p.attendance.value,
            }
            for key in keys:
                value, text = answers.get((p.id, key), (None, ""))
                if kinds[key] == SurveyKind.LIKERT:
                    ok = key in asked and value is not None and 1 <= value <= 5
                    row[key] = value if ok else MISSING_LIKERT
                else:
                    row[key] = text if key in asked else ""
            rows.append(row)
    rows.sort(key=lambda r: (r["person"], r["session"]))
    return (*_ID_VARIABLES, *keys), rows


#: Type and description keys of the other tables' variables (``codebook_<key>``).
_VARIABLES: dict[str, tuple[str, str]] = {
    "session": ("integer", "session"),
    "participant": ("id", "participant"),
    "person": ("id", "person"),
    "organisation": ("category", "organisation"),
    "role": ("category", "role"),
    "function": ("text", "function"),
    "attendance": ("category", "attendance"),
    "name": ("text", "name"),
    "phase": ("integer", "phase"),
    "kind": ("category", "kind"),
    "group": ("integer", "group"),
    "late": ("boolean", "late"),
    "text": ("text", "text"),
    "withdrawn": ("boolean", "withdrawn"),
    "hidden": ("boolean", "hidden"),
    "highlighted": ("boolean", "highlighted"),
    "written": ("datetime", "written"),
    "item": ("category", "item"),
    "value": ("integer", "value"),
    "card": ("id", "card"),
    "dots": ("integer", "dots"),
}


def codebook(
    snapshot: Snapshot, tables: dict[str, tuple[str, ...]] | None = None
) -> list[dict[str, Any]]:
    """Return the codebook: one row per variable of ``survey_long``, then of ``tables``.

    Args:
        snapshot: The exported data (for the survey items).
        tables: The other tables' names and columns, described after ``survey_long``.
    """
    rows = [{"table": "survey_long", **row} for row in _survey_codebook(snapshot)]
    for table, columns in (tables or {}).items():
        for column in columns:
            type_key, description = _VARIABLES.get(column, ("text", ""))
            sv, en = _both(f"codebook_{description}") if description else ("", "")
            rows.append(
                {
                    "table": table,
                    "variable": column,
                    "type": _pair(f"codebook_type_{type_key}"),
                    "question_sv": sv,
                    "question_en": en,
                    "scale": "",
                    "missing": _pair("codebook_missing_empty"),
                    "sessions": "",
                }
            )
    return rows


def _survey_codebook(snapshot: Snapshot) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key, type_key in (
        ("person", "codebook_type_id"),
        ("session", "codebook_type_integer"),
        ("organisation", "codebook_type_category"),
        ("role", "codebook_type_category"),
        ("attendance", "codebook_type_category"),
    ):
        description_sv, description_en = _both(f"codebook_{key}")
        rows.append(
            {
                "variable": key,
                "type": _pair(type_key),
                "question_sv": description_sv,
                "question_en": description_en,
                "scale": "",
                "missing": _pair("codebook_missing_none"),
                "sessions": "",
            }
        )
    scale_sv = "; ".join(_both(f"pdf_likert_{v}")[0] for v in range(1, 6))
    scale_en = "; ".join(_both(f"pdf_likert_{v}")[1] for v in range(1, 6))
    for key in _item_keys(snapshot):
        texts: list[str] = []
        sessions: list[int] = []
        kind = SurveyKind.OPEN
        for data in snapshot.sessions:
            for item in data.session.survey:
                if item.key == key:
                    kind = item.kind
                    sessions.append(data.session.number)
                    if item.text not in texts:
                        texts.append(item.text)
        question_sv = " | ".join(texts)
        known_sv, known_en = _both(f"survey_q_{key}")
        question_en = known_en if texts == [known_sv] else _both("codebook_not_translated")[1]
        likert = kind == SurveyKind.LIKERT
        rows.append(
            {
                "variable": key,
                "type": _pair(f"codebook_type_{kind.value}"),
                "question_sv": question_sv,
                "question_en": question_en,
                "scale": f"{scale_sv} / {scale_en}" if likert else "",
                "missing": _pair(f"codebook_missing_{kind.value}"),
                "sessions": ", ".join(str(n) for n in sessions),
            }
        )
    return rows


def _item_keys(snapshot: Snapshot) -> list[str]:
    keys: list[str] = []
    for data in snapshot.sessions:
        for item in data.session.survey:
            if item.key not in keys:
                keys.append(item.key)
    return keys
