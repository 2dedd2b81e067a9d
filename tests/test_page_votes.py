"""The prioritise phase on the participant page, in real Chromium against the real server.

Dots are given and taken back with the keyboard only, found by their screen-reader names;
each change is an outbox item stored before its ack; after the vote closes the page shows the
group's top three. Needs Debian's ``chromium`` (skips locally without it, fails in CI).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.room import Room
from room_server.server import RoomServer

from . import test_page_live
from .test_page_live import Pages, join, outbox, raw_member, wait_for
from .test_votes import MUNI, PRIO, with_vote

gate_acks = test_page_live.gate_acks  # the fixture that holds back acks, shared


async def test_dots_by_keyboard_with_names_then_the_top_three(
    browser: Any,
    server: RoomServer,
    room: Room,
    open_client: Callable[[], Awaitable[Any]],
) -> None:
    with_vote(room)
    pages = Pages(browser, server)
    _, anna = await pages.open()
    await join(anna, "Anna", "Uddevalla")
    bo = await raw_member(open_client, room, "Bo", "Uddevalla")
    tove = await raw_member(open_client, room, "Tove", "Tanum")
    # Two from Tanum: someone alone from an organisation would join another's group.
    await raw_member(open_client, room, "Tage", "Tanum")
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for client, cid, text in (
        (bo, "card-bo-0001", "Gemensam e-tjänsteplattform"),
        (bo, "card-bo-0002", "Utbilda politikerna i digitalisering"),
        (tove, "card-tove-001", "Tanums egen idé"),
    ):
        await client.send({"type": "reflect", "id": cid, "phase": MUNI, "text": text})
        await client.recv_type("ack")
    room.live.start(PRIO)
    await anna.wait_for_selector("#vote:not([hidden])")
    await anna.wait_for_selector("#ballot li.card >> nth=1")
    assert await anna.locator("#ballot li.card .text").all_text_contents() == [
        "Gemensam e-tjänsteplattform",
        "Utbilda politikerna i digitalisering",
    ]  # Tanum's card is not on Uddevalla's ballot
    assert await anna.text_content("#vote-left") == "3 av 3 prickar kvar"
    me = next(p for p in room.participants() if p.name == "Anna")

    plus = anna.get_by_role("button", name="Lägg en prick på: Gemensam e-tjänsteplattform")
    await plus.focus()
    await anna.keyboard.press("Enter")
    await wait_for(lambda: room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 1})
    await anna.keyboard.press("Enter")  # focus stays on the button
    await wait_for(lambda: room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 2})
    await wait_for_text(anna, "#vote-left", "1 av 3 prickar kvar")
    assert await plus.get_attribute("aria-disabled") == "true"  # at most 2 on one card
    await anna.keyboard.press("Enter")  # refused on the page: nothing is sent
    # On to the next card's buttons with Tab: its minus, then its plus.
    await anna.keyboard.press("Tab")
    await anna.keyboard.press("Tab")
    focused = await anna.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "Lägg en prick på: Utbilda politikerna i digitalisering"
    await anna.keyboard.press(" ")
    await wait_for(lambda: room.live.votes.remaining(PRIO, me.id) == 0)
    await wait_for_text(anna, "#vote-left", "0 av 3 prickar kvar")
    assert await plus.get_attribute("aria-disabled") == "true"
    minus = anna.get_by_role("button", name="Ta bort en prick från: Gemensam e-tjänsteplattform")
    await minus.focus()
    await anna.keyboard.press("Enter")
    await wait_for(
        lambda: room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 1, "card-bo-0002": 1}
    )
    await wait_for_text(anna, "#vote-left", "1 av 3 prickar kvar")
    assert "Dina prickar: 1" in (await anna.text_content("#ballot li.card .mine") or "")
    # Each button's description is its card's count, so a screen reader says both.
    described = await minus.get_attribute("aria-describedby")
    assert "Dina prickar: 1" in (await anna.text_content(f"#{described}") or "")
    # The outbox is empty once everything is acknowledged.
    await wait_for_outbox_empty(anna)

    room.live.votes.close(PRIO)
    await anna.wait_for_selector("#top-heading:not([hidden])")
    top = await anna.locator("#top li .text").all_text_contents()
    assert top == ["Gemensam e-tjänsteplattform", "Utbilda politikerna i digitalisering"]
    assert await anna.locator("#ballot li .dots").first.is_hidden()
    assert await anna.text_content("#vote-help") == "Röstningen är stängd."
    pages.watch.check()
    await pages.close()


async def test_dots_given_offline_wait_in_the_outbox_and_count_once(
    browser: Any,
    server: RoomServer,
    room: Room,
    open_client: Callable[[], Awaitable[Any]],
    gate_acks: Callable[[], asyncio.Event],
) -> None:
    with_vote(room)
    pages = Pages(browser, server)
    context, page = await pages.open()
    await join(page, "Per", "Vänersborg")
    bo = await raw_member(open_client, room, "Bo", "Vänersborg")
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for cid, text in (("card-bo-0001", "Öppna data"), ("card-bo-0002", "Gemensam växel")):
        await bo.send({"type": "reflect", "id": cid, "phase": MUNI, "text": text})
        await bo.recv_type("ack")
    room.live.start(PRIO)
    await page.wait_for_selector("#ballot li.card >> nth=1")
    me = next(p for p in room.participants() if p.name == "Per")

    await context.set_offline(True)
    await wait_for(lambda: server.connection_count == 1)  # only Bo's socket is left
    plus = page.get_by_role("button", name="Lägg en prick på: Öppna data")
    await plus.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Enter")
    await wait_for_text(page, "#vote-left", "1 av 3 prickar kvar")  # shown at once
    pending = list((await outbox(page)).values())
    assert [(m["card"], m["dots"]) for m in pending] == [("card-bo-0001", 2)]  # latest only
    await page.wait_for_timeout(1000)
    assert room.live.votes.mine(PRIO, me.id) == {}

    await context.set_offline(False)
    await wait_for(lambda: room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 2})
    await wait_for_outbox_empty(page)

    # Stored, but the ack is lost with the connection: sent again, counted once.
    release = gate_acks()
    minus = page.get_by_role("button", name="Ta bort en prick från: Öppna data")
    await minus.focus()
    await page.keyboard.press("Enter")
    await wait_for(lambda: room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 1})
    for client in list(server._clients):
        await client.ws.close()
    release.set()
    await wait_for_outbox_empty(page)
    assert room.live.votes.mine(PRIO, me.id) == {"card-bo-0001": 1}
    assert room.live.votes.remaining(PRIO, me.id) == 2
    await wait_for_text(page, "#vote-left", "2 av 3 prickar kvar")
    pages.watch.check()
    await pages.close()


async def wait_for_text(page: Any, selector: str, text: str, timeout: float = 5.0) -> None:
    """Poll (no script eval: the page's CSP forbids it) until the element shows ``text``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while (found := await page.text_content(selector)) != text:
        assert loop.time() < end, f"{selector}: {found!r}, expected {text!r}"
        await asyncio.sleep(0.05)


async def wait_for_outbox_empty(page: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while await outbox(page):
        assert loop.time() < end, "the outbox kept items"
        await asyncio.sleep(0.05)
