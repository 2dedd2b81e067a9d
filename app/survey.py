"""The session's survey: checking its items and counting its answers.

Pure functions over the items and the answers (participant id -> item key -> value);
:class:`app.live.Live` holds both for the running session and stores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.model import SurveyItem, SurveyKind
from app.protocol import MAX_ANSWERS

# Survey item keys travel as JSON keys in the ``survey`` message: identifiers only.
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

Answers = Mapping[str, Mapping[str, int | str]]


@dataclass(frozen=True, slots=True)
class LikertResult:
    """Answer counts for one Likert item: ``counts[v - 1]`` people answered ``v``."""

    item: SurveyItem
    counts: tuple[int, int, int, int, int]
    by_organisation: dict[int, tuple[int, int, int, int, int]]

    @property
    def total(self) -> int:
        """Number of answers."""
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        """Average answer, or None without answers."""
        total = self.total
        return None if not total else sum((i + 1) * c for i, c in enumerate(self.counts)) / total


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """Survey results of a session, overall and per organisation."""

    likert: tuple[LikertResult, ...]
    open_answers: dict[str, tuple[tuple[int, str], ...]]  # item -> (organisation id, text)
    respondents: int


def check_items(items: Sequence[SurveyItem], answers: Answers) -> None:
    """Check survey items: unique well-formed keys, texts, and answered items kept as they are.

    Raises:
        ValueError: for a repeated or malformed key, an empty text, too many items, or an
            answered item left out or changed to the other kind.
    """
    if len(items) > MAX_ANSWERS:
        raise ValueError(f"a survey has at most {MAX_ANSWERS} items")
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError("survey item keys must be unique")
    for item in items:
        if not 1 <= len(item.key) <= 40 or not set(item.key) <= _KEY_CHARS:
            raise ValueError(f"bad survey item key {item.key!r}")
        if not item.text.strip():
            raise ValueError(f"survey item {item.key!r} has no text")
    kinds = {i.key: i.kind for i in items}
    for given in answers.values():
        for key, value in given.items():
            kind = SurveyKind.LIKERT if isinstance(value, int) else SurveyKind.OPEN
            if kinds.get(key) != kind:  # left out, or turned into the other kind
                raise ValueError(f"survey item {key!r} has answers: it stays, as it is")


def tally(
    items: Sequence[SurveyItem], answers: Answers, org_of: Mapping[str, int]
) -> SurveyResults:
    """Count the answers per Likert item (overall and per organisation) and list open ones."""
    likert = []
    open_answers: dict[str, tuple[tuple[int, str], ...]] = {}
    for item in items:
        if item.kind == SurveyKind.LIKERT:
            counts = [0] * 5
            per_org: dict[int, list[int]] = {}
            for pid, given in answers.items():
                value = given.get(item.key)
                if isinstance(value, int) and 1 <= value <= 5:
                    counts[value - 1] += 1
                    per_org.setdefault(org_of.get(pid, 0), [0] * 5)[value - 1] += 1
            likert.append(
                LikertResult(
                    item,
                    tuple(counts),  # type: ignore[arg-type]
                    {k: tuple(v) for k, v in per_org.items()},  # type: ignore[misc]
                )
            )
        else:
            open_answers[item.key] = tuple(
                (org_of.get(pid, 0), str(given[item.key]))
                for pid, given in answers.items()
                if isinstance(given.get(item.key), str) and given[item.key]
            )
    return SurveyResults(tuple(likert), open_answers, len(answers))
