"""Translations for the console and the command line: one JSON catalogue per language.

Swedish is the default. Keys are stable English identifiers; ``tr`` falls back to Swedish and
then to the key itself, so a missing translation shows something readable instead of failing.

Counts take their noun's number from a plural field in the text: ``{count|anmäld|anmälda}`` is
the first form when ``count`` is 1 (or -1) and the second otherwise, so "1 anmäld", "2 anmälda",
"0 anmälda"; "1 group is ready", "3 groups are ready". Swedish and English both have exactly
these two forms. The participant page (``assets/app.js``) reads the same syntax.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

LANGUAGES: tuple[str, ...] = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

_current = DEFAULT_LANGUAGE


# One catalogue per language and area; areas are merged (the console's, the exports').
AREAS: tuple[str, ...] = ("", "export-", "tables-")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the catalogue of ``lang`` (all areas merged; loaded once)."""
    merged: dict[str, str] = {}
    for area in AREAS:
        path = resources.files("app").joinpath("locales", f"{area}{lang}.json")
        merged.update(json.loads(path.read_text("utf-8")))
    return merged


def set_language(lang: str) -> None:
    """Choose the language ``tr`` answers in.

    Raises:
        ValueError: for a language we have no catalogue for.
    """
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _current = lang


def language() -> str:
    """Return the current language code."""
    return _current


# ``{name|one|other}``: the form for ``name``'s count; neither form may hold braces or bars.
PLURAL_FIELD = re.compile(r"\{(\w+)\|([^{}|]*)\|([^{}|]*)\}")


def plural(text: str, /, **counts: object) -> str:
    """Resolve the ``{name|one|other}`` fields of ``text`` by the counts given.

    Raises:
        KeyError: a plural field names a count that is not given.
    """

    def form(match: re.Match[str]) -> str:
        value = counts[match.group(1)]
        one = isinstance(value, int | float) and abs(value) == 1
        return match.group(2) if one else match.group(3)

    return PLURAL_FIELD.sub(form, text)


def tr(key: str, /, **params: object) -> str:
    """Return the text for ``key`` in the current language, with ``{name}`` fields filled.

    Plural fields (``{count|kort|kort}``, ``{count|group is|groups are}``) take the form that
    fits the number given for their name.
    """
    text = catalogue(_current).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return plural(text, **params).format(**params) if params else text
