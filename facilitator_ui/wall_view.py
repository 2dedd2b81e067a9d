"""The live wall of reflection cards, newest first, with the facilitator's moderation.

Cards arrive through :attr:`facilitator_ui.bridge.RoomBridge.reflectionChanged` (no polling),
so a card is on the wall as soon as the core has stored it. An edit updates its widget in
place; a card that comes or goes re-sorts the wall, at once for the first and then at most
every :data:`REBUILD_EVERY_MS` while more keep arriving (five hundred people pressing "send"
together cost a few re-sorts, not five hundred, on the loop the room server shares). The
wall keeps at most :data:`MAX_SHOWN` card widgets (the newest): a projected wall of hundreds
is unreadable anyway. Widgets that leave the wall are emptied and reused, not destroyed:
destroying and creating widgets is the dearest part of a re-sort.

Moderation: "Dölj" takes a card off the wall (it is kept; "Visa dolda" brings it back with
the button to show it again), "Lyft fram" marks it, and "Visa utan namn" leaves out every
author's name. Withdrawn cards disappear. All card text is plain text.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPaintEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.cards import on_wall
from app.i18n import tr
from app.live import Live
from app.model import REFLECTION_PHASES, Reflection
from app.room import Room
from facilitator_ui.bridge import RoomBridge
from facilitator_ui.common import OrgColours, Throttle, breakable, plain_label

MAX_SHOWN = 120
REBUILD_EVERY_MS = 250
CARD_MIN_WIDTH = 420
TEXT_POINT_SIZE = 17
ALL = -1  # the "every phase" / "every group" filter value
NBSP = "\u00a0"


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ReflectionCard(QFrame):
    """One card on the wall: its text, who wrote it (unless anonymous) and moderation.

    Attributes:
        text_label: the card's text (plain text, wrapped).
        meta_label: author · organisation · group (the author left out when anonymous).
        hide_button: take the card off the wall (or, for a hidden card, put it back).
        highlight_button: mark the card (checkable).

    Signals:
        hideRequested(str, bool): hide (True) or show again (False) the card (by id).
        highlightRequested(str, bool): highlight or un-highlight the card (by id).
    """

    hideRequested = Signal(str, bool)
    highlightRequested = Signal(str, bool)

    def __init__(self, card: Reflection, colour: QColor, parent: QWidget | None = None) -> None:
        """Make the widget of ``card`` (``colour``: its organisation's); see :meth:`show_card`."""
        super().__init__(parent)
        self.setObjectName("reflectionCard")
        self._colour = colour
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.reflection_id = card.id
        self._card = card
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 8, 12, 10)
        layout.setSpacing(6)
        # Moderation on top, the author line below the text at full width: it then breaks
        # only where a long name or organisation needs it.
        header = QHBoxLayout()
        header.setSpacing(8)
        self.star_label = plain_label("highlightMark", 13, bold=True)
        header.addWidget(self.star_label)
        header.addStretch(1)
        self.highlight_button = QPushButton()
        self.highlight_button.setObjectName("highlightButton")
        self.highlight_button.setCheckable(True)
        self.hide_button = QPushButton()
        self.hide_button.setObjectName("hideButton")
        for button in (self.highlight_button, self.hide_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            header.addWidget(button)
        layout.addLayout(header)
        self.text_label = plain_label("cardText", TEXT_POINT_SIZE, wrap=True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text_label)
        self.meta_label = plain_label("cardMeta", 13, wrap=True)
        self.meta_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.meta_label)
        self.highlight_button.clicked.connect(
            lambda checked: self.highlightRequested.emit(self.reflection_id, checked)
        )
        self.hide_button.clicked.connect(
            lambda: self.hideRequested.emit(self.reflection_id, not self._card.hidden)
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the card (style sheet), then its organisation's colour along the left edge."""
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        painter.drawRoundedRect(QRectF(2, 2, 8, self.height() - 4), 3, 3)

    @property
    def card(self) -> Reflection:
        """The card as last shown."""
        return self._card

    def release(self) -> None:
        """Empty the widget before it waits, hidden, to show another card.

        No participant's words may linger in a hidden widget (an erased participant's card,
        a screen reader walking the window's children).
        """
        self.hide()
        self.text_label.setText("")
        self.meta_label.setText("")
        self._card = replace(self._card, text="")
        self.reflection_id = ""

    def reuse(self, card: Reflection, colour: QColor) -> None:
        """Make a released widget the widget of ``card``; then :meth:`show_card` fills it."""
        self.reflection_id = card.id
        self._card = card
        self._colour = colour
        self.setProperty("styled", False)  # restyle for this card's highlight and hidden state
        self.show()

    def is_highlighted(self) -> bool:
        """Return True when the card is shown highlighted."""
        return self._card.highlighted

    def show_card(self, card: Reflection, meta: str) -> None:
        """Show ``card`` (a newer revision, or new moderation) with the ``meta`` line."""
        old = self._card
        self._card = card
        text, meta = breakable(card.text), breakable(meta)
        if self.text_label.text() != text:
            self.text_label.setText(text)
        if self.meta_label.text() != meta:
            self.meta_label.setText(meta)
        self.highlight_button.setChecked(card.highlighted)
        self.star_label.setVisible(card.highlighted)
        if (old.highlighted, old.hidden) != (card.highlighted, card.hidden) or not self.property(
            "styled"
        ):
            self.setProperty("styled", True)
            self.setProperty("highlighted", card.highlighted)
            self.setProperty("hiddenCard", card.hidden)
            _repolish(self)
        self.retranslate()

    def retranslate(self) -> None:
        """Set the buttons' texts in the current language."""
        self.star_label.setText(tr("wall_highlighted_mark"))
        self.highlight_button.setText(
            tr("wall_unhighlight") if self._card.highlighted else tr("wall_highlight")
        )
        self.hide_button.setText(tr("wall_unhide") if self._card.hidden else tr("wall_hide"))


class ReflectionWall(QFrame):
    """The wall: filters, the anonymous toggle and the cards, newest first.

    Attributes:
        phase_combo: filter by phase (every reflection phase, or one).
        group_combo: filter by group (every group, or one).
        anonymous_check: "Visa utan namn": leave authors' names out.
        show_hidden_check: also show hidden cards (dimmed), to put them back.
        count_label: how many cards the filters let through.
        card_widgets: the card widgets shown, by reflection id.
    """

    message = Signal(str)

    def __init__(self, room: Room, bridge: RoomBridge, parent: QWidget | None = None) -> None:
        """Load the session's cards and follow ``bridge``'s reflection changes."""
        super().__init__(parent)
        self.setObjectName("wallView")
        self._room = room
        self._live: Live = room.live
        self._colours = OrgColours(room)
        self._cards: dict[str, Reflection] = {}
        self._order: dict[str, int] = {}  # arrival order: ties in created_at stay stable
        self.card_widgets: dict[str, ReflectionCard] = {}
        self._spare: list[ReflectionCard] = []  # released widgets, reused for new cards
        self._shown: list[str] = []
        self._columns = 0
        self._groups_stale = False
        self._rebuild_later = Throttle(self._rebuild_shown, REBUILD_EVERY_MS, self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)
        toolbar = QHBoxLayout()
        toolbar.setSpacing(10)
        self._phase_caption = plain_label("wallPhaseCaption", 14, bold=True)
        self.phase_combo = QComboBox()
        self.phase_combo.setObjectName("wallPhase")
        self.phase_combo.setMinimumWidth(240)
        self._group_caption = plain_label("wallGroupCaption", 14, bold=True)
        self.group_combo = QComboBox()
        self.group_combo.setObjectName("wallGroup")
        self.group_combo.setMinimumWidth(140)
        self.anonymous_check = QCheckBox()
        self.anonymous_check.setObjectName("anonymous")
        self.show_hidden_check = QCheckBox()
        self.show_hidden_check.setObjectName("showHidden")
        self.count_label = plain_label("wallCount", 15, bold=True)
        # Every moderation step can be taken back: "Ångra" (Ctrl+Z on the wall) undoes the last.
        self._undo: list[tuple[str, bool, bool]] = []  # (card id, hidden, highlighted) before
        self.undo_button = QPushButton()
        self.undo_button.setObjectName("wallUndo")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo)
        undo_key = QShortcut(QKeySequence.StandardKey.Undo, self)
        undo_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo_key.activated.connect(self.undo)
        for widget in (
            self._phase_caption,
            self.phase_combo,
            self._group_caption,
            self.group_combo,
            self.anonymous_check,
            self.show_hidden_check,
        ):
            toolbar.addWidget(widget)
        toolbar.addStretch(1)
        toolbar.addWidget(self.undo_button)
        toolbar.addWidget(self.count_label)
        layout.addLayout(toolbar)

        self.empty_label = plain_label("wallEmpty", 17, wrap=True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.empty_label)
        self._scroll = QScrollArea()
        self._scroll.setObjectName("wallScroll")
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        host = QWidget()
        host.setObjectName("wallGrid")
        self._grid = QGridLayout(host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(12)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._scroll.setWidget(host)
        self._scroll.viewport().installEventFilter(self)
        layout.addWidget(self._scroll, 1)
        self.more_label = plain_label("wallMore", 13)
        layout.addWidget(self.more_label)

        self.phase_combo.activated.connect(lambda _i: self._filters_changed(phase=True))
        self.group_combo.activated.connect(lambda _i: self._filters_changed(phase=False))
        self.anonymous_check.toggled.connect(lambda _on: self._restyle_all())
        self.show_hidden_check.toggled.connect(lambda _on: self._filters_changed(phase=False))
        bridge.reflectionChanged.connect(self._on_reflection_changed)
        bridge.phaseChanged.connect(self._on_phase_changed)

        for card in self._live.cards():
            self._remember(card)
        self._program_key: tuple[object, ...] = ()
        self.retranslate()

    # -- public API ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Read every card from the live session again (after an erasure or a cleared session)."""
        self._cards.clear()
        self._order.clear()
        for card in self._live.cards():
            self._remember(card)
        self._groups_stale = True
        self._fill_phase_combo()
        self._rebuild_shown()

    def anonymous(self) -> bool:
        """Return True when authors' names are left out."""
        return self.anonymous_check.isChecked()

    def set_anonymous(self, on: bool) -> None:
        """Leave authors' names out (True) or show them."""
        self.anonymous_check.setChecked(on)

    def shown_ids(self) -> list[str]:
        """Return the ids of the cards on the wall, in order (newest first)."""
        return list(self._shown)

    def set_filters(self, phase: int = ALL, group: int = ALL) -> None:
        """Show only one phase's (index) and/or one group's (index) cards; ALL for every."""
        self._fill_phase_combo()
        at = self.phase_combo.findData(phase)
        self.phase_combo.setCurrentIndex(max(at, 0))
        self._fill_group_combo()
        at = self.group_combo.findData(group)
        self.group_combo.setCurrentIndex(max(at, 0))
        self._filters_changed(phase=False)

    def retranslate(self) -> None:
        """Set every text in the current language."""
        self._phase_caption.setText(tr("wall_phase"))
        self._group_caption.setText(tr("wall_group"))
        self.anonymous_check.setText(tr("wall_anonymous"))
        self.show_hidden_check.setText(tr("wall_show_hidden"))
        self.empty_label.setText(tr("wall_empty"))
        self._label_undo()
        self._program_key = ()
        self._fill_phase_combo()
        self._fill_group_combo()
        self._restyle_all()

    # -- filtering ----------------------------------------------------------------------------

    def _phase_filter(self) -> int:
        data = self.phase_combo.currentData()
        return ALL if data is None else int(data)

    def _group_filter(self) -> int:
        data = self.group_combo.currentData()
        return ALL if data is None else int(data)

    def _filters(self) -> tuple[int, int, bool]:
        return self._phase_filter(), self._group_filter(), self.show_hidden_check.isChecked()

    def _passes(self, card: Reflection, filters: tuple[int, int, bool] | None = None) -> bool:
        phase, group, show_hidden = filters or self._filters()
        if not on_wall(card, include_hidden=show_hidden):
            return False
        if phase != ALL and card.phase_index != phase:
            return False
        return group == ALL or card.group_no == group

    def _fill_phase_combo(self) -> None:
        program = self._live.program
        key = tuple((i, p.title, p.kind) for i, p in enumerate(program))
        if key == self._program_key:
            return
        self._program_key = key
        current = self._phase_filter()
        self.phase_combo.clear()
        self.phase_combo.addItem(tr("wall_all_phases"), ALL)
        for i, phase in enumerate(program):
            if phase.kind in REFLECTION_PHASES:
                self.phase_combo.addItem(
                    tr("groups_phase_item", number=i + 1, title=phase.title), i
                )
        self.phase_combo.setCurrentIndex(max(self.phase_combo.findData(current), 0))

    def _fill_group_combo(self) -> None:
        phase = self._phase_filter()
        groups: set[int] = set()
        rounds = (
            [self._live.round(phase)]
            if phase != ALL
            else [self._live.round(i) for i in range(len(self._live.program))]
        )
        for rnd in rounds:
            if rnd is not None:
                groups.update(range(len(rnd.groups)))
        groups.update(
            c.group_no
            for c in self._cards.values()
            if c.group_no is not None and (phase == ALL or c.phase_index == phase)
        )
        wanted = [ALL, *sorted(groups)]
        have = [self.group_combo.itemData(i) for i in range(self.group_combo.count())]
        if (
            wanted == have
            and self.group_combo.count()
            and self.group_combo.itemText(0) == tr("wall_all_groups")
        ):
            return
        current = self._group_filter()
        self.group_combo.clear()
        self.group_combo.addItem(tr("wall_all_groups"), ALL)
        for number in wanted[1:]:
            self.group_combo.addItem(tr("group_number", number=number + 1), number)
        self.group_combo.setCurrentIndex(max(self.group_combo.findData(current), 0))

    def _filters_changed(self, *, phase: bool) -> None:
        if phase:
            self._fill_group_combo()
        self._rebuild_shown()

    # -- cards --------------------------------------------------------------------------------

    def _remember(self, card: Reflection) -> None:
        self._order.setdefault(card.id, len(self._order))
        self._cards[card.id] = card

    def _sort_key(self, card_id: str) -> tuple[float, int]:
        card = self._cards[card_id]
        return (card.created_at, self._order[card_id])

    def _meta(self, card: Reflection) -> str:
        organisation = self._room.organisation_name(card.organisation_id) or tr("org_unknown")
        parts = []
        if not self.anonymous():
            author = self._room.participant(card.participant_id)
            if author is not None:
                parts.append(author.name)
        # Our own words never break inside ("Grupp 4"); what a participant wrote is untouched.
        parts.append(organisation.replace(" ", NBSP))
        if card.group_no is not None:
            parts.append(tr("group_number", number=card.group_no + 1).replace(" ", NBSP))
        return " · ".join(parts)

    def _rebuild_shown(self) -> None:
        self._rebuild_later.cancel()  # up to date now
        if self._groups_stale:
            self._groups_stale = False
            self._fill_group_combo()
        filters = self._filters()
        wanted = [cid for cid, card in self._cards.items() if self._passes(card, filters)]
        wanted.sort(key=self._sort_key, reverse=True)
        self._set_shown(wanted)

    def _set_shown(self, wanted: list[str]) -> None:
        total = len(wanted)
        wanted = wanted[:MAX_SHOWN]
        keep = set(wanted)
        for cid in [c for c in self.card_widgets if c not in keep]:
            widget = self.card_widgets.pop(cid)
            self._grid.removeWidget(widget)
            widget.release()
            self._spare.append(widget)
        for cid in wanted:
            widget = self.card_widgets.get(cid)
            card = self._cards[cid]
            if widget is None:  # widgets already shown are updated where their card changes
                colour = self._colours.colour(card.organisation_id)
                if self._spare:
                    widget = self._spare.pop()
                    widget.reuse(card, colour)
                else:
                    widget = ReflectionCard(card, colour)
                    widget.hideRequested.connect(self._hide)
                    widget.highlightRequested.connect(self._highlight)
                self.card_widgets[cid] = widget
                widget.show_card(card, self._meta(card))
        if wanted != self._shown:
            self._shown = wanted
            self._columns = 0
            self._reflow()
        self.count_label.setText(tr("wall_count", count=total))
        self.more_label.setText(tr("wall_more", count=total - len(wanted)))
        self.more_label.setVisible(total > len(wanted))
        self.empty_label.setVisible(not wanted)
        self._scroll.setVisible(bool(wanted))

    def _reflow(self) -> None:
        columns = max(1, self._scroll.viewport().width() // CARD_MIN_WIDTH)
        if columns == self._columns:
            return
        self._columns = columns
        for widget in self.card_widgets.values():
            self._grid.removeWidget(widget)
        for n, cid in enumerate(self._shown):
            self._grid.addWidget(
                self.card_widgets[cid], n // columns, n % columns, Qt.AlignmentFlag.AlignTop
            )
        # Empty columns count too: a lone card keeps its column's width, not the whole row.
        for column in range(max(columns, self._grid.columnCount())):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def _restyle_all(self) -> None:
        for cid, widget in self.card_widgets.items():
            card = self._cards[cid]
            widget.show_card(card, self._meta(card))
        self._rebuild_shown()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Re-flow the cards when the number of columns that fit changes."""
        if watched is self._scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._reflow()
        return super().eventFilter(watched, event)

    # -- slots --------------------------------------------------------------------------------

    def _on_reflection_changed(self, reflection_id: str, moderated: bool) -> None:
        card = self._live.card(reflection_id)
        if card is None:
            return
        if card.group_no is not None and reflection_id not in self._cards:
            self._groups_stale = True  # perhaps a group the filter does not list yet
        self._remember(card)
        widget = self.card_widgets.get(reflection_id)
        passes = self._passes(card)
        if widget is not None and passes:
            widget.show_card(card, self._meta(card))  # edited or moderated in place
        elif widget is not None or moderated:
            # Withdrawn, or the facilitator's own click: off the wall at once, never left
            # showing (and clickable) while a burst of arrivals is being throttled.
            self._rebuild_shown()
        elif passes or self._groups_stale:
            # Arrived: re-sort now, or soon if many are arriving.
            self._rebuild_later()

    def _on_phase_changed(self) -> None:
        self._fill_phase_combo()

    def _hide(self, reflection_id: str, hidden: bool) -> None:
        self._moderate(reflection_id, hidden=hidden)

    def _highlight(self, reflection_id: str, highlighted: bool) -> None:
        self._moderate(reflection_id, highlighted=highlighted)

    def _moderate(
        self, reflection_id: str, *, hidden: bool | None = None, highlighted: bool | None = None
    ) -> None:
        before = self._cards.get(reflection_id)
        try:
            self._live.moderate(reflection_id, hidden=hidden, highlighted=highlighted)
        except KeyError:
            return
        if before is not None:
            self._undo.append((reflection_id, before.hidden, before.highlighted))
        self._label_undo()

    def can_undo(self) -> bool:
        """Return True when there is a moderation step to undo."""
        return bool(self._undo)

    def undo(self) -> None:
        """Undo the last moderation step (hide, show again, highlight, stop highlighting)."""
        while self._undo:
            reflection_id, hidden, highlighted = self._undo.pop()
            try:
                self._live.moderate(reflection_id, hidden=hidden, highlighted=highlighted)
            except KeyError:
                continue  # its author was erased since: nothing left to put back
            break
        self._label_undo()

    def _label_undo(self) -> None:
        # Says what the button would undo, so nobody presses it blind.
        key = "wall_undo"
        if self._undo:
            reflection_id, hidden, highlighted = self._undo[-1]
            now = self._cards.get(reflection_id)
            if now is not None and now.hidden != hidden:
                key = "wall_undo_unhide" if now.hidden else "wall_undo_hide"
            elif now is not None and now.highlighted != highlighted:
                key = "wall_undo_unhighlight" if now.highlighted else "wall_undo_highlight"
        self.undo_button.setText(tr(key))
        self.undo_button.setEnabled(bool(self._undo))
