"""What the live session tells its owner: change events, and participants' writes split in two.

Every part of the session emits these through the one callable it is built with; the room
passes them on to the room server and the console. A participant's write is offered as a
:class:`Pending` (plan, then commit, then apply) so the room server can commit many together
(:mod:`app.commit`); :func:`settle` is the synchronous path for everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.clock import PhaseClock
from app.model import GroupRound, Reflection
from app.protocol import Frame
from app.votes import VotesChanged

if TYPE_CHECKING:
    from app.store import Store


def _no_frames(_stored: object) -> tuple[Frame, ...]:
    """Nothing to apply in memory, nothing for any page."""
    return ()


@dataclass(frozen=True)
class Pending:
    """A checked participant write, split so the room server can batch its commit.

    Store ``write`` (None: nothing new, e.g. a resend) and only once it is committed call
    ``apply`` with what ``write`` returned (None without a write): it updates memory from
    what is stored, tells the console and returns the frames the participants' pages get
    (recipients and encoded payload), for the caller to write. Then acknowledge ``revision``.
    """

    revision: int
    write: Callable[[Store], object] | None = None
    apply: Callable[[object], tuple[Frame, ...]] = _no_frames


@dataclass(frozen=True, slots=True)
class PhaseChanged:
    """The program or the phase clock changed."""

    clock: PhaseClock


@dataclass(frozen=True, slots=True)
class GroupsChanged:
    """The groups of a phase were made, edited or undone.

    ``affected`` names the people whose own group (its members or link) changed, so a late
    joiner or one moved person updates a few pages, not the whole room; None means everyone.
    """

    round: GroupRound
    affected: frozenset[str] | None = None


def changed_members(old: GroupRound | None, new: GroupRound) -> frozenset[str] | None:
    """Return everyone in a group whose members or link differ between two versions of a round.

    None when there is no comparable old version (new groups for the phase: everyone).
    """
    if old is None or old.kind != new.kind or old.phase_index != new.phase_index:
        return None
    changed: set[str] = set()
    for number in range(max(len(old.groups), len(new.groups))):
        before = old.groups[number] if number < len(old.groups) else ()
        after = new.groups[number] if number < len(new.groups) else ()
        if before != after or old.link(number) != new.link(number):
            changed.update(before, after)
    return frozenset(changed)


@dataclass(frozen=True, slots=True)
class ReflectionChanged:
    """A card was written, edited, withdrawn or moderated."""

    reflection: Reflection
    moderated: bool = False
    # Who may see the card changed (hidden, shown again): the pages of its group must follow,
    # as they do for a card written or withdrawn.
    visibility_changed: bool = False


@dataclass(frozen=True, slots=True)
class FramesOut:
    """Frames for participants' pages from a change nobody's write asked for.

    The console's moderation (a card hidden or shown again) and writes made outside the room
    server (the console, the simulator) change what pages show; their frames come as this
    event. A participant's write through :class:`Pending` returns its frames instead.
    """

    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class SurveyAnswered:
    """A participant saved survey answers."""

    participant_id: str


LiveEvent = (
    PhaseChanged | GroupsChanged | ReflectionChanged | FramesOut | SurveyAnswered | VotesChanged
)
Emit = Callable[[LiveEvent], None]


def settle(pending: Pending, store: Store, emit: Emit) -> Pending:
    """Commit a planned write and apply it at once (the console, tests, the simulator).

    The frames its apply returns go out as one :class:`FramesOut` event.
    """
    stored = pending.write(store) if pending.write is not None else None
    frames = pending.apply(stored)
    if frames:
        emit(FramesOut(frames))
    return pending
