"""An immutable snapshot of what an export needs, read through its own database connection.

Exports run in a worker thread (or process) while the console and the room server keep going,
so they never share the live :class:`~app.store.Store`: :func:`load` opens its own connection,
reads everything in one go and closes it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.cards import on_wall
from app.model import (
    REFLECTION_PHASES,
    Attendance,
    GroupKind,
    GroupRound,
    Organisation,
    Participant,
    PhaseKind,
    Reflection,
    Role,
    Series,
    Session,
    SurveyKind,
)
from app.store import Store
from app.themes import Theme, themes
from app.votes import RankedGroup, rank


@dataclass(frozen=True)
class SessionData:
    """Everything one session produced."""

    session: Session
    participants: tuple[Participant, ...]
    rounds: tuple[GroupRound, ...]
    reflections: tuple[Reflection, ...]  # withdrawn and hidden ones excluded
    all_reflections: tuple[Reflection, ...]  # for the raw data: every card with its flags
    answers: tuple[tuple[str, str, int | None, str], ...]  # participant, item, value, text
    by_id: dict[str, Participant] = field(default_factory=dict, compare=False)
    votes: tuple[tuple[int, str, str, int], ...] = ()  # phase, participant, card, dots

    # -- what the votes and the themes need (rules in app.votes and app.themes) ------------

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        """Return the groups of a phase."""
        return next((r for r in self.rounds if r.phase_index == phase_index), None)

    def rankings(self) -> list[tuple[int, list[RankedGroup]]]:
        """Return (phase index, ranked groups) for each prioritise phase with votes."""
        source = _Source(self)
        found = []
        for index, phase in enumerate(self.session.program):
            if phase.kind == PhaseKind.PRIORITISE and any(v[0] == index for v in self.votes):
                found.append((index, rank(source, index, self.votes)))
        return found

    def themes(
        self, organisation_id: int | None, names: Sequence[str], top: int = 10
    ) -> list[Theme]:
        """Return the themes of the shown cards (of one organisation's people, or everyone's).

        ``names`` (people and organisations) are never themes.
        """
        texts = [
            r.text
            for r in self.reflections
            if organisation_id is None or r.organisation_id == organisation_id
        ]
        every = [*names, *(p.name for p in self.participants)]
        return themes(texts, every, top)

    @property
    def date(self) -> float | None:
        """When the session took place: the first join (None if nobody joined)."""
        return min((p.joined_at for p in self.participants), default=None)

    def participants_of(self, organisation_id: int) -> list[Participant]:
        """Return the participants of one organisation, in joining order."""
        return [p for p in self.participants if p.organisation_id == organisation_id]

    def role_counts(self, organisation_id: int | None = None) -> Counter[Role]:
        """Count participants by role (of one organisation, or everyone)."""
        return Counter(
            p.role
            for p in self.participants
            if organisation_id is None or p.organisation_id == organisation_id
        )

    def attendance_counts(self, organisation_id: int | None = None) -> Counter[Attendance]:
        """Count participants by attendance (of one organisation, or everyone)."""
        return Counter(
            p.attendance
            for p in self.participants
            if organisation_id is None or p.organisation_id == organisation_id
        )

    def phase_kind(self, phase_index: int) -> GroupKind | None:
        """Return which kind of group reflection a phase collects, if any."""
        program = self.session.program
        if 0 <= phase_index < len(program):
            return REFLECTION_PHASES.get(program[phase_index].kind)
        return None

    def cards(self, kind: GroupKind) -> list[Reflection]:
        """Return the shown cards of mixed or of municipality phases."""
        return [r for r in self.reflections if self.phase_kind(r.phase_index) == kind]

    def likert_counts(
        self, item: str, organisation_id: int | None = None
    ) -> tuple[int, int, int, int, int]:
        """Count answers 1–5 to a Likert item (of one organisation, or everyone)."""
        counts = [0] * 5
        for pid, key, value, _ in self.answers:
            if key != item or value is None or not 1 <= value <= 5:
                continue
            who = self.by_id.get(pid)
            if organisation_id is None or (who and who.organisation_id == organisation_id):
                counts[value - 1] += 1
        return (counts[0], counts[1], counts[2], counts[3], counts[4])

    def open_answers(self, item: str, organisation_id: int | None = None) -> list[str]:
        """Return the non-empty answers to an open question."""
        found = []
        for pid, key, _, text in self.answers:
            if key != item or not text:
                continue
            who = self.by_id.get(pid)
            if organisation_id is None or (who and who.organisation_id == organisation_id):
                found.append(text)
        return found

    def likert_items(self) -> list[tuple[str, str]]:
        """Return (key, statement) of the session's Likert items."""
        return [(i.key, i.text) for i in self.session.survey if i.kind == SurveyKind.LIKERT]

    def open_items(self) -> list[tuple[str, str]]:
        """Return (key, question) of the session's open questions."""
        return [(i.key, i.text) for i in self.session.survey if i.kind == SurveyKind.OPEN]


class _Source:
    """A :class:`app.votes.CardSource` over an exported session (closed, unchanging)."""

    def __init__(self, data: SessionData) -> None:
        self.program = data.session.program
        self._data = data
        self._cards = {r.id: r for r in data.all_reflections}

    def card(self, reflection_id: str) -> Reflection | None:
        return self._cards.get(reflection_id)

    def cards(self) -> list[Reflection]:
        return list(self._data.all_reflections)

    def round(self, phase_index: int | None = None) -> GroupRound | None:
        return self._data.round(phase_index)

    def phase_open(self, index: int) -> bool:
        return False

    @property
    def cards_version(self) -> int:
        return 0


@dataclass(frozen=True)
class Snapshot:
    """A series and the sessions chosen for export."""

    series: Series
    sessions: tuple[SessionData, ...]
    generated_at: float

    def organisation(self, organisation_id: int) -> Organisation | None:
        """Return an organisation of the series by id."""
        return next((o for o in self.series.organisations if o.id == organisation_id), None)

    def organisation_name(self, organisation_id: int) -> str:
        """Return an organisation's name ('' if unknown)."""
        org = self.organisation(organisation_id)
        return org.name if org else ""

    def taking_part(self) -> list[Organisation]:
        """Return the organisations with at least one participant in the exported sessions."""
        present = {p.organisation_id for s in self.sessions for p in s.participants}
        return [o for o in self.series.organisations if o.id in present]


def load(db_path: Path, session_numbers: list[int] | None = None) -> Snapshot:
    """Read a snapshot of the series in ``db_path``; ``None`` means every session.

    Raises:
        app.store.StoreError: if the file cannot be opened.
        ValueError: if the database holds no series or a session number does not exist.
    """
    store = Store(db_path, read_only=True)  # an export reads; it never writes
    try:
        with store.read_snapshot():
            series = store.series()
            if series is None:
                raise ValueError(f"{db_path}: no workshop in this file")
            wanted = session_numbers or [s.number for s in series.sessions]
            unknown = set(wanted) - {s.number for s in series.sessions}
            if unknown:
                raise ValueError(f"no session number {', '.join(map(str, sorted(unknown)))}")
            rounds = store.rounds(series.id)
            sessions = []
            for session in series.sessions:
                if session.number not in wanted:
                    continue
                # A rehearsal's simulated people, their cards, answers and group places are
                # never part of an export: the one place every export reads from leaves them out.
                everyone = store.participants(session.id)
                made_up = {p.id for p in everyone if p.rehearsal}
                participants = tuple(p for p in everyone if p.id not in made_up)
                every = tuple(
                    r for r in store.reflections(session.id) if r.participant_id not in made_up
                )
                kept_cards = {r.id for r in every}
                sessions.append(
                    SessionData(
                        session=session,
                        participants=participants,
                        rounds=tuple(
                            _without(r, made_up) for r in rounds if r.session_id == session.id
                        ),
                        reflections=tuple(r for r in every if on_wall(r)),
                        all_reflections=every,
                        answers=tuple(
                            a for a in store.survey_answers(session.id) if a[0] not in made_up
                        ),
                        by_id={p.id: p for p in participants},
                        votes=tuple(
                            v
                            for v in store.votes(session.id)
                            if v[1] not in made_up and v[2] in kept_cards
                        ),
                    )
                )
            return Snapshot(series, tuple(sessions), time.time())
    finally:
        store.close()


def _without(rnd: GroupRound, left_out: set[str]) -> GroupRound:
    """``rnd`` without the participants in ``left_out`` (a rehearsal's); empty groups stay."""
    if not left_out:
        return rnd
    groups = tuple(tuple(m for m in g if m not in left_out) for g in rnd.groups)
    return replace(rnd, groups=groups, late=rnd.late - left_out)
