"""Plural forms in both languages: the mechanism, and every catalogue text that uses it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import i18n
from app.i18n import PLURAL_FIELD, plural, tr

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = [
    ("app/locales/sv.json", "app/locales/en.json"),
    ("app/locales/export-sv.json", "app/locales/export-en.json"),
    ("assets/i18n/sv.json", "assets/i18n/en.json"),
]


@pytest.fixture
def lang() -> Iterator[None]:
    yield
    i18n.set_language("sv")


def test_a_plural_field_takes_the_singular_only_for_one() -> None:
    text = "{n} {n|grupp är klar|grupper är klara}"
    assert [plural(text, n=n) for n in (0, 1, 2, -1)] == [
        "{n} grupper är klara",
        "{n} grupp är klar",
        "{n} grupper är klara",
        "{n} grupp är klar",
    ]
    assert plural("{a|x|y} {b|x|y}", a=1, b=5) == "x y"
    with pytest.raises(KeyError):
        plural("{n|x|y}", m=1)


@pytest.mark.parametrize(
    ("lang_code", "key", "params", "expected"),
    [
        ("sv", "roster_totals", {"joined": 1, "connected": 1}, "1 anmäld · 1 ansluten nu"),
        ("sv", "roster_totals", {"joined": 2, "connected": 0}, "2 anmälda · 0 anslutna nu"),
        ("en", "groups_made", {"count": 1}, "1 group is ready."),
        ("en", "groups_made", {"count": 15}, "15 groups are ready."),
        ("sv", "groups_made", {"count": 1}, "1 grupp är klar."),
        ("en", "wall_count", {"count": 1}, "1 card"),
        ("sv", "export_result", {"count": 1, "folder": "x"}, "Klart: 1 fil i x"),
        (
            "sv",
            "pdf_participants_line",
            {"total": 1, "elected": 1, "officials": 0},
            "1 deltagare: 1 förtroendevald och 0 tjänstepersoner.",
        ),
        (
            "en",
            "pdf_participants_line",
            {"total": 2, "elected": 1, "officials": 1},
            "2 participants: 1 elected official and 1 civil servant.",
        ),
    ],
)
def test_counts_read_right_in_both_languages(
    lang: None, lang_code: str, key: str, params: dict[str, object], expected: str
) -> None:
    i18n.set_language(lang_code)
    assert tr(key, **params) == expected


@pytest.mark.parametrize(("sv_path", "en_path"), CATALOGUES)
def test_every_plural_field_is_well_formed_and_counts_the_same_things(
    sv_path: str, en_path: str
) -> None:
    sv = json.loads((ROOT / sv_path).read_text("utf-8"))
    en = json.loads((ROOT / en_path).read_text("utf-8"))
    for key in sv:
        names = {}
        for lang_code, text in (("sv", sv[key]), ("en", en[key])):
            # A bar inside braces that the field pattern does not read is a broken field.
            stripped = PLURAL_FIELD.sub("", text)
            assert not re.search(r"\{[^{}]*\|", stripped), (key, lang_code, text)
            plain = set(re.findall(r"\{(\w+)\}", text))
            counted = {m.group(1) for m in PLURAL_FIELD.finditer(text)}
            assert counted <= plain, (key, lang_code, "a plural field for a count not shown")
            names[lang_code] = plain
        assert names["sv"] == names["en"], key


def test_any_field_name_may_be_filled_even_text_and_key() -> None:
    assert plural("{text}", text="a") == "{text}"
    assert tr("survey_open_answer", text="Mer {samverkan}", organisation="Dals-Ed") == (
        "Mer {samverkan} — Dals-Ed"
    )


def test_the_erase_questions_count_in_the_singular_too() -> None:
    one = tr("privacy_erase_confirm", name="Anna", organisation="Tanum", number=1, cards=1)
    assert "Deltagaren, 1 reflektion, enkätsvar" in one
    summary = tr(
        "privacy_delete_summary", number=1, theme="UTBLICK", people=1, roster=0, cards=1, answers=1
    )
    assert "1 reflektion och enkätsvar från 1 person," in summary
