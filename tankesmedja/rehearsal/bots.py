"""Simulated participants: real WebSocket clients that behave like the participant page.

A :class:`Bot` speaks the participant protocol over a real ``websockets`` connection, exactly
as ``assets/app.js`` does: ``hello`` with the room token (and the resume token once it has
one), ``join`` with a name, organisation, role and attendance (and a join key, kept until
``joined`` arrives, so a repeat whose first answer was lost finds the same participant),
then it follows the ``state`` messages the server sends. Every reflection and survey
submission gets a client-made id and sits in an *outbox* until an ``ack`` with a revision at
least as new arrives; the whole outbox is resent after every (re)connection, as soon as
``joined`` says the participant is back. Like the page, a bot has one item in flight at a
time (the server's error replies name no id, so an error belongs to the item in flight),
starts over on a fresh connection when an ack is overdue, drops an item the server refuses
for good, and lets newer survey answers replace older unsent ones. A lost connection is
retried with exponential back-off.

Bots are used three ways: the console's rehearsal button (:func:`rehearse`: N bots that join
and then act on their own as phases arrive), ``tankesmedja simulate`` (a scripted headless
session, :mod:`tankesmedja.rehearsal.simulate`) and the end-to-end tests. Each bot keeps a
record of what it submitted and what was acknowledged, so a run can be checked against the
database.

This module imports no Qt; it needs only an asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app.sample import FYRBODAL_SIZES

log = logging.getLogger(__name__)

# The Fyrbodal series' organisations and how many people each sent to a full session (88).
FYRBODAL_WEIGHTS: tuple[tuple[str, int], ...] = tuple(FYRBODAL_SIZES.items())
FEDERATION = "Fyrbodals kommunalförbund"
ELECTED_SHARE = 0.35

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Eva", "Maria", "Karin", "Kristina", "Lena", "Sara", "Kerstin", "Emma", "Ingrid",
    "Malin", "Jenny", "Hanna", "Linda", "Susanne", "Annika", "Camilla", "Helena", "Åsa", "Elin",
    "Ulrika", "Johanna", "Sofia", "Marie", "Birgitta", "Monica", "Therese", "Frida", "Linnéa",
    "Petra", "Lars", "Mikael", "Anders", "Johan", "Per", "Erik", "Karl", "Peter", "Thomas",
    "Jan", "Daniel", "Fredrik", "Hans", "Bengt", "Magnus", "Mats", "Stefan", "Niklas", "Jonas",
    "Björn", "Patrik", "Henrik", "Ola", "Göran", "Mattias", "Tobias", "Kent", "Ulf", "Håkan",
    "Torbjörn",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
    "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström",
    "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lind", "Lundgren",
    "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson", "Forsberg",
    "Sjöberg", "Wallin", "Engström", "Danielsson", "Håkansson", "Eklund", "Lundin", "Gunnarsson",
    "Holm", "Samuelsson", "Fransson", "Ek", "Strand", "Åberg", "Ström", "Dahlberg",
)  # fmt: skip
ELECTED_FUNCTIONS: tuple[str, ...] = (
    "kommunstyrelsens ordförande",
    "kommunalråd",
    "oppositionsråd",
    "ledamot i kommunstyrelsen",
    "ordförande i barn- och utbildningsnämnden",
    "ordförande i socialnämnden",
    "ordförande i kommunfullmäktige",
    "ersättare i kommunstyrelsen",
)
OFFICIAL_FUNCTIONS: tuple[str, ...] = (
    "kommundirektör",
    "IT-chef",
    "digitaliseringsansvarig",
    "digitaliseringsstrateg",
    "verksamhetsutvecklare",
    "förvaltningschef",
    "e-strateg",
    "HR-chef",
    "ekonomichef",
    "kommunikationschef",
    "informationssäkerhetssamordnare",
    "utvecklingsledare",
    "",
)
FEDERATION_FUNCTIONS: tuple[str, ...] = (
    "förbundsdirektör",
    "regional utvecklare",
    "digitaliseringsstrateg",
    "processledare",
    "projektledare",
)

MIXED_TEXTS: tuple[str, ...] = (
    "Vi behöver en gemensam bild av vad digital transformation betyder för invånarna.",
    "Ledningen måste gå före: politiker och tjänstepersoner behöver lära sig tillsammans.",
    "Dela e-tjänster mellan kommunerna i stället för att alla bygger sina egna.",
    "Digital kompetens hos medarbetarna är den viktigaste förutsättningen.",
    "Börja i invånarnas behov, inte i tekniken.",
    "Små kommuner kan inte bära allt själva – samverkan i Fyrbodal är en nödvändighet.",
    "Vi behöver våga testa i liten skala och lära av misslyckanden.",
    "Informationssäkerhet och dataskydd måste finnas med från start.",
    "Gemensam upphandling av system skulle spara både tid och pengar.",
    "Bredband på landsbygden är en demokratifråga.",
    "Vi måste mäta nyttan av digitaliseringen, inte bara kostnaderna.",
    "Äldre invånare får inte hamna utanför när tjänster blir digitala.",
    "Öppna data kan ge näringslivet nya möjligheter.",
    "Det behövs tid och mandat för att utveckla arbetssätt, inte bara införa system.",
    "Skapa ett nätverk där digitaliseringsansvariga i kommunerna träffas regelbundet.",
)  # fmt: skip
MUNICIPALITY_TEXTS: tuple[str, ...] = (
    "För oss betyder det att vi behöver en digitaliseringsstrategi som politiken äger.",
    "Vi saknar en tydlig ansvarig för digitaliseringen i förvaltningen.",
    "Vi bör ta upp frågan i kommunstyrelsen redan i höst.",
    "Våra verksamheter arbetar i stuprör – vi behöver ett gemensamt forum.",
    "Vi har goda exempel inom skolan som andra förvaltningar kan lära av.",
    "Budgeten för utveckling måste säkras i nästa mål- och budgetprocess.",
    "Vi vill samverka med grannkommunerna kring e-arkiv och e-tjänster.",
    "Kompetensutveckling för chefer är vårt första steg.",
    "Vi behöver prata mer med invånarna om vilka tjänster de efterfrågar.",
    "Vi ska kartlägga vilka system vi redan har innan vi köper nytt.",
)  # fmt: skip
TAKEAWAY_TEXTS: tuple[str, ...] = (
    "Att vi har mycket att vinna på att samarbeta.",
    "Nya kontakter i grannkommunerna.",
    "Att digitalisering handlar om ledarskap mer än om teknik.",
    "Inspiration att ta upp frågan i min nämnd.",
    "",
)
WISH_TEXTS: tuple[str, ...] = (
    "Konkreta exempel från andra kommuner.",
    "Mer tid för samtal i de mixade grupperna.",
    "Hur vi finansierar gemensamma lösningar.",
    "AI i offentlig verksamhet.",
    "",
)

GROUP_PHASES = ("mixed_groups", "municipality")

# As the page (assets/app.js): errors after which resending an item can never succeed.
FINAL_ERRORS = frozenset(
    {"phase_closed", "not_yours", "no_reflections", "text_too_long", "text_empty", "bad_field"}
    | {"no_voting", "voting_closed", "card_unavailable", "other_group", "too_many_dots"}
)
_ITEM_FIELD = re.compile(r"^(id|phase|text|revision|answers|card|dots)(\.|$)")
ACK_TIMEOUT = 10.0  # no answer to the item in flight: start over on a fresh connection
RETRY_AFTER_ERROR = 3.0  # a passing error (server_error…): try the item again after this


@dataclass(frozen=True, slots=True)
class Profile:
    """Who a simulated participant is: what they fill in on the join form."""

    name: str
    organisation: str
    role: str  # "elected" | "official"
    attendance: str  # "in_room" | "remote"
    function: str = ""


@dataclass
class CardRecord:
    """What a bot wrote on one card, from its own point of view."""

    id: str
    phase: int
    text: str
    revision: int
    withdrawn: bool = False
    sent: bool = False  # went out on a connection at least once
    acked_revision: int = -1  # newest revision the server acknowledged
    acked_before_withdrawal: bool = False  # the server had stored it before it was withdrawn


@dataclass
class SurveyRecord:
    """One survey submission."""

    id: str
    answers: dict[str, int | str]
    acked: bool = False
    replaced: bool = False  # newer answers replaced it before it was sent


@dataclass(eq=False)
class _Outgoing:
    id: str
    message: dict[str, Any]
    revision: int


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder; ties go to the first)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_profiles(
    n: int,
    seed: int,
    *,
    remote_share: float = 0.0,
    elected_share: float = ELECTED_SHARE,
    weights: Sequence[tuple[str, int]] = FYRBODAL_WEIGHTS,
) -> list[Profile]:
    """Return ``n`` distinct Swedish sample participants spread like the Fyrbodal series.

    Organisations get their share of ``n`` by the series' proportions; about ``elected_share``
    are elected (never from the federation, which sends officials), ``remote_share`` join
    remotely. The same seed gives the same people.
    """
    rng = random.Random(f"tankesmedja-bots:{seed}")
    counts = apportion(n, [w for _, w in weights])
    orgs = [name for (name, _), count in zip(weights, counts, strict=True) for _ in range(count)]
    rng.shuffle(orgs)
    names: set[str] = set()
    while len(names) < n:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if len(names) >= len(FIRST_NAMES) * len(LAST_NAMES) // 2:
            name = f"{name} {len(names) + 1}"  # a huge room: keep names distinct
        names.add(name)
    ordered = sorted(names)
    rng.shuffle(ordered)
    can_elect = [i for i, org in enumerate(orgs) if org != FEDERATION]
    elected = set(rng.sample(can_elect, min(len(can_elect), round(n * elected_share))))
    remote = set(rng.sample(range(n), min(n, round(n * remote_share))))
    profiles = []
    for i in range(n):
        if i in elected:
            role, function = "elected", rng.choice(ELECTED_FUNCTIONS)
        else:
            pool = FEDERATION_FUNCTIONS if orgs[i] == FEDERATION else OFFICIAL_FUNCTIONS
            role, function = "official", rng.choice(pool)
        attendance = "remote" if i in remote else "in_room"
        profiles.append(Profile(ordered[i], orgs[i], role, attendance, function))
    return profiles


def ws_url(url: str) -> str:
    """Return the WebSocket address for a server address (``http://host:port`` → ``…/ws``)."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    path = parts.path if parts.path.endswith("/ws") else "/ws"
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def page_origin(url: str) -> str:
    """Return the Origin a browser on the page would send (``ws://h:p/ws`` → ``http://h:p``)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def new_id() -> str:
    """Return a client-made submission id, as the page makes them (128 random bits, hex)."""
    return secrets.token_hex(16)


class Bot:
    """One simulated participant's device: a real WebSocket client with the page's outbox.

    The bot's connection runs in a background task started by :meth:`start`. Public
    attributes record what happened, for checks after a run:

    Attributes:
        profile: what the bot filled in on the join form.
        participant_id: the id the server gave on ``joined`` (None before).
        cards: every card the bot wrote, by id (``CardRecord``), in the order written.
        surveys: every survey submission (``SurveyRecord``).
        seen: cards shown on the bot's page, by id (from ``state`` and ``card`` messages).
        card_messages: every live ``card`` payload received, in order.
        state: the last ``state`` message.
        connections: how many times the bot got connected; ``reconnects`` is one less.
        errors: every ``error`` message received.
        refused: submissions the server refused for good, by id, with the error code; they
            leave the outbox (the page shows them as not saved).
        ack_timeouts: how often an ack was overdue and the bot started a fresh connection.
        acted: indexes of the phases the bot has finished acting on (autoplay).
    """

    def __init__(
        self,
        url: str,
        room_token: str,
        profile: Profile,
        *,
        seed: int = 0,
        autoplay: bool = False,
        stop: asyncio.Event | None = None,
        think: tuple[float, float] = (0.05, 0.5),
        backoff: tuple[float, float] = (0.05, 2.0),
        edit_share: float = 0.1,
        withdraw_share: float = 0.05,
        ack_timeout: float = ACK_TIMEOUT,
        rehearsal_key: str | None = None,
        connect_options: dict[str, Any] | None = None,
    ) -> None:
        """Prepare a bot; nothing connects until :meth:`start`.

        Args:
            url: the server's WebSocket address (``ws://127.0.0.1:PORT/ws``; an ``http://``
                address is turned into one).
            room_token: the room token from the join link.
            profile: the join form.
            seed: seed of the bot's own random choices (delays, texts, answers).
            autoplay: act on phases by itself: write 1–2 cards in group phases, spend its
                dots in a prioritise phase, answer the survey in the survey phase.
            stop: when set, the bot closes its connection and stops.
            think: (min, max) seconds a bot "thinks" before writing or answering.
            backoff: (first, max) seconds between reconnection attempts; doubled each try,
                with jitter, like the page.
            edit_share: chance that an autoplaying bot edits one of its cards afterwards.
            withdraw_share: chance that an autoplaying bot withdraws one of its cards.
            ack_timeout: seconds to wait for the answer to the item in flight before
                starting over on a fresh connection (the page's 10 s).
            rehearsal_key: the console's rehearsal key (:attr:`app.room.Room.rehearsal_key`),
                sent with the join so the room marks the bot as a rehearsal participant.
            connect_options: more arguments for ``websockets``' ``connect`` (e.g. ``ssl``,
                ``host``/``port`` and ``local_addr`` to reach a relay's name on loopback).
        """
        self.url = ws_url(url)
        self.rehearsal_key = rehearsal_key
        self.room_token = room_token
        self.profile = profile
        self.autoplay = autoplay
        self.think = think
        self.backoff = backoff
        self.edit_share = edit_share
        self.withdraw_share = withdraw_share
        self.ack_timeout = ack_timeout
        self.connect_options = dict(connect_options or {})
        self._rng = random.Random(f"tankesmedja-bot:{seed}:{profile.name}")
        self._stop = stop

        self.participant_id: str | None = None
        self.resume_token: str | None = None
        # Like the page's: made for a join, sent again with every repeat of it until
        # ``joined`` arrives, so a join whose answer was lost is not a second participant.
        self._join_key: str | None = None
        self.organisation_id: int | None = None
        self.organisations: dict[str, int] = {}
        self.state: dict[str, Any] | None = None
        self.present = 0
        self.cards: dict[str, CardRecord] = {}
        self.surveys: list[SurveyRecord] = []
        self.seen: dict[str, dict[str, Any]] = {}
        self.card_messages: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.refused: dict[str, str] = {}
        self.connections = 0
        self.ack_timeouts = 0
        self.ended = False
        self.away_seen = 0
        self.acted: set[int] = set()

        self._outbox: dict[str, _Outgoing] = {}  # id -> newest message, oldest id first
        self._inflight: _Outgoing | None = None
        self._inflight_timer: asyncio.TimerHandle | None = None
        self._ws: ClientConnection | None = None
        self._ready = False  # joined on the current connection: the outbox may be sent
        self._closing = False
        self._offline_until = 0.0
        self._wake = asyncio.Event()
        self._joined = asyncio.Event()  # set while joined on the current connection
        self._drained = asyncio.Event()
        self._drained.set()
        self._acting: set[int] = set()
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- what happened -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The bot's participant name."""
        return self.profile.name

    @property
    def reconnects(self) -> int:
        """Connections after the first one."""
        return max(0, self.connections - 1)

    @property
    def connected(self) -> bool:
        """True while the bot is joined on an open connection."""
        return self._ready

    @property
    def submitted(self) -> list[str]:
        """Ids of every reflection card written, in order."""
        return list(self.cards)

    @property
    def acked(self) -> set[str]:
        """Ids of the cards the server has acknowledged at least once."""
        return {c.id for c in self.cards.values() if c.acked_revision >= 0}

    @property
    def pending(self) -> int:
        """Submissions still waiting in the outbox for their ack."""
        return len(self._outbox)

    def pending_ids(self) -> list[str]:
        """Ids waiting in the outbox, oldest first."""
        return list(self._outbox)

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self, timeout: float = 15.0) -> None:
        """Connect, enter the room, join; return once ``joined`` has arrived.

        Raises:
            TimeoutError: if the bot has not joined within ``timeout`` seconds.
        """
        if self._runner is None:
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name=f"bot {self.name}"
            )
            if self._stop is not None:
                self._spawn(self._watch_stop(self._stop))
        await asyncio.wait_for(self._joined.wait(), timeout)

    async def close(self) -> None:
        """Leave for good: close the connection gracefully and stop every task."""
        self._closing = True
        self._ready = False
        self._settle()
        self._wake.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2.0)
        current = asyncio.current_task()
        tasks = [t for t in (self._runner, *self._tasks) if t is not None and t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drop_connection(self, offline: float = 0.0) -> None:
        """Cut the connection abruptly, as a phone losing its network does.

        The TCP connection is aborted without a closing handshake, so whatever the server
        answers to what was just sent (an ``ack``) never arrives. The bot reconnects by
        itself after ``offline`` seconds (plus back-off), or at once on :meth:`reconnect`.
        """
        self._offline_until = asyncio.get_running_loop().time() + offline
        self._ready = False
        self._joined.clear()
        ws = self._ws
        if ws is not None:
            ws.transport.abort()
        await asyncio.sleep(0)

    async def reconnect(self, timeout: float = 10.0) -> None:
        """Reconnect now (ending any offline time) and return once joined again.

        Raises:
            TimeoutError: if the bot has not rejoined within ``timeout`` seconds.
        """
        self._offline_until = 0.0
        if self._ready and self._ws is not None:
            await self.drop_connection()
            self._offline_until = 0.0
        self._wake.set()
        await asyncio.wait_for(self._joined.wait(), timeout)

    async def wait_drained(self, timeout: float = 10.0) -> None:
        """Wait until every submission has been acknowledged.

        Raises:
            TimeoutError: if something is still unacknowledged after ``timeout`` seconds.
        """
        await asyncio.wait_for(self._drained.wait(), timeout)

    async def wait_acted(self, phase: int, timeout: float = 10.0) -> None:
        """Wait until an autoplaying bot has done what it does in phase ``phase``.

        Raises:
            TimeoutError: if it has not within ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while phase not in self.acted:
            if loop.time() > end:
                raise TimeoutError(f"{self.name} did not act in phase {phase}")
            await asyncio.sleep(0.02)

    # -- what the participant does --------------------------------------------------------------

    async def submit_reflection(self, phase: int, text: str) -> str:
        """Write a new card for phase ``phase``; return its id (it is in the outbox now)."""
        card = CardRecord(new_id(), phase, text, revision=1)
        self.cards[card.id] = card
        await self._submit(card.id, self._reflect_message(card), card.revision)
        return card.id

    async def edit_reflection(self, card_id: str, text: str) -> int:
        """Change one's own card; return its new revision."""
        card = self.cards[card_id]
        card.text = text
        card.revision += 1
        await self._submit(card.id, self._reflect_message(card), card.revision)
        return card.revision

    async def withdraw_reflection(self, card_id: str) -> int:
        """Withdraw one's own card; return the revision of the withdrawal."""
        card = self.cards[card_id]
        card.acked_before_withdrawal = card.acked_before_withdrawal or card.acked_revision >= 0
        card.withdrawn = True
        card.revision += 1
        message = {"type": "withdraw", "id": card.id, "revision": card.revision}
        await self._submit(card.id, message, card.revision)
        return card.revision

    async def answer_survey(self, answers: dict[str, int | str]) -> str:
        """Save survey answers; return the submission's id."""
        record = SurveyRecord(new_id(), dict(answers))
        # Newer answers replace older unsent ones; the server keeps the last per question.
        for older in self.surveys:
            if older.id in self._outbox and not self._is_inflight(older.id):
                del self._outbox[older.id]
                older.replaced = True
        self.surveys.append(record)
        await self._submit(record.id, {"type": "survey", "id": record.id, "answers": answers}, 0)
        return record.id

    @staticmethod
    def _reflect_message(card: CardRecord) -> dict[str, Any]:
        return {
            "type": "reflect",
            "id": card.id,
            "phase": card.phase,
            "text": card.text,
            "revision": card.revision,
        }

    async def _submit(self, key: str, message: dict[str, Any], revision: int) -> None:
        # The outbox keeps the newest message per id, as the page's localStorage does.
        self._outbox[key] = _Outgoing(key, message, revision)
        self.refused.pop(key, None)
        self._drained.clear()
        await self._flush()

    def _is_inflight(self, key: str) -> bool:
        return self._inflight is not None and self._inflight.id == key

    async def _flush(self) -> None:
        """Send the oldest outbox item unless one is in flight (the page's ``flush``)."""
        if not self._ready or self._inflight is not None or self._ws is None or not self._outbox:
            return
        outgoing = next(iter(self._outbox.values()))
        self._inflight = outgoing
        self._inflight_timer = asyncio.get_running_loop().call_later(
            self.ack_timeout, self._ack_overdue, outgoing
        )
        await self._transmit(outgoing.message)

    def _ack_overdue(self, outgoing: _Outgoing) -> None:
        # No answer in time: start over on a fresh connection, where no late reply can be
        # mistaken for the answer to something else.
        if self._inflight is outgoing and self._ws is not None:
            self.ack_timeouts += 1
            self._ws.transport.abort()

    def _settle(self, key: str | None = None) -> None:
        if self._inflight is not None and (key is None or self._inflight.id == key):
            if self._inflight_timer is not None:
                self._inflight_timer.cancel()
            self._inflight = None
            self._inflight_timer = None

    def _forget(self, key: str) -> None:
        del self._outbox[key]
        if not self._outbox:
            self._drained.set()

    async def _flush_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._flush()

    async def _transmit(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None:
            return
        card = self.cards.get(str(message.get("id")))
        try:
            await ws.send(json.dumps(message, ensure_ascii=False))
        except (ConnectionClosed, OSError):
            return  # stays in the outbox; the next connection sends it again
        if card is not None:
            card.sent = True

    # -- connection ------------------------------------------------------------------------------

    async def _watch_stop(self, stop: asyncio.Event) -> None:
        await stop.wait()
        await self.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        retry = 0
        while not self._closing and not self.ended:
            try:
                ws = await connect(
                    self.url,
                    proxy=None,
                    open_timeout=10,
                    close_timeout=2,
                    max_size=2**20,
                    origin=page_origin(self.url),  # type: ignore[arg-type]
                    **self.connect_options,
                )
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                log.debug("%s: cannot connect: %s", self.name, exc)
            else:
                self._ws = ws
                self.connections += 1
                try:
                    await self._send_hello()
                    async for raw in ws:
                        await self._handle_raw(raw)
                        if self._ready:
                            retry = 0
                except ConnectionClosed:
                    pass
                finally:
                    self._ready = False
                    self._settle()
                    self._joined.clear()
                    self._ws = None
            if self._closing or self.ended:
                break
            first, most = self.backoff
            delay = min(most, first * 2**retry) * (0.5 + self._rng.random() / 2)
            retry += 1
            delay = max(delay, self._offline_until - loop.time())
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _send_hello(self) -> None:
        hello: dict[str, Any] = {"type": "hello", "room_token": self.room_token}
        if self.resume_token:
            hello["resume_token"] = self.resume_token
        await self._transmit(hello)

    async def _send_join(self) -> None:
        org = self.organisations.get(self.profile.organisation)
        if org is None:  # a series without this organisation: pick one of its own
            org = self._rng.choice(sorted(self.organisations.values()))
        self.organisation_id = org
        if self._join_key is None:
            self._join_key = new_id()
        await self._transmit(
            {
                "type": "join",
                "name": self.profile.name,
                "organisation_id": org,
                "role": self.profile.role,
                "attendance": self.profile.attendance,
                "function": self.profile.function,
                "join_key": self._join_key,
                **({"rehearsal_key": self.rehearsal_key} if self.rehearsal_key else {}),
            }
        )

    async def _handle_raw(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
            if isinstance(message, dict):
                await self._handle(message)
        except (ValueError, KeyError, TypeError):
            # The page ignores what it cannot read; a bot must not die on it either.
            log.exception("%s: cannot handle %r", self.name, raw[:200])

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "welcome":
            self.organisations = {o["name"]: o["id"] for o in message.get("organisations", [])}
            if not self.resume_token:
                await self._send_join()
        elif kind == "joined":
            self.participant_id = message["participant"]["id"]
            self.organisation_id = message["participant"]["organisation_id"]
            self.resume_token = message["resume_token"]
            self._join_key = None  # the resume token brings the bot back from now on
            self.present = message.get("present", self.present)
            self._ready = True
            self._joined.set()
            await self._flush()  # everything not yet acknowledged goes again, one at a time
        elif kind == "state":
            self._on_state(message)
        elif kind == "card":
            card = message["card"]
            self.card_messages.append(card)
            self.seen[card["id"]] = card
        elif kind == "ack":
            self._on_ack(message)
            await self._flush()
        elif kind == "presence":
            self.present = message.get("present", self.present)
        elif kind == "away":
            self.away_seen += 1  # the console quits or restarts: keep trying, as the page does
        elif kind == "ended":
            self.ended = True
        elif kind == "error":
            self.errors.append(message)
            log.info("%s: error %s", self.name, message.get("code"))
            if await self._item_error(message):
                return
            if not self._ready:
                self._join_key = None  # a refused join stored nothing: the next is a new one
            if message.get("code") == "bad_resume":
                self.resume_token = None  # the page forgets it and shows the join form
                await self._send_join()

    async def _item_error(self, message: dict[str, Any]) -> bool:
        """Handle an error that answers an outbox item; False if it is about something else."""
        ref = message.get("ref")
        named = isinstance(ref, str) and ref in self._outbox
        key = ref if named else (self._inflight.id if self._inflight is not None else None)
        if key is None or key not in self._outbox:
            return False
        if not named and self._outbox[key] is not self._inflight:
            # Refused, but since replaced by a newer version (an edit): try that one instead.
            self._settle(key)
            await self._flush()
            return True
        code = str(message.get("code"))
        final = code in FINAL_ERRORS and (
            code != "bad_field" or bool(_ITEM_FIELD.match(str(message.get("field") or "")))
        )
        self._settle(key)
        if not final:
            self._spawn(self._flush_later(RETRY_AFTER_ERROR))
            return False
        self.refused[key] = code
        self._forget(key)
        await self._flush()
        return True

    def _on_ack(self, message: dict[str, Any]) -> None:
        key = str(message.get("id"))
        revision = int(message.get("revision", 0))
        card = self.cards.get(key)
        if card is not None:
            card.acked_revision = max(card.acked_revision, revision)
        else:
            for record in self.surveys:
                if record.id == key:
                    record.acked = True
        self._settle(key)
        outgoing = self._outbox.get(key)
        if outgoing is not None and revision >= outgoing.revision:
            self._forget(key)

    def _on_state(self, message: dict[str, Any]) -> None:
        self.state = message
        for card in message.get("cards") or ():
            self.seen[card["id"]] = card
        phase = message.get("phase")
        if not self.autoplay or phase is None or self._closing:
            return
        index = phase["index"]
        if index in self._acting:
            return
        if phase["kind"] in GROUP_PHASES and message.get("group") is not None:
            self._acting.add(index)
            self._spawn(self._write_cards(index, phase["kind"]))
        elif phase["kind"] == "survey" and message.get("survey"):
            self._acting.add(index)
            self._spawn(self._answer(index, message["survey"]["items"]))
        elif phase["kind"] == "prioritise" and (message.get("vote") or {}).get("open"):
            self._acting.add(index)
            self._spawn(self._vote(index, list(message.get("cards") or ()), message["vote"]))
        elif phase["kind"] not in GROUP_PHASES:
            self.acted.add(index)

    # -- autoplay ---------------------------------------------------------------------------------

    async def _pause(self) -> None:
        await asyncio.sleep(self._rng.uniform(*self.think))

    async def _write_cards(self, index: int, kind: str) -> None:
        pool = MIXED_TEXTS if kind == "mixed_groups" else MUNICIPALITY_TEXTS
        written = []
        for text in self._rng.sample(pool, self._rng.choice((1, 1, 2))):
            await self._pause()
            written.append(await self.submit_reflection(index, text))
        if self._rng.random() < self.edit_share:
            await self._pause()
            card = self.cards[written[0]]
            await self.edit_reflection(card.id, card.text + " Det gäller alla våra kommuner.")
        if len(written) > 1 and self._rng.random() < self.withdraw_share:
            await self._pause()
            await self.withdraw_reflection(written[-1])
        self.acted.add(index)

    async def vote(self, phase: int, card_id: str, dots: int) -> str:
        """Put ``dots`` on a card in a prioritise phase; return the vote message's id."""
        vote_id = new_id()
        message = {"type": "vote", "id": vote_id, "phase": phase, "card": card_id, "dots": dots}
        await self._submit(vote_id, message, 0)
        return vote_id

    async def _vote(self, index: int, cards: list[dict[str, Any]], vote: dict[str, Any]) -> None:
        # Like a person: spend the dots on a few cards, sometimes two on one.
        left = int(vote["remaining"])
        for card in self._rng.sample(cards, len(cards)):
            if left <= 0:
                break
            await self._pause()
            dots = min(left, self._rng.choice((1, 1, int(vote["per_card"]))))
            await self.vote(index, card["id"], dots)
            left -= dots
        self.acted.add(index)

    async def _answer(self, index: int, items: list[dict[str, Any]]) -> None:
        await self._pause()
        answers: dict[str, int | str] = {}
        for item in items:
            if item["kind"] == "likert":
                answers[item["key"]] = self._rng.choices((1, 2, 3, 4, 5), (1, 2, 5, 9, 6))[0]
            else:
                pool = TAKEAWAY_TEXTS if item["key"] == "takeaway" else WISH_TEXTS
                answers[item["key"]] = self._rng.choice(pool)
        await self.answer_survey(answers)
        self.acted.add(index)


async def rehearse(
    url: str,
    token: str,
    n: int,
    seed: int,
    stop: asyncio.Event | None = None,
    *,
    remote_share: float = 0.15,
    arrival: float = 0.0,
    think: tuple[float, float] = (0.5, 4.0),
    join_timeout: float = 30.0,
    rehearsal_key: str | None = None,
) -> list[Bot]:
    """Let ``n`` simulated participants join a running room and act on their own.

    The bots join over the real server (spread like the Fyrbodal series, about 35 % elected,
    ``remote_share`` remote), then follow the facilitator: in every group phase each writes
    one or two cards once it sees its group, in the survey phase each answers the survey. They
    keep going until ``stop`` is set (then they leave) or the server ends the session.

    Args:
        url: the server's WebSocket address, e.g. ``ws://127.0.0.1:8765/ws``.
        token: the room token.
        n: number of participants.
        seed: the same seed gives the same people and the same behaviour.
        stop: set it to make every bot leave.
        remote_share: share of remote participants.
        arrival: bots arrive spread over this many seconds (0: all at once).
        think: (min, max) seconds a bot thinks before writing a card or answering.
        join_timeout: seconds each bot may take to join.
        rehearsal_key: the room's rehearsal key: the bots are stored as rehearsal participants.

    Returns:
        The bots, all joined.

    Raises:
        TimeoutError: if some bot could not join (all bots are closed then).
    """
    rng = random.Random(f"tankesmedja-arrival:{seed}")
    bots = [
        Bot(
            url,
            token,
            profile,
            seed=seed * 100_000 + i,
            autoplay=True,
            stop=stop,
            think=think,
            rehearsal_key=rehearsal_key,
        )
        for i, profile in enumerate(make_profiles(n, seed, remote_share=remote_share))
    ]

    async def arrive(bot: Bot, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await bot.start(join_timeout)

    results = await asyncio.gather(
        *(arrive(b, rng.uniform(0, arrival) if arrival else 0.0) for b in bots),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
        raise TimeoutError(f"{len(failed)} of {n} simulated participants could not join")
    return bots
