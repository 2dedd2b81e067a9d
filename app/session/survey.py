"""The session's survey: its items and every participant's answers.

:class:`Survey` owns both for the running session and stores them; the rules for items and
the tally are :mod:`app.survey`'s. Answers are planned as :class:`app.session.events.Pending`
and applied once committed, like every participant's write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from app.clock import PhaseClock
from app.model import Participant, Phase, PhaseKind, SurveyItem, SurveyKind
from app.protocol import ErrorCode, Frame, ProtocolError, SurveyAnswers
from app.session.events import Emit, Pending, PhaseChanged, SurveyAnswered, settle
from app.session.people import People
from app.survey import SurveyResults, check_items, tally

if TYPE_CHECKING:
    from app.store import Store


class Survey:
    """A session's survey items and the answers given to them."""

    def __init__(
        self,
        store: Callable[[], Store],
        session_id: int,
        items: tuple[SurveyItem, ...],
        clock: Callable[[], PhaseClock],
        phases: Callable[[], tuple[Phase, ...]],
        people: People,
        saved: Callable[[tuple[SurveyItem, ...]], None],
        emit: Emit,
    ) -> None:
        """Load the session's answers from ``store``; ``saved`` hears of newly stored items."""
        self._store = store
        self._session_id = session_id
        self._clock = clock
        self._phases = phases
        self._people = people
        self._saved = saved
        self._emit = emit
        self.items = items
        self._answers: dict[str, dict[str, int | str]] = {}
        for pid, item, value, text in store().survey_answers(session_id):
            self._answers.setdefault(pid, {})[item] = value if value is not None else text

    def set_items(self, items: Sequence[SurveyItem]) -> None:
        """Replace the session's survey items; pages in the survey phase see them at once.

        Item keys are stable: an item that has answers keeps its key and kind, so its
        answers stay its own (it may be retexted or moved, not removed).

        Raises:
            ValueError: for a repeated or malformed key, an empty text, too many items, or an
                answered item left out or changed to the other kind.
        """
        items = tuple(items)
        self.check(items)
        self._store().set_survey(self._session_id, items)
        self.items = items
        self._saved(items)
        self._emit(PhaseChanged(self._clock()))

    def check(self, items: Sequence[SurveyItem]) -> None:
        """Check survey items as :meth:`set_items` would, without saving them.

        Raises:
            ValueError: see :meth:`set_items`.
        """
        check_items(items, self._answers)

    def answers(self, participant_id: str) -> dict[str, int | str]:
        """Return a participant's saved survey answers."""
        return dict(self._answers.get(participant_id, {}))

    def answer(self, participant: Participant, message: SurveyAnswers) -> None:
        """Store survey answers (only items of this survey; Likert 1–5, open text).

        Raises:
            ProtocolError: as :meth:`plan`.
        """
        settle(self.plan(participant, message), self._store(), self._emit)

    def plan(self, participant: Participant, message: SurveyAnswers) -> Pending:
        """Check survey answers and say what to store; memory changes on ``apply``.

        Raises:
            ProtocolError: for an unknown item or a value of the wrong kind.
        """
        started = any(
            phase.kind == PhaseKind.SURVEY for phase in self._phases()[: self._clock().index + 1]
        )
        if not started:
            raise ProtocolError(ErrorCode.NO_SURVEY, "answers")
        items = {i.key: i for i in self.items}
        for key, value in message.answers.items():
            item = items.get(key)
            if item is None:
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}"[:60])
            if item.kind == SurveyKind.LIKERT and not (
                isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5
            ):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}")
            if item.kind == SurveyKind.OPEN and not isinstance(value, str):
                raise ProtocolError(ErrorCode.BAD_FIELD, f"answers.{key}")
        session_id, answers = self._session_id, dict(message.answers)

        def apply(_stored: object) -> tuple[Frame, ...]:
            if self._people.participant(participant.id) is None:
                return ()  # erased while this was being committed: their answers stay gone
            self._answers.setdefault(participant.id, {}).update(answers)
            self._emit(SurveyAnswered(participant.id))
            return ()

        return Pending(
            0,
            write=lambda store: store.put_survey_answers(session_id, participant.id, answers),
            apply=apply,
        )

    def results(self) -> SurveyResults:
        """Count the answers per Likert item (overall and per organisation) and list open ones."""
        org_of = {p.id: p.organisation_id for p in self._people.participants()}
        return tally(self.items, self._answers, org_of)

    def forget(self, participant_ids: Iterable[str]) -> None:
        """Drop erased participants' answers (already deleted from the store) from memory."""
        for participant_id in participant_ids:
            if self._answers.pop(participant_id, None) is not None:
                self._emit(SurveyAnswered(participant_id))
