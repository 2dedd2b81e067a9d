"""The participant page through a live session, in real Chromium against the real server.

The test drives the facilitator's side through ``room.live`` (the same calls the console makes);
the server broadcasts what they cause, and the pages must follow by themselves: lobby, group,
cards written, edited and withdrawn live between group members, municipality groups, survey,
thanks. The outbox is proven with the network really cut (offline emulation, a connection
dropped before its ack, a reload while a card was never received): every card arrives once.

Needs Debian's ``chromium``. Locally without it these tests skip; in CI (``CI=true``) a
missing browser is a failure, never a skip.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.protocol import Reflect
from app.room import Room
from app.store import Store
from room_server.server import RoomServer

MARKUP = "<img src=x onerror=alert(1)>"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
#: The page's Swedish strings, as the tests read what a Swedish phone shows.
SV = json.loads((Path(__file__).parent.parent / "assets/i18n/sv.json").read_text("utf-8"))


@dataclass
class Watch:
    """What a page did that it must not: CSP violations, foreign requests, script errors."""

    origin: str
    csp: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                self.csp.append(message.text)

        def on_request(request: Any) -> None:
            if not request.url.startswith(self.origin + "/"):
                self.foreign.append(request.url)

        page.on("console", on_console)
        page.on("request", on_request)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def check(self) -> None:
        assert self.csp == [], self.csp
        assert self.foreign == [], self.foreign
        assert self.errors == [], self.errors
        ws_origin = self.origin.replace("http://", "ws://", 1)
        assert all(url == ws_origin + "/ws" for url in self.sockets), self.sockets


class Pages:
    """Browser contexts (one per participant device) sharing one :class:`Watch`."""

    def __init__(self, browser: Any, server: RoomServer) -> None:
        self.browser = browser
        self.server = server
        self.watch = Watch(server.base_url)
        self.contexts: list[Any] = []

    async def blank(
        self, viewport: dict[str, int] = PHONE, locale: str = "sv-SE", init_script: str = ""
    ) -> tuple[Any, Any]:
        """A new device's page, watched, not yet at the join address."""
        context = await self.browser.new_context(viewport=viewport, locale=locale)
        self.contexts.append(context)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        self.watch.attach(page)
        return context, page

    async def open(self, viewport: dict[str, int] = PHONE) -> tuple[Any, Any]:
        context, page = await self.blank(viewport)
        await page.goto(self.server.join_url)
        return context, page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def join(
    page: Any, name: str, org: str, *, attendance: str = "in_room", role: str = "official"
) -> None:
    await page.wait_for_selector("#join-form:not([hidden])")
    await page.fill("#name", name)
    await page.select_option("#org", label=org)
    await page.check(f"input[name=role][value={role}]")
    await page.check(f"input[name=attendance][value={attendance}]")
    await page.click("#join-form button")
    await page.wait_for_selector("#lobby:not([hidden])")


async def raw_member(
    open_client: Callable[[], Awaitable[Any]], room: Room, name: str, org: str
) -> Any:
    """A group member on a bare WebSocket (no browser), joined in the room."""
    orgs = {o.name: o.id for o in room.series.organisations}
    client = await open_client()
    await client.send({"type": "hello", "room_token": room.room_token})
    await client.recv_type("welcome")
    await client.send(
        {
            "type": "join",
            "name": name,
            "organisation_id": orgs[org],
            "role": "elected",
            "attendance": "in_room",
        }
    )
    await client.recv_type("joined")
    return client


async def card_texts(page: Any) -> list[str]:
    return await page.locator("#cards li.card .text").all_text_contents()


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (the server runs on this loop, so poll, never block)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def wait_count(page: Any, selector: str, count: int, timeout: float = 5.0) -> None:
    """Wait until ``selector`` matches ``count`` elements (no script eval: the CSP forbids it)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while (found := await page.locator(selector).count()) != count:
        if loop.time() > end:
            raise AssertionError(f"{selector}: {found} elements, expected {count}")
        await asyncio.sleep(0.05)


async def outbox(page: Any) -> dict[str, Any]:
    raw = await page.evaluate(
        "JSON.stringify(Object.keys(localStorage).filter(k => k.startsWith('tk.outbox.'))"
        ".map(k => JSON.parse(localStorage.getItem(k))))"
    )
    merged: dict[str, Any] = {}
    for part in json.loads(raw):
        merged.update(part)
    return merged


@pytest.fixture
def gate_acks(
    server: RoomServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], asyncio.Event]]:
    """From the call on, hold every ``ack`` the server sends until the returned event is set.

    Released at teardown too, before the server stops, so a failing test cannot hang it.
    """
    release = asyncio.Event()

    def install() -> asyncio.Event:
        send = server._send

        async def gated(client: Any, message: dict[str, Any]) -> None:
            if message.get("type") == "ack":
                await release.wait()
            await send(client, message)

        monkeypatch.setattr(server, "_send", gated)
        return release

    yield install
    release.set()


async def test_phases_group_and_cards_live_between_members(
    browser: Any,
    server: RoomServer,
    room: Room,
    store: Store,
    open_client: Callable[[], Awaitable[Any]],
    gate_acks: Callable[[], asyncio.Event],
) -> None:
    pages = Pages(browser, server)
    _, anna = await pages.open(PHONE)
    _, johan = await pages.open(LAPTOP)
    await join(anna, "Anna Karlsson", "Uddevalla")
    await join(johan, MARKUP + " Johan", "Trollhättan", role="elected")
    karin = await raw_member(open_client, room, "Karin Svensson", "Uddevalla")
    live = room.live

    # Inspiration: title, prompt and a countdown that pauses, warns and ends.
    live.start(0)
    await anna.wait_for_selector("#live:not([hidden])")
    assert await anna.text_content("#phase-title") == "Inspiration"
    assert await anna.text_content("#prompt") == "Gemensam föreläsning."
    assert re.fullmatch(r"4[45]:\d\d", await anna.text_content("#clock") or "")
    assert await anna.locator("#card-form").is_hidden()
    live.pause()
    await anna.wait_for_selector("#paused:not([hidden])")
    frozen = await anna.text_content("#clock")
    await anna.wait_for_timeout(1100)
    assert await anna.text_content("#clock") == frozen
    live.resume()
    live.add_time(100 - (live.clock.deadline - time.time()))
    await anna.wait_for_selector("#time-note:has-text('2 minuter kvar')")
    assert await anna.get_attribute("#time-note", "role") == "status"
    assert re.fullmatch(r"01:[34]\d", await anna.text_content("#clock") or "")
    live.add_time(-101)
    await anna.wait_for_selector("#time-note:has-text('Tiden är ute')")
    assert await anna.text_content("#clock") == "00:00"

    # Mixed groups: everyone is told where to go and with whom.
    live.next_phase()
    live.make_groups()
    live.set_link(0, "javascript:alert(1)")
    for page in (anna, johan):
        await page.wait_for_selector("#group-heading:has-text('Du är i grupp 1')")
        assert await page.text_content("#group-place") == "Sätt dig vid bord 1"
        names = await page.locator("#members .name").all_text_contents()
        assert sorted(names) == sorted(["Anna Karlsson", MARKUP + " Johan", "Karin Svensson"])
        orgs = await page.locator("#members .org").all_text_contents()
        assert sorted(orgs) == ["Trollhättan", "Uddevalla", "Uddevalla"]
        assert await page.locator("#members img").count() == 0
        # A link that is not http(s) is shown as text, never made clickable.
        assert await page.locator("#group-link-line a[href]").count() == 0
        assert await page.text_content("#group-link-text") == "javascript:alert(1)"
    assert await anna.text_content("#members li.me .name") == "Anna Karlsson"
    assert await anna.text_content("#prompt") == live.program[1].prompt
    live.set_link(0, "https://meet.example.se/grupp-1")
    link = anna.locator("#group-link[href]")
    await link.wait_for()
    assert await link.get_attribute("href") == "https://meet.example.se/grupp-1"
    assert await link.get_attribute("rel") == "noopener noreferrer"
    assert await link.get_attribute("target") == "_blank"
    # A button into the group's call (issue 15), the address in its title.
    assert await link.text_content() == "Öppna gruppens möte"
    assert await link.get_attribute("class") == "button"
    assert await link.get_attribute("title") == "https://meet.example.se/grupp-1"
    assert await anna.locator("#group-link-label").is_hidden()

    # A card is "sparas…" until its ack, while the others already see it.
    release = gate_acks()
    await anna.fill("#card-text", "Gemensam plattform <b>nu</b>\nrad två")
    await anna.click("#card-save")
    await johan.wait_for_selector("#cards li.card")
    assert await card_texts(johan) == ["Gemensam plattform <b>nu</b>\nrad två"]
    assert await johan.text_content("#cards .who") == "Anna Karlsson, Uddevalla"
    assert await johan.locator("#cards .actions").is_hidden()  # not Johan's card
    [stored] = store.reflections(room.session.id)
    assert re.fullmatch(r"[0-9a-f]{32}", stored.id)
    assert await anna.text_content("#cards .save") == "sparas…"
    assert list(await outbox(anna)) == [stored.id]
    release.set()
    await anna.wait_for_selector("#cards .save.saved:has-text('sparad')")
    assert await outbox(anna) == {}
    assert await anna.text_content("#card-text") == ""  # the form is ready for the next one

    # Edit: same id, next revision, updated in place on the other page.
    await johan.evaluate("window.seen = document.querySelector('#cards li')")
    await anna.click("#cards button[data-act=edit]")
    assert await anna.input_value("#card-text") == "Gemensam plattform <b>nu</b>\nrad två"
    assert await anna.text_content("#card-save") == "Spara ändringen"
    await anna.fill("#card-text", "Gemensam e-tjänsteplattform")
    await anna.click("#card-save")
    await johan.wait_for_selector("#cards li .text:text-is('Gemensam e-tjänsteplattform')")
    assert await johan.evaluate("window.seen === document.querySelector('#cards li')")
    await anna.wait_for_selector("#cards .save.saved")
    [stored] = store.reflections(room.session.id)
    assert (stored.text, stored.revision) == ("Gemensam e-tjänsteplattform", 2)

    # Markup in a card stays text on every page.
    await johan.fill("#card-text", MARKUP)
    await johan.click("#card-save")
    await anna.wait_for_selector(f"#cards li .text:text-is('{MARKUP}')")
    assert await anna.locator("#cards img").count() == 0
    assert await anna.locator("#cards li").count() == 2

    # After a reload only the group's shared ``state`` tells Anna's page what is hers: her
    # key from ``joined`` marks her in the list and her card (with its buttons), not Johan's.
    await anna.reload()
    await wait_count(anna, "#cards li", 2)
    await anna.wait_for_selector("#members li.me")
    assert await anna.locator("#members li.me .name").all_text_contents() == ["Anna Karlsson"]
    mine = await anna.locator("#cards li.mine .text").all_text_contents()
    assert mine == ["Gemensam e-tjänsteplattform"]
    assert await anna.locator("#cards li:not(.mine) .actions").is_hidden()
    assert await anna.locator("#cards li.mine .actions").is_visible()

    # Withdraw: gone from both pages, kept (withdrawn) in the store.
    await anna.click("#cards li.mine button[data-act=withdraw]")
    await wait_count(johan, "#cards li", 1)
    assert await card_texts(johan) == [MARKUP]
    await wait_count(anna, "#cards li", 1)
    anna_card = store.reflection(stored.id)
    assert anna_card is not None and anna_card.withdrawn and anna_card.revision == 3

    # Municipality phase: Anna and Karin (Uddevalla) together; Johan, the only one from
    # Trollhättan, sits with them rather than alone in a group of one (issue 15).
    live.next_phase()
    live.make_groups()
    await anna.wait_for_selector("#group-heading:has-text('Du är i kommungrupp')")
    names = await anna.locator("#members .name").all_text_contents()
    assert sorted(names) == [MARKUP + " Johan", "Anna Karlsson", "Karin Svensson"]
    assert await anna.locator("#cards li").count() == 0  # last phase's cards stay there
    await karin.send(
        {"type": "reflect", "id": "karin-card-0001", "phase": 2, "text": "Vår IT", "revision": 1}
    )
    assert (await karin.recv_type("ack"))["id"] == "karin-card-0001"
    await anna.wait_for_selector("#cards li .text:text-is('Vår IT')")
    await johan.wait_for_selector("#group-heading:has-text('kommungrupp')")
    await johan.wait_for_selector("#cards li .text:text-is('Vår IT')")

    await pages.close()
    pages.watch.check()


async def test_survey_answers_stored_resubmitted_and_prefilled_then_thanks(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    _, page = await pages.open(PHONE)
    await join(page, "Lena Nilsson", "Vänersborg", role="elected")
    live = room.live
    live.start(3)
    await page.wait_for_selector("#survey-form:not([hidden])")
    items = live.survey
    # Every Likert item is a fieldset with its statement as legend and labelled ends.
    legends = await page.locator("#survey-items fieldset legend").all_text_contents()
    assert legends == [i.text for i in items if i.kind.value == "likert"]
    first = page.locator("#survey-items fieldset").first
    assert await first.locator("input[type=radio]").count() == 5
    assert await first.locator("label:has(input[value='1'])").text_content() == (
        "1Instämmer inte alls"
    )
    assert await first.locator("label:has(input[value='5'])").text_content() == "5Instämmer helt"
    labels = await page.locator("#survey-items .open label").all_text_contents()
    assert labels == [i.text for i in items if i.kind.value == "open"]

    await first.locator("input[value='4']").check()
    await page.locator("#survey-items fieldset").nth(1).locator("input[value='5']").check()
    await page.get_by_label(items[4].text).fill("Samverkan " + MARKUP)
    await page.click("#survey-form button[type=submit]")
    await page.wait_for_selector("#survey-status:has-text('Dina svar är sparade')")
    results = live.survey_results()
    assert results.respondents == 1
    assert results.likert[0].counts == (0, 0, 0, 1, 0)
    assert results.likert[1].counts == (0, 0, 0, 0, 1)
    [participant] = room.participants()
    assert results.open_answers["takeaway"] == (
        (participant.organisation_id, "Samverkan " + MARKUP),
    )

    # Resubmit with a change; the latest answer counts, still one respondent.
    assert await page.text_content("#survey-form button[type=submit]") == "Skicka igen"
    await first.locator("input[value='2']").check()
    await page.click("#survey-form button[type=submit]")
    await wait_for(lambda: live.survey_results().likert[0].counts == (0, 1, 0, 0, 0))
    await page.wait_for_selector("#survey-status:has-text('Dina svar är sparade')")
    assert live.survey_results().respondents == 1

    # After a reload the form shows what was saved.
    await page.reload()
    await page.wait_for_selector("#survey-form:not([hidden])")
    first = page.locator("#survey-items fieldset").first
    assert await first.locator("input[value='2']").is_checked()
    assert await page.get_by_label(items[4].text).input_value() == "Samverkan " + MARKUP
    assert await page.locator("#survey-items img").count() == 0

    # English: the scale's ends follow the language, the researcher's questions do not.
    await page.click("#lang")
    await page.wait_for_selector("html[lang=en]", state="attached")
    assert await first.locator(".end").first.text_content() == "Strongly disagree"
    await page.click("#lang")
    await page.wait_for_selector("html[lang=sv]", state="attached")

    live.next_phase()
    await page.wait_for_selector("#thanks:not([hidden])")
    assert await page.text_content("#phase-title") == "Avslutning"
    assert await page.text_content("#thanks") == "Tack för att du deltog i dag!"
    live.next_phase()
    await page.wait_for_selector("#phase-title:text-is('Tack!')")
    assert await page.locator("#thanks").is_visible()
    assert await page.locator("#timer").is_hidden()

    await pages.close()
    pages.watch.check()


async def test_offline_cards_wait_in_the_outbox_and_arrive_once(
    browser: Any,
    server: RoomServer,
    room: Room,
    store: Store,
    gate_acks: Callable[[], asyncio.Event],
) -> None:
    pages = Pages(browser, server)
    context, page = await pages.open(PHONE)
    await join(page, "Per Olsson", "Vänersborg", attendance="remote")
    room.live.start(1)
    room.live.make_groups()
    await page.wait_for_selector("#group-place:text-is('Gå till grupprum 1')")

    # Cut the network: the page notices, drops its socket and keeps the cards.
    await context.set_offline(True)
    await page.wait_for_selector("#status:has-text('Anslutningen bröts')")
    await wait_for(lambda: server.connection_count == 0)
    for text in ("Första tanken", "Andra tanken"):
        await page.fill("#card-text", text)
        await page.click("#card-save")
    assert await card_texts(page) == ["Första tanken", "Andra tanken"]
    assert await page.locator("#cards .save.saving").count() == 2
    pending = await outbox(page)
    assert [m["text"] for m in pending.values()] == ["Första tanken", "Andra tanken"]
    # Long enough for the page's reconnect attempts: none gets through while offline.
    await page.wait_for_timeout(1500)
    assert store.reflections(room.session.id) == []
    assert server.connection_count == 0

    await context.set_offline(False)
    await wait_count(page, "#cards .save.saved", 2)
    stored = store.reflections(room.session.id)
    assert sorted((r.id, r.text, r.revision) for r in stored) == sorted(
        (m["id"], m["text"], 1) for m in pending.values()
    )
    assert await outbox(page) == {}

    # The card reaches the store but the ack is lost with the connection: resent, stored once.
    release = gate_acks()
    await page.fill("#card-text", "Tredje tanken")
    await page.click("#card-save")
    await wait_for(lambda: len(store.reflections(room.session.id)) == 3)
    assert await page.locator("#cards .save.saving").count() == 1
    for client in list(server._clients):
        await client.ws.close()
    release.set()
    await wait_count(page, "#cards .save.saved", 3)
    stored = store.reflections(room.session.id)
    assert [r.text for r in stored] == ["Första tanken", "Andra tanken", "Tredje tanken"]
    assert len(await card_texts(page)) == 3

    await pages.close()
    pages.watch.check()


async def test_reload_resends_an_unacknowledged_card_and_drops_a_refused_one(
    browser: Any,
    server: RoomServer,
    room: Room,
    store: Store,
    open_client: Callable[[], Awaitable[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages = Pages(browser, server)
    _, page = await pages.open(LAPTOP)
    await join(page, "Eva Persson", "Lysekil")
    karin = await raw_member(open_client, room, "Karin Svensson", "Uddevalla")
    room.live.start(1)
    room.live.make_groups()
    await page.wait_for_selector("#group-heading:has-text('grupp 1')")
    await karin.send(
        {"type": "reflect", "id": "karin-card-0001", "phase": 1, "text": "Karins kort"}
    )
    await karin.recv_type("ack")
    await page.wait_for_selector("#cards li .text:text-is('Karins kort')")

    # The server loses every reflect from now on (as if the frames never arrived).
    handle = server._participant_message
    lost = True

    async def lossy(client: Any, message: Any) -> None:
        if lost and isinstance(message, Reflect):
            return
        await handle(client, message)

    monkeypatch.setattr(server, "_participant_message", lossy)
    await page.fill("#card-text", "Skrivet före omladdningen")
    await page.click("#card-save")
    await page.wait_for_selector("#cards .save.saving")
    await page.wait_for_timeout(300)
    assert [r.id for r in store.reflections(room.session.id)] == ["karin-card-0001"]
    # A stale edit of someone else's card waits in the outbox too: it can never succeed.
    key = await page.evaluate("Object.keys(localStorage).find(k => k.startsWith('tk.outbox.'))")
    entries = json.loads(await page.evaluate(f"localStorage.getItem('{key}')"))
    entries["karin-card-0001"] = {
        "type": "reflect",
        "id": "karin-card-0001",
        "phase": 1,
        "text": "kapat",
        "revision": 5,
    }
    await page.evaluate(f"localStorage.setItem('{key}', {json.dumps(json.dumps(entries))})")

    lost = False
    await page.reload()
    await page.wait_for_selector("#cards li.mine .save.saved")
    refused = page.locator("#cards li:not(.mine) .error")
    await refused.wait_for()
    assert await refused.text_content() == "Kortet tillhör någon annan."
    texts = sorted(r.text for r in store.reflections(room.session.id))
    assert texts == ["Karins kort", "Skrivet före omladdningen"]
    assert await outbox(page) == {}
    assert sorted(await card_texts(page)) == ["Karins kort", "Skrivet före omladdningen"]

    await pages.close()
    pages.watch.check()


async def test_an_erased_participants_unsent_cards_are_not_sent_under_a_new_join(
    browser: Any, server: RoomServer, room: Room, store: Store
) -> None:
    pages = Pages(browser, server)
    context, page = await pages.open(PHONE)
    await join(page, "Zebulon Quarkström", "Tanum")
    room.live.start(1)
    room.live.make_groups()
    await page.wait_for_selector("#card-text")
    await context.set_offline(True)
    await page.wait_for_selector("#status:has-text('Anslutningen bröts')")
    await page.fill("#card-text", "Hemliga ord XYZZY")
    await page.click("#card-save")
    assert [m["text"] for m in (await outbox(page)).values()] == ["Hemliga ord XYZZY"]

    # Erased on request while the phone was offline, the card still in its outbox.
    [person] = room.participants()
    assert room.erase_participant(person.id)
    await context.set_offline(False)
    await page.wait_for_selector("#join-form:not([hidden])")  # their place is gone
    await page.fill("#name", "Ny Person")
    await page.select_option("#org", label="Tanum")
    await page.check("input[name=role][value=official]")
    await page.click("#join-form button")
    await wait_for(lambda: len(room.participants()) == 1)
    await page.wait_for_selector("#card-text")  # in the running phase, as the new person
    await page.wait_for_timeout(1000)  # time enough for an outbox to be resent
    assert all("XYZZY" not in r.text for r in store.reflections(room.session.id))
    assert [p.name for p in room.participants()] == ["Ny Person"]
    await pages.close()
    pages.watch.check()


async def test_quitting_the_console_says_away_and_the_page_comes_back_by_itself(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    _context, page = await pages.open(PHONE)
    await join(page, "Per Olsson", "Vänersborg")
    # One person: the count's noun is singular ("1 deltagare ansluten", not "anslutna").
    await page.wait_for_selector("#present:has-text('1')")
    assert await page.text_content("#present") == "1 deltagare ansluten just nu"
    room.live.start(1)
    await page.wait_for_selector("#live:not([hidden])")

    await server.stop()  # what quitting the console does
    await page.wait_for_selector(f"#status.note:text-is('{SV['away']}')")  # a banner
    assert await page.locator("#ended").is_hidden()  # not "the session has ended"
    assert await page.locator("#live").is_visible()

    server.requested_port = server.port  # the console starts again on its port
    await server.start()
    await wait_for(lambda: server.connection_count == 1, timeout=20)
    await page.wait_for_selector(f"#status:not(:text-is('{SV['away']}'))", state="attached")
    assert await page.text_content("#status") in ("", SV["connected"])
    assert await page.locator("#live").is_visible()
    assert len(room.participants()) == 1  # the same person, not a second join
    await pages.close()
    pages.watch.check()


async def test_a_cleared_session_sends_the_page_to_the_code_form_without_saying_connected(
    browser: Any, server: RoomServer, room: Room
) -> None:
    from app.operations import clear_session

    pages = Pages(browser, server)
    _context, page = await pages.open(PHONE)
    await join(page, "Per Olsson", "Vänersborg")

    clear_session(room, room.session.number)  # Träff → Rensa, on the running session
    await page.wait_for_selector("#code-form:not([hidden])", timeout=20_000)
    await page.wait_for_selector(f"text={SV['error_bad_token']}")
    # The link is void: the status line must not say "Ansluten." above that error.
    assert await page.text_content("#status") in ("", None)
    await pages.close()
    pages.watch.check()


async def test_a_hidden_card_leaves_the_other_phone_and_its_author_is_told(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    _c1, author = await pages.open(PHONE)
    await join(author, "Anna Author", "Lysekil")
    _c2, other = await pages.open(LAPTOP)
    await join(other, "Bo Other", "Tanum")
    room.live.start(1)
    room.live.make_groups(size=2)
    await author.wait_for_selector("#card-form:not([hidden])")
    await author.fill("#card-text", "Ett kort som döljs")
    await author.click("#card-save")
    await wait_count(other, "#cards li.card", 1)
    [card] = room.live.cards()

    room.live.moderate(card.id, hidden=True)
    await wait_count(other, "#cards li.card", 0)
    await author.wait_for_selector(f".save:text-is('{SV['card_hidden_note']}')")
    await other.reload()
    await other.wait_for_selector("#live:not([hidden])")
    assert await card_texts(other) == []

    room.live.moderate(card.id, hidden=False)
    await wait_count(other, "#cards li.card", 1)
    await wait_count(author, f".save:text-is('{SV['card_hidden_note']}')", 0)
    assert await card_texts(other) == ["Ett kort som döljs"]
    await pages.close()
    pages.watch.check()


async def test_the_survey_on_a_laptop_uses_the_width_and_a_reload_announces_nothing(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    _context, page = await pages.open(LAPTOP)
    await join(page, "Per Olsson", "Vänersborg")
    room.live.start(3)  # the survey: no group panel beside it
    await page.wait_for_selector("#survey-form:not([hidden])")
    work = await page.locator("#work").bounding_box()
    main = await page.locator("main").bounding_box()
    assert work is not None and main is not None
    assert work["x"] - main["x"] < 40  # the left column, not beside an empty one
    assert await page.text_content("#announce") != ""  # a change seen: said

    await page.reload()
    await page.wait_for_selector("#survey-form:not([hidden])")
    assert await page.text_content("#announce") == ""  # a reload lands, nothing "new"
    await pages.close()
    pages.watch.check()


async def test_at_200_percent_on_a_phone_no_heading_word_is_broken(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    # 200 % zoom on a 390-pixel phone: a 195-pixel wide page at twice the pixels.
    _context, page = await pages.open({"width": 195, "height": 422})
    await join(page, "Per Olsson", "Vänersborg")
    room.live.start(2)
    room.live.make_groups()
    await page.wait_for_selector("#group:not([hidden])")
    widest, room_for_it = json.loads(
        await page.evaluate(
            """JSON.stringify((() => {
              const h = document.getElementById('group-heading');
              const c = document.createElement('canvas').getContext('2d');
              c.font = getComputedStyle(h).font;
              const words = h.textContent.split(/\\s+/);
              const s = getComputedStyle(h);
              const inner = h.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
              return [Math.max(...words.map((w) => c.measureText(w).width)), inner];
            })())"""
        )
    )
    assert "kommungrupp" in (await page.text_content("#group-heading") or "")
    assert widest <= room_for_it  # "kommungrupp" whole, not "kommungr" / "upp"


async def test_a_hybrid_municipality_group_tells_each_member_where_to_go(
    browser: Any, server: RoomServer, room: Room
) -> None:
    pages = Pages(browser, server)
    _, home = await pages.open(PHONE)
    _, table = await pages.open(PHONE)
    await join(home, "Cilla Hemma", "Tanum", attendance="remote")
    await join(table, "Anna Bord", "Tanum")
    live = room.live
    live.start(2)  # municipality reflection: Tanum's two together (issue 15)
    live.make_groups()
    live.set_link(0, "https://meet.example.se/tanum")
    for page, place in ((home, "Gå till grupprum 1"), (table, "Sätt dig vid bord 1")):
        await page.wait_for_selector("#group-link[href]")
        assert await page.text_content("#group-place") == place
        names = await page.locator("#members .name").all_text_contents()
        assert sorted(names) == ["Anna Bord", "Cilla Hemma"]
        assert await page.text_content("#group-link") == "Öppna gruppens möte"
    await pages.close()
    pages.watch.check()
