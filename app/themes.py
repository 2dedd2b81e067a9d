"""Themes: the words and two-word phrases that recur across reflections.

For a municipality (or the whole session) the facilitator wants to see what people talked
about. Each reflection is split into words; stop words are dropped (the maintained
stopwords-iso lists for Swedish and English, from the ``stopwordsiso`` package, plus a few
words of this kind of workshop, see :data:`EXTRA_STOP`); names of the people present and of
the organisations never count as themes; the rest is stemmed with the Snowball stemmer of the
reflection's language (``snowballstemmer``), so "digitalisering" and "digitaliseringen" are
one theme. Two-word phrases are two such words next to each other ("gemensam plattform").
Each theme is shown in the shortest form people wrote, mostly the base form.

A theme counts the *reflections* that mention it, not the times it is written: one long card
that says "samverkan" five times does not outweigh four cards that say it once. A phrase
that explains most uses of a word replaces the word.

Pure and fast: no I/O, a few milliseconds per hundred reflections (``bench/themes.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
import stopwordsiso

# Words of a workshop on digitalisation that say nothing about its themes, beyond the
# general lists: the prompt's own words and the verbs of opinion people start cards with.
EXTRA_STOP = frozenset(
    """
    behöver behövs tycker tror tänker vill viktigt viktig viktiga måste kunna finnas
    göra gör gjort skulle sätt saker sak mycket lite mer fler flera olika egen eget egna
    hela många nya nytt ny gäller handlar leder ökad öka ökar större stora stort bättre
    betyder kommer tillsammans idag också samt även just redan exempel borde tid kommun
    kommuner kommunerna kräver krävs kräva kring hos sa menade lyfte visade fungerar
    municipality municipalities need needs
    """.split()
)
# Words that describe rather than name a theme: they start a phrase ("digitala tjänster",
# "gemensam plattform") but are no theme alone. Compared by stem, like EXTRA_STOP.
WEAK = frozenset(
    """
    gemensam gemensamma gemensamt digital digitala digitalt öppen öppna små liten lokal
    lokala regional regionala enkel enklare snabb snabbare common shared digital small
    """.split()
)
# Words stopwords-iso's long English list drops that are themes here.
KEEP_EN = frozenset({"information", "system", "systems", "problem", "problems", "work", "public"})
MIN_LENGTH = 3
MAX_LENGTH = 40  # longer "words" are pasted links or keyboard mashing, never a theme
# Inflection endings (Swedish definite and plural forms, genitive s; English plural) by
# which two written words may differ and still be one theme (see merge_inflections).
ENDINGS = ("erna", "arna", "orna", "en", "et", "er", "ar", "or", "na", "n", "t", "s", "es")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Theme:
    """A recurring word or two-word phrase and the number of reflections that mention it."""

    label: str
    count: int

    @property
    def phrase(self) -> bool:
        """True for a two-word phrase."""
        return " " in self.label


@lru_cache(maxsize=1)
def _stop_words() -> tuple[frozenset[str], frozenset[str]]:
    swedish = frozenset(stopwordsiso.stopwords("sv")) | EXTRA_STOP
    english = frozenset(stopwordsiso.stopwords("en")) - KEEP_EN
    return swedish, english


@lru_cache(maxsize=2)
def _stemmer(language: str) -> snowballstemmer.stemmer:  # type: ignore[name-defined]
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str, language: str = "swedish") -> str:
    """Return a word's stem: Snowball's, applied twice.

    Once is not always enough for Swedish: "kompetensen" → "kompetens" but "kompetens" →
    "kompet", and "kostnaderna" → "kostnad" → "kostn". A second pass brings the forms of
    a word to one stem; words already at a stem stay as they are.
    """
    stemmer = _stemmer(language)
    return str(stemmer.stemWord(stemmer.stemWord(word)))


@lru_cache(maxsize=1)
def _extra_stems() -> tuple[frozenset[str], frozenset[str]]:
    def stems(found: frozenset[str]) -> frozenset[str]:
        return frozenset(stem(w, lang) for w in found for lang in ("swedish", "english"))

    return stems(EXTRA_STOP), stems(WEAK)


def words(text: str) -> list[str]:
    """Return the words of a text in lower case (letters and inner hyphens only)."""
    return _WORD.findall(text.casefold())


def name_words(names: Iterable[str]) -> frozenset[str]:
    """Return the words of people's and organisations' names, as :func:`themes` excludes them.

    "Dals-Ed" gives "dals-ed", "dals" and "ed"; genitive forms ("Uddevallas") are caught
    when a text is read.
    """
    found: set[str] = set()
    for name in names:
        for word in words(name):
            found.add(word)
            found.update(part for part in word.split("-") if part)
    return frozenset(found)


class _Counter:
    """Counts stems and stem pairs per reflection, remembering the surface forms."""

    def __init__(self, excluded: frozenset[str]) -> None:
        self.excluded = excluded
        self.swedish_stop, self.english_stop = _stop_words()
        self.extra, self.weak = _extra_stems()
        self.stems: dict[tuple[str, str], str] = {}
        self.docs: dict[tuple[str, ...], set[int]] = {}
        self.forms: dict[tuple[str, ...], Counter[str]] = {}
        self.words_of: dict[str, set[str]] = {}  # stem -> the words that gave it
        self.count = 0

    def _is_name(self, word: str) -> bool:
        if word in self.excluded:
            return True
        # A genitive ("Trollhättans", "Anders") or a compound part ("dals-eds").
        return word.endswith("s") and word[:-1] in self.excluded

    def _stem(self, word: str, language: str) -> str:
        key = (language, word)
        found = self.stems.get(key)
        if found is None:
            found = self.stems[key] = stem(word, language)
        return found

    def add(self, text: str) -> None:
        tokens = words(text)
        if not tokens:
            return
        swedish = sum(t in self.swedish_stop for t in tokens)
        english = sum(t in self.english_stop for t in tokens)
        language, stop = (
            ("english", self.english_stop) if english > swedish else ("swedish", self.swedish_stop)
        )
        self.count += 1
        previous: tuple[str, str] | None = None  # (stem, surface) of the word just before
        for token in tokens:
            if not MIN_LENGTH <= len(token) <= MAX_LENGTH or token in stop or self._is_name(token):
                previous = None
                continue
            root = self._stem(token, language)
            if root in self.extra:
                previous = None
                continue
            self.words_of.setdefault(root, set()).add(token)
            keys: list[tuple[tuple[str, ...], str]] = []
            if root not in self.weak:
                keys.append(((root,), token))
            if previous is not None:
                keys.append(((previous[0], root), f"{previous[1]} {token}"))
            for key, form in keys:
                forms = self.forms.get(key)
                if forms is None:  # not setdefault: no Counter built for nothing per word
                    forms = self.forms[key] = Counter()
                    self.docs[key] = set()
                forms[form] += 1
                self.docs[key].add(self.count)
            previous = (root, token)

    def merge_inflections(self) -> None:
        """Merge stems whose words differ only by an inflection ending Snowball missed.

        Snowball's Swedish stemmer takes "andet" off "bredbandet" ("bredb") but leaves
        "bredband": the word "bredband" + "et" ties the two stems together here.
        """
        parent: dict[str, str] = {}

        def find(stem: str) -> str:
            while parent.get(stem, stem) != stem:
                stem = parent[stem]
            return stem

        stem_of: dict[str, str] = {}
        for root, found in self.words_of.items():
            for word in found:
                stem_of.setdefault(word, root)
        for root, found in self.words_of.items():
            for word in found:
                for ending in ENDINGS:
                    if len(word) - len(ending) < MIN_LENGTH or not word.endswith(ending):
                        continue
                    base = stem_of.get(word[: -len(ending)])
                    if base is not None and find(base) != find(root):
                        parent[find(root)] = find(base)
        if not parent:
            return
        docs: dict[tuple[str, ...], set[int]] = {}
        forms: dict[tuple[str, ...], Counter[str]] = {}
        for key, found in self.docs.items():
            merged = tuple(find(part) for part in key)
            docs.setdefault(merged, set()).update(found)
            forms.setdefault(merged, Counter()).update(self.forms[key])
        self.docs, self.forms = docs, forms


def themes(texts: Iterable[str], names: Iterable[str] = (), top: int = 10) -> list[Theme]:
    """Return the ``top`` recurring themes of ``texts``, most reflections first.

    Args:
        texts: the reflections (Swedish or English; each is read in its own language).
        names: names of people and organisations, never counted as themes.
        top: how many themes to return.
    """
    counter = _Counter(name_words(names))
    total = 0
    for text in texts:
        counter.add(text)
        total += 1
    counter.merge_inflections()
    df = {key: len(found) for key, found in counter.docs.items()}
    least = 2 if total >= 5 else 1  # a theme recurs: in a small pile once is enough
    phrases = {k: n for k, n in df.items() if len(k) == 2 and n >= max(least, 2)}
    singles = {k: n for k, n in df.items() if len(k) == 1 and n >= least}
    # A phrase that accounts for most uses of its words replaces them ("gemensam plattform"
    # rather than "gemensam" and "plattform" beside it).
    for (first, second), n in phrases.items():
        for part in (first, second):
            if (part,) in singles and n * 2 >= singles[(part,)]:
                del singles[(part,)]
    ranked = sorted(
        [*phrases.items(), *singles.items()],
        key=lambda item: (-item[1], -len(item[0]), _label(counter, item[0])),
    )
    return [Theme(_label(counter, key), n) for key, n in ranked[:top]]


def _label(counter: _Counter, key: tuple[str, ...]) -> str:
    forms = counter.forms[key]
    # The shortest form written, which is mostly the base form ("budget", not "budgeten");
    # among equally short ones the most written.
    return min(forms, key=lambda form: (len(form), -forms[form], form))


def compare(groups: Sequence[tuple[str, Sequence[Theme]]], top: int = 5) -> list[list[str]]:
    """Return a table of the top themes side by side: one row per rank, one column per group.

    Empty cells are ''. For the overview PDF, which compares municipalities.
    """
    rows = []
    for rank in range(top):
        row = [
            f"{found[rank].label} ({found[rank].count})" if rank < len(found) else ""
            for _name, found in groups
        ]
        if any(row):
            rows.append(row)
    return rows
