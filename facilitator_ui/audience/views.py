"""What the audience window can show, what it shows by default, and on which screen."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, TypeVar

from PySide6.QtGui import (
    QScreen,
)

from app.i18n import tr
from app.live import Live, PhaseStatus
from app.model import REFLECTION_PHASES, PhaseKind


class AudienceView(StrEnum):
    """What the audience window shows; AUTO follows the phase."""

    AUTO = "auto"
    QR = "qr"
    GROUPS = "groups"
    WALL = "wall"
    SURVEY = "survey"
    THANKS = "thanks"
    RANKING = "ranking"
    THEMES = "themes"


VIEW_KEYS: dict[AudienceView, str] = {
    AudienceView.AUTO: "audience_view_auto",
    AudienceView.QR: "audience_view_qr",
    AudienceView.GROUPS: "audience_view_groups",
    AudienceView.WALL: "audience_view_wall",
    AudienceView.SURVEY: "audience_view_survey",
    AudienceView.THANKS: "audience_view_thanks",
    AudienceView.RANKING: "audience_view_ranking",
    AudienceView.THEMES: "audience_view_themes",
}


def default_view(live: Live) -> AudienceView:
    """Return what the room should see in the current phase (see the module's docstring)."""
    status = live.clock.status
    if status == PhaseStatus.ENDED:
        return AudienceView.THANKS
    phase = live.phase
    if status == PhaseStatus.WAITING or phase is None:
        return AudienceView.QR
    if phase.kind in REFLECTION_PHASES:
        return AudienceView.GROUPS
    if phase.kind == PhaseKind.SURVEY:
        return AudienceView.SURVEY
    if phase.kind == PhaseKind.PRIORITISE:
        return AudienceView.RANKING
    if phase.kind == PhaseKind.CLOSING:
        return AudienceView.THANKS
    return AudienceView.QR  # the lecture: people are still arriving


class ScreenLike(Protocol):
    """What :func:`choose_screen` needs of a screen (a :class:`QScreen` has it)."""

    def name(self) -> str: ...  # noqa: D102


S = TypeVar("S", bound=ScreenLike)


def choose_screen(screens: Sequence[S], remembered: str | None, primary: S | None) -> S | None:
    """Pick the screen for the audience window.

    The one remembered from last time if it is connected; else the first one that is not
    the console's (primary) screen, which is the projector on a laptop; else the primary.
    """
    if not screens:
        return None
    if remembered:
        for screen in screens:
            if screen_key(screen) == remembered:
                return screen
    for screen in screens:
        if screen is not primary:
            return screen
    return primary if primary is not None else screens[0]


def screen_key(screen: ScreenLike) -> str:
    """Return what identifies a screen from one run to the next: its name (or its place)."""
    name = screen.name()
    geometry = getattr(screen, "geometry", None)
    if name or geometry is None:
        return name
    rect = geometry()
    return f"{rect.x()},{rect.y()} {rect.width()}x{rect.height()}"


def screen_label(screen: QScreen, primary: bool) -> str:
    """Return a screen as the chooser lists it, e.g. ``HDMI-1 – 1920×1080``."""
    size = screen.geometry().size()
    text = f"{screen.name() or '?'} – {size.width()}×{size.height()}"
    return tr("audience_screen_primary", screen=text) if primary else text
