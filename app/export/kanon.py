"""k-anonymity for the pseudonymised raw data: no row singles a person out.

A pseudonym (``P001``) hides a name, but organisation, role, function and attendance
together often point at one person (the only elected member from Dals-Ed who joined
remotely; the only IT-chef of Tanum). Before the pseudonymised raw data is written, every
participant row is generalised until at least ``k`` rows of the same session share the
same values of these columns (its *equivalence class*):

1. the free-text function is left out (``*``) where it singles people out;
2. then attendance, then role, then organisation are replaced by ``*`` for the rows whose
   class is still smaller than ``k``;
3. rows still alone are fully generalised together with the smallest classes until the
   ``*`` class itself has ``k`` members (with fewer than ``k`` people in a session, every
   row of that session is fully generalised).

A pseudonym is the same person in every session (:func:`same_across_sessions`): what is
hidden in one of their sessions is hidden in all of them.

The other tables name the same pseudonyms, so they show what the participant row shows:
a card's or answer's organisation is the generalised one, and where a participant's
organisation was left out, their municipality group (which would give it away) is too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

DEFAULT_K = 3
HIDDEN = "*"
# The participant columns someone could know about a person, coarsest last.
QUASI_IDENTIFIERS = ("organisation", "role", "function", "attendance")
# Generalised in this order (function first: free text is the most identifying).
_ORDER = ("function", "attendance", "role", "organisation")


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["session"], *(row[c] for c in QUASI_IDENTIFIERS))


def class_sizes(rows: Iterable[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """Return how many rows share each (session, quasi-identifiers) combination."""
    return Counter(_key(row) for row in rows)


def anonymise_participants(rows: list[dict[str, Any]], k: int = DEFAULT_K) -> list[dict[str, Any]]:
    """Return copies of participant rows generalised so every class has at least ``k`` rows.

    Rows keep their order and their other columns; ``k`` of 1 changes nothing.
    """
    out = [dict(row) for row in rows]
    if k <= 1:
        return out
    for column in _ORDER:
        sizes = class_sizes(out)
        for row in out:
            if sizes[_key(row)] < k:
                row[column] = HIDDEN
    # Still alone (e.g. one of two remote people, both from rare organisations): merge the
    # smallest classes into the fully hidden one, per session, until it has k members.
    for session in {row["session"] for row in out}:
        mine = [row for row in out if row["session"] == session]
        while True:
            sizes = class_sizes(mine)
            small = [key for key, size in sizes.items() if size < k]
            if not small:
                break
            hidden_key = (session, *(HIDDEN for _ in QUASI_IDENTIFIERS))
            if small == [hidden_key] and len(mine) >= k:
                # Only the hidden class is short: take members from the smallest other class.
                donor = min((key for key in sizes if key != hidden_key), key=lambda key: sizes[key])
                small = [donor]
            for row in mine:
                if _key(row) in small:
                    for column in QUASI_IDENTIFIERS:
                        row[column] = HIDDEN
            if len(mine) < k:
                break
    return out


def same_across_sessions(rows: list[dict[str, Any]], k: int = DEFAULT_K) -> list[dict[str, Any]]:
    """Return copies of generalised rows where a person hides a column in every session or none.

    The pseudonym is the person's in every session of the series (so the researcher can
    follow answers over time). Generalised per session only, a person could show their
    organisation in session 1 and their role in session 2, and the two together single them
    out. So a column hidden in one of a person's rows is hidden in all of them; as that can
    leave another class short, each session is generalised again, until nothing changes
    (it ends: columns are only ever hidden, never shown again).
    """
    out = [dict(row) for row in rows]
    while True:
        hidden: dict[Any, set[str]] = {}
        for row in out:
            mine = hidden.setdefault(row["participant"], set())
            mine.update(c for c in QUASI_IDENTIFIERS if row[c] == HIDDEN)
        changed = False
        for row in out:
            for column in hidden[row["participant"]]:
                if row[column] != HIDDEN:
                    row[column] = HIDDEN
                    changed = True
        if not changed:
            return out
        out = anonymise_participants(out, k)


def apply_to_tables(tables: dict[str, list[dict[str, Any]]], k: int = DEFAULT_K) -> None:
    """Generalise the participant table in place, and the other tables to match it."""
    participants = same_across_sessions(anonymise_participants(tables["participants"], k), k)
    tables["participants"] = participants
    # Keyed by session too: a pseudonym is the same person in every session.
    organisation = {
        (row["participant"], row["session"]): row["organisation"] for row in participants
    }
    for name in ("reflections", "survey"):
        for row in tables.get(name, ()):
            key = (row.get("participant"), row.get("session"))
            if key in organisation:
                row["organisation"] = organisation[key]
    for name in ("reflections", "groups"):
        for row in tables.get(name, ()):
            key = (row.get("participant"), row.get("session"))
            if row.get("kind") == "municipality" and organisation.get(key) == HIDDEN:
                row["group"] = ""
