"""Themes of reflections: stemming, stop words, names left out, precision on labelled samples."""

from __future__ import annotations

from app.themes import Theme, compare, stem, themes

from .themes_sample import HELD_OUT, HELD_OUT_RELEVANT, NAMES, REFLECTIONS, RELEVANT


def _stems(label: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in label.split())


def precision_at_ten(texts: list[str], labels: list[str]) -> tuple[float, list[Theme]]:
    """Share of the top ten themes a reader named (matched by stems, see themes_sample)."""
    relevant = {_stems(label) for label in labels}
    top = themes(texts, NAMES, top=10)
    hits = sum(_stems(t.label) in relevant for t in top)
    return hits / len(top), top


def test_held_out_sample_precision() -> None:
    precision, top = precision_at_ten(HELD_OUT, HELD_OUT_RELEVANT)
    print(f"held-out precision of the top ten: {precision:.1f}", [t.label for t in top])
    assert len(top) == 10 and precision >= 0.8, top


def test_top_ten_themes_of_the_labelled_sample_are_what_a_reader_named() -> None:
    precision, top = precision_at_ten(REFLECTIONS, RELEVANT)
    print(f"precision of the top ten: {precision:.1f}", [(t.label, t.count) for t in top])
    assert len(top) == 10
    assert precision >= 0.8, top
    labels = [t.label for t in top]
    for expected in ("samverkan", "e-tjänster", "digitalisering", "gemensam plattform"):
        assert expected in labels, labels


def test_inflections_count_once_and_a_card_counts_once() -> None:
    found = themes(
        [
            "Digitalisering är svårt.",
            "Digitaliseringen går för långsamt, digitaliseringen!",
            "Kompetensen saknas.",
            "Vi har kompetens.",
            "Kostnaderna stiger, och kostnader för licenser.",
        ],
        top=5,
    )
    counts = {t.label: t.count for t in found}
    assert counts["digitalisering"] == 2  # three mentions in two cards: two reflections
    assert counts["kompetens"] == 2
    assert "kostnad" not in counts  # one card only: no recurring theme among five


def test_names_of_people_and_municipalities_are_not_themes() -> None:
    texts = [
        "Anna Lind och Trollhättan visade hur Trollhättans e-tjänster fungerar.",
        "Anna tyckte att Dals-Ed och Dals-Eds bredband behöver samverkan.",
        "Trollhättan, Uddevalla och Anna: samverkan kring bredband.",
        "Uddevallas samverkan med Lind.",
        "Bredband i hela Dals-Ed, sa Anna.",
    ]
    labels = {t.label for t in themes(texts, ["Anna Lind", "Trollhättan", "Dals-Ed", "Uddevalla"])}
    assert labels & {"anna", "lind", "trollhättan", "trollhättans", "dals-ed", "uddevalla"} == set()
    assert {"samverkan", "bredband"} <= {label.split()[-1] for label in labels}


def test_stop_words_go_and_english_is_read_as_english() -> None:
    texts = [
        "We need a shared platform for e-services in the region.",
        "A shared platform would make e-services cheaper for everyone.",
        "The e-services are what the citizens see of us.",
        "Och det är så att vi inte har det.",
    ]
    found = themes(texts, top=5)
    labels = [t.label for t in found]
    assert labels[0] == "e-services" and found[0].count == 3
    assert "shared platform" in labels
    assert not {"och", "det", "att", "the", "for", "what"} & set(labels)


def test_compare_puts_top_themes_side_by_side() -> None:
    rows = compare(
        [("A", [Theme("samverkan", 3), Theme("bredband", 2)]), ("B", [Theme("skola", 4)])], top=3
    )
    assert rows == [["samverkan (3)", "skola (4)"], ["bredband (2)", ""]]
    assert themes([]) == []


def test_a_definite_form_snowball_misses_still_counts_as_the_word() -> None:
    # Snowball's Swedish stemmer gives "bredbandet" -> "bredb" but keeps "bredband".
    found = themes(["Bredband först.", "Bredbandet är dåligt.", "Utan bredbanden stannar vi."])
    assert found[0] == Theme("bredband", 3)
