"""Cards and moderation: the one rule for who may see a reflection card, and how a page shows it.

The facilitator's moderation (hiding, highlighting) and a participant's withdrawal decide who
sees a card. The rule is written here once and asked by everyone who shows or counts cards:
the participant page (through :mod:`app.live`), the console's wall, the projector, the
ballots of a vote and the exports.
"""

from __future__ import annotations

from app import protocol
from app.model import Reflection


def on_wall(card: Reflection, *, include_hidden: bool = False) -> bool:
    """Return whether the room may see this card: not withdrawn, not hidden, not blank.

    Args:
        card: the card.
        include_hidden: count hidden cards as shown (the console's "show hidden" filter, so
            the facilitator can put one back); withdrawn and blank cards still are not.
    """
    if card.withdrawn or not card.text.strip():
        return False
    return include_hidden or not card.hidden


def page_sees(card: Reflection, viewer_id: str) -> bool:
    """Return whether a group member's page shows this card: a hidden one its author only."""
    return not card.hidden or card.participant_id == viewer_id


def page_info(
    card: Reflection, viewer_id: str, author: str, organisation: str, author_key: str = ""
) -> protocol.CardInfo:
    """Return a card as ``viewer_id``'s page shows it (``""``: any group member's ``state``).

    A hidden card goes to its author only (with ``hidden``: the page says the facilitator hid
    it); anyone else gets it as withdrawn and blank, so their page drops it. ``mine`` is set
    for a named viewer only (a ``card`` frame, an author's own hidden card); what a group
    shares carries the author's public key (``author_key``) instead, the same for everyone.
    """
    mine = card.participant_id == viewer_id
    if not page_sees(card, viewer_id):
        blank = protocol.CardInfo(
            id=card.id,
            phase=card.phase_index,
            text="",
            author="",
            author_key="",
            organisation="",
            revision=card.revision,
            withdrawn=True,
        )
        if viewer_id:
            blank["mine"] = False
        return blank
    info = protocol.CardInfo(
        id=card.id,
        phase=card.phase_index,
        text=card.text,
        author=author,
        author_key=author_key,
        organisation=organisation,
        revision=card.revision,
        withdrawn=card.withdrawn,
    )
    if viewer_id:
        info["mine"] = mine
    if card.hidden:
        info["hidden"] = True
    return info
