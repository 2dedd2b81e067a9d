"""Translations for the console and the command line: one JSON catalogue per language.

Swedish is the default. Keys are stable English identifiers; ``tr`` falls back to Swedish and
then to the key itself, so a missing translation shows something readable instead of failing.
"""

from __future__ import annotations

import json
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


def tr(key: str, **params: object) -> str:
    """Return the text for ``key`` in the current language, with ``{name}`` fields filled."""
    text = catalogue(_current).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text
