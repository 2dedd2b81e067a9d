"""An immutable snapshot of what an export needs, read through its own database connection.

Exports run in a worker thread (or process) while the console and the room server keep going,
so they never share the live :class:`~app.store.Store`: :func:`load` opens its own connection,
reads everything in one go and closes it.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.cards import on_wall
from app.i18n import tr
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
    #: Participant id → e-mail address of the roster entry they claimed (if it had one).
    emails: dict[str, str] = field(default_factory=dict, compare=False)
    votes: tuple[tuple[int, str, str, int], ...] = ()  # phase, participant, card, dots
    _themes: dict[tuple[object, ...], list[Theme]] = field(
        default_factory=dict, compare=False, repr=False
    )

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

        ``names`` (people and organisations) are never themes. Remembered per snapshot: the
        PDF and the Word/HTML forms of a summary ask for the same themes.
        """
        key = (organisation_id, tuple(names), top)
        if key not in self._themes:
            texts = [
                r.text
                for r in self.reflections
                if organisation_id is None or r.organisation_id == organisation_id
            ]
            every = [*names, *(p.name for p in self.participants)]
            self._themes[key] = themes(texts, every, top)
        return list(self._themes[key])

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
    #: Participant id → pseudonym of the *person*, the same in every session of the series
    #: (see :func:`person_pseudonyms`); covers every session, not only the exported ones.
    persons: dict[str, str] = field(default_factory=dict, compare=False)

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
            everyone: list[tuple[Participant, str | None]] = []
            emails: dict[int, dict[str, str]] = {}
            for session in series.sessions:
                claimed = [e for e in store.roster(session.id) if e.claimed_by]
                claims = {e.claimed_by: e.external_id for e in claimed}
                emails[session.id] = {e.claimed_by: e.email for e in claimed if e.email}
                everyone += [
                    (p, claims.get(p.id)) for p in store.participants(session.id) if not p.rehearsal
                ]
            sessions = []
            for session in series.sessions:
                if session.number not in wanted:
                    continue
                # A rehearsal's simulated people, their cards, answers and group places are
                # never part of an export: the one place every export reads from leaves them out.
                stored = store.participants(session.id)
                made_up = {p.id for p in stored if p.rehearsal}
                participants = tuple(p for p in stored if p.id not in made_up)
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
                        emails=emails[session.id],
                        votes=tuple(
                            v
                            for v in store.votes(session.id)
                            if v[1] not in made_up and v[2] in kept_cards
                        ),
                    )
                )
            persons = person_pseudonyms(everyone)
            return Snapshot(series, tuple(sessions), time.time(), persons)
    finally:
        store.close()


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def person_pseudonyms(people: list[tuple[Participant, str | None]]) -> dict[str, str]:
    """Give every participant the pseudonym of the person, stable across the series.

    A person joins each session anew (a new participant id each time). A participant is the
    same person as one of an earlier session who claimed the same roster id (the organisers'
    own id, e.g. from one roster file used for every session), or else who gave the same
    name (ignoring case, width and spacing) for the same organisation. Two participants of
    one session are never one person, even with the same name. People are numbered
    ``P001``… in the order they first joined the series, so exporting one session or the
    whole series gives the same person the same pseudonym.

    Args:
        people: Every participant of the series with the roster id they claimed (or None).

    Returns:
        Participant id → pseudonym.
    """
    by_key: dict[str, list[int]] = {}  # roster id or name key -> person numbers, first first
    sessions_of: list[set[int]] = []  # person number -> sessions they took part in
    result: dict[str, str] = {}
    ordered = sorted(people, key=lambda pair: (pair[0].joined_at, pair[0].session_id))
    for participant, roster_id in ordered:
        keys = [f"r:{roster_id}"] if roster_id else []
        name = _name_key(participant.name)
        if name:
            keys.append(f"n:{participant.organisation_id}:{name}")
        person = next(
            (
                known
                for k in keys
                for known in by_key.get(k, ())
                if participant.session_id not in sessions_of[known]
            ),
            None,
        )
        if person is None:
            person = len(sessions_of)
            sessions_of.append(set())
        sessions_of[person].add(participant.session_id)
        for key in keys:
            if person not in by_key.setdefault(key, []):
                by_key[key].append(person)
        result[participant.id] = f"P{person + 1:03d}"
    return result


def _without(rnd: GroupRound, left_out: set[str]) -> GroupRound:
    """``rnd`` without the participants in ``left_out`` (a rehearsal's); empty groups stay."""
    if not left_out:
        return rnd
    groups = tuple(tuple(m for m in g if m not in left_out) for g in rnd.groups)
    return replace(rnd, groups=groups, late=rnd.late - left_out)


def mix_line(snapshot: Snapshot, data: SessionData, members: Sequence[str]) -> str:
    """Return how a group mixes: its organisations with counts, elected and officials."""
    orgs: dict[str, int] = {}
    elected = 0
    for pid in members:
        p = data.by_id.get(pid)
        if p is None:
            continue
        name = snapshot.organisation_name(p.organisation_id)
        orgs[name] = orgs.get(name, 0) + 1
        elected += p.role == Role.ELECTED
    mix = ", ".join(f"{name} {count}" for name, count in orgs.items())
    return tr("pdf_group_mix", mix=mix, elected=elected, officials=len(members) - elected)


def date_text(ts: float | None) -> str:
    """Return a session's date as YYYY-MM-DD, or the words for "no date"."""
    return time.strftime("%Y-%m-%d", time.localtime(ts)) if ts else tr("pdf_no_date")


def session_line(data: SessionData) -> str:
    """Return the line naming a session: its number, theme and subtitle."""
    s = data.session
    return tr("pdf_session_line", number=s.number, theme=s.theme, subtitle=s.subtitle)


def role_word(role: Role) -> str:
    """Return the word for a role, in the current language."""
    return tr("role_elected") if role == Role.ELECTED else tr("role_official")


def participants_line(data: SessionData, organisation_id: int) -> str:
    """Return "N deltagare: E förtroendevalda, O tjänstepersoner" for one organisation."""
    roles = data.role_counts(organisation_id)
    return tr(
        "pdf_participants_line",
        total=len(data.participants_of(organisation_id)),
        elected=roles[Role.ELECTED],
        officials=roles[Role.OFFICIAL],
    )


def participation_header() -> tuple[str, ...]:
    """Return the participation table's column heads (organisation, roles, attendance, total)."""
    return (
        tr("pdf_organisation"),
        tr("role_elected"),
        tr("role_official"),
        tr("attendance_in_room"),
        tr("attendance_remote"),
        tr("pdf_total"),
    )


def participation_counts(people: Sequence[Participant]) -> tuple[int, int, int, int, int]:
    """Return elected, officials, in the room, remote and all of ``people`` (one table row)."""
    return (
        sum(p.role == Role.ELECTED for p in people),
        sum(p.role == Role.OFFICIAL for p in people),
        sum(p.attendance.value == "in_room" for p in people),
        sum(p.attendance.value == "remote" for p in people),
        len(people),
    )


def participant_row(person: Participant) -> tuple[str, str, str]:
    """Return a participant's name, role (with function) and attendance, as words."""
    role = role_word(person.role) + (f", {person.function}" if person.function else "")
    return person.name, role, tr(f"attendance_{person.attendance.value}")
