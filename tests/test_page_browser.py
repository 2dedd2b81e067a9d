"""The participant page in a real headless Chromium against the real server on 127.0.0.1.

Needs Debian's ``chromium`` (``.ci/run`` installs it). Locally without it these tests skip;
in CI (``CI=true``) a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.protocol import ErrorCode, Join, ProtocolError
from app.room import JoinPlan, JoinResult, Room
from app.store import Store
from room_server.server import RoomServer


async def test_scan_join_lobby_reload_and_markup_stays_text(
    browser: Any, server: RoomServer, room: Room, store: Store
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 800}, locale="sv-SE")
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await page.goto(server.join_url)
    await page.wait_for_selector("#join-form:not([hidden])")
    assert await page.get_attribute("html", "lang") == "sv"
    assert await page.text_content("#join-form h2") == "Anmäl dig"

    name = "<img src=x onerror=alert(1)> Åsa"
    await page.fill("#name", name)
    await page.select_option("#org", label="Vänersborg")
    await page.check("input[value=official]")
    await page.check("input[value=remote]")
    await page.click("#join-form button")
    await page.wait_for_selector("#lobby:not([hidden])")
    assert await page.text_content("#me-name") == name
    assert await page.text_content("#me-org") == "Vänersborg"
    assert await page.locator("#lobby img").count() == 0
    assert "#t=" not in page.url  # the token is not left in the address bar

    await page.reload()
    await page.wait_for_selector("#lobby:not([hidden])")
    [stored] = store.participants(room.session.id)
    assert (stored.name, stored.attendance.value, stored.role.value) == (
        name,
        "remote",
        "official",
    )
    origin = server.base_url
    assert all(url.startswith(origin) for url in requests), requests

    await page.click("#lang")
    await page.wait_for_selector("html[lang=en]", state="attached")
    assert await page.text_content("#lobby-heading") == "You are in!"
    await context.close()


async def test_typed_room_code_on_a_laptop(browser: Any, server: RoomServer, room: Room) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = await context.new_page()
    await page.goto(server.base_url + "/")
    await page.wait_for_selector("#code-form:not([hidden])")
    await page.fill("#code", "zzz-zzz")
    await page.click("#code-form button")
    await page.wait_for_selector("#error:not([hidden])")
    assert "Wrong room code" in (await page.text_content("#error") or "")
    await page.fill("#code", room.display_code.lower())
    await page.click("#code-form button")
    await page.wait_for_selector("#join-form:not([hidden])")
    # An empty name is caught on the page, with a message, before anything is sent.
    await page.click("#join-form button")
    assert await page.text_content("#error") == "Write your name."
    await context.close()


async def test_a_join_whose_answer_was_lost_is_one_participant_and_a_refused_one_none(
    browser: Any, server: RoomServer, room: Room, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys: list[str | None] = []
    plan_join, admit = room.plan_join, server._admit

    def refuse_first(form: Join) -> JoinPlan:
        keys.append(form.join_key)
        if len(keys) == 1:  # e.g. a bug on the server: nothing is stored
            raise ProtocolError(ErrorCode.SERVER_ERROR)
        return plan_join(form)

    cut: list[str] = []

    async def cut_once(client: Any, result: JoinResult, resumed: bool) -> None:
        if not cut:  # committed, then the connection dies before `joined` is sent
            cut.append(result.participant.id)
            client.ws.transport.abort()
            return
        await admit(client, result, resumed)

    monkeypatch.setattr(room, "plan_join", refuse_first)
    monkeypatch.setattr(server, "_admit", cut_once)
    context = await browser.new_context(viewport={"width": 390, "height": 800}, locale="sv-SE")
    page = await context.new_page()
    await page.goto(server.join_url)
    await page.wait_for_selector("#join-form:not([hidden])")
    await page.fill("#name", "Åsa Öberg")
    await page.select_option("#org", label="Tanum")
    await page.check("input[value=elected]")
    await page.click("#join-form button")
    await page.wait_for_selector("#error:not([hidden])")
    assert await join_keys(page) == []  # refused: the next press is a new join

    await page.click("#join-form button")
    # The page reconnects by itself and sends the same join again, with the same key.
    await page.wait_for_selector("#lobby:not([hidden])")
    assert await page.text_content("#me-name") == "Åsa Öberg"
    assert [p.id for p in store.participants(room.session.id)] == cut
    assert len(keys) == 3 and keys[1] == keys[2] and keys[0] != keys[1]
    assert all(k and re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert await join_keys(page) == []  # joined: the resume token brings it back now

    await page.reload()
    await page.wait_for_selector("#lobby:not([hidden])")
    assert [p.id for p in store.participants(room.session.id)] == cut
    await context.close()


async def join_keys(page: Any) -> list[str]:
    """The page's pending joins in localStorage."""
    found = await page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('tk.join.'))")
    return list(found)
