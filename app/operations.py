"""The console's changes to a workshop, each one core operation in one transaction.

As Anki's ``CollectionOp``: a widget describes the change as plain data and calls one function
here. The function checks the change, makes every write of it in one SQLite transaction (all
or nothing: a failure half-way leaves the workshop as it was), brings the room's memory up to
date, and then publishes one :class:`~app.room.WorkshopChanged` event, which the console's
views follow (through :class:`facilitator_ui.bridge.RoomBridge`). Widgets never write the
store themselves.

Participants' own writes (join, cards, answers, votes) do not pass here: they go through the
room server's plan → commit → apply path (:mod:`app.commit`). Erasing people
(:meth:`app.room.Room.erase_participant`, :meth:`app.room.Room.remove_rehearsal`) is a room
method of the same shape: one transaction, then one
:class:`~app.session.people.ParticipantRemoved` event. The facilitator's moderation
(:meth:`app.session.reflections.Reflections.moderate`) is one write and one
:class:`~app.session.events.ReflectionChanged` event (plus the frames pages get).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.model import SurveyItem
from app.room import Room, WorkshopChanged
from app.roster import RosterRow
from app.session.entry import new_credentials
from app.workshop import plan_problems, plan_roster


@dataclass(frozen=True, slots=True)
class SessionEdit:
    """A session as edited: its id (None: to be added, like the current one) and texts."""

    session_id: int | None
    theme: str
    subtitle: str = ""


@dataclass(frozen=True, slots=True)
class WorkshopEdit:
    """Everything *Redigera workshop…* can change, as plain data.

    Attributes:
        series_name: the series' name.
        organisations: ``(id, name)`` in order; id None adds one, an id left out removes it.
        sessions: every session kept or added, in order.
        removed_sessions: ids of sessions to remove (they must hold no data).
        survey: the current session's survey items.
    """

    series_name: str
    organisations: tuple[tuple[int | None, str], ...]
    sessions: tuple[SessionEdit, ...]
    removed_sessions: tuple[int, ...] = ()
    survey: tuple[SurveyItem, ...] = field(default=())


def edit_workshop(room: Room, edit: WorkshopEdit) -> None:
    """Store ``edit`` in one transaction, update the room, then publish one change.

    Raises:
        ValueError: the edit is refused (empty name, organisation or session still in use,
            invalid survey…; :class:`~app.workshop_db.OrganisationInUse` and
            :class:`~app.workshop_db.SessionInUse` are ValueErrors too). Nothing is stored.
        sqlite3.Error: the file could not be written. Nothing is stored.
    """
    store, series, session = room.store, room.series, room.session
    survey = tuple(edit.survey)
    room.live.check_survey(survey)  # before any write: an invalid survey stores nothing
    before = {s.id: s for s in series.sessions}
    with store.transaction():
        store.rename_series(series.id, edit.series_name)
        store.set_organisations(series.id, list(edit.organisations))
        for row in edit.sessions:
            if row.session_id is None:
                store.add_session(series.id, row.theme, row.subtitle, like=session.id)
            else:
                old = before[row.session_id]
                if (old.theme, old.subtitle) != (row.theme, row.subtitle):
                    store.set_session_theme(row.session_id, row.theme, row.subtitle)
        for session_id in edit.removed_sessions:
            store.remove_session(session_id)
        if survey != room.live.survey:
            store.set_survey(session.id, survey)
    # Committed: now the memory follows (pages get a fresh state), then the console's views.
    room.live.survey = survey
    room.reload_series()
    room.publish(WorkshopChanged("edit", session.number))


def import_roster(
    room: Room, rows: Sequence[RosterRow], add_unknown: bool = False
) -> tuple[int, int]:
    """Replace the session's unclaimed roster with ``rows``, in one transaction.

    Args:
        room: The open room; the roster is its session's.
        rows: The roster file's rows (:func:`app.roster.read_roster`).
        add_unknown: Append the organisations the rows name and the workshop lacks (the
            console asks first); without it such rows refuse the import.

    Returns:
        (added, kept because claimed), as :meth:`app.store.Store.replace_roster`.

    Raises:
        ValueError: a row without a name, or an unknown organisation without
            ``add_unknown``. Nothing is stored.
    """
    store, series, session = room.store, room.series, room.session
    plan = plan_roster(rows, series.organisations, session.id)
    if plan.unnamed or (plan.unknown and not add_unknown):
        raise ValueError("; ".join(plan_problems(plan)))
    with store.transaction():
        if plan.unknown:
            items = [(o.id, o.name) for o in series.organisations]
            store.set_organisations(series.id, [*items, *((None, n) for n in plan.unknown)])
            grown = store.series()
            assert grown is not None
            plan = plan_roster(rows, grown.organisations, session.id)
        counts = store.replace_roster(session.id, list(plan.entries))
    room.reload_series()
    room.publish(WorkshopChanged("roster", session.number))
    return counts


def clear_session(room: Room, session_number: int) -> None:
    """Delete everything a session collected (one transaction); its theme, program stay.

    For the running session the room starts it afresh without reopening the workshop: a new
    room token and code are stored in the same transaction (old links die), then the room
    reads the empty session back, and the one event tells the room server to close every
    page and the console's views to reload.

    Raises:
        ValueError: no such session in the series.
        sqlite3.Error: the file could not be written. Nothing is deleted.
    """
    session = next((s for s in room.series.sessions if s.number == session_number), None)
    if session is None:
        raise ValueError(f"no session number {session_number}")
    running = session.id == room.session.id
    with room.store.transaction():
        room.store.clear_session(session.id, compact=False)
        if running:
            room.store.set_room_credentials(session.id, *new_credentials())
    room.store.compact()  # outside the transaction: VACUUM cannot run inside one
    if running:
        room.restart()
    room.publish(WorkshopChanged("clear", session_number))
