"""Picking one's own name from an imported roster on the real page, in Chromium."""

from __future__ import annotations

from typing import Any

from app.room import Room
from app.store import Store
from room_server.server import RoomServer

from .test_roster_join import import_roster


async def test_pick_own_name_then_the_name_is_gone_for_others(
    browser: Any,
    server: RoomServer,
    room: Room,
    store: Store,
) -> None:
    entries = import_roster(room)
    first = await browser.new_context(viewport={"width": 390, "height": 844}, locale="sv-SE")
    page = await first.new_page()
    await page.goto(server.join_url)
    await page.wait_for_selector("#roster-box:not([hidden])")
    options = await page.locator("#roster option").all_text_contents()
    assert options[0] == "Jag finns inte i listan"
    assert "Cilla <b>Ö</b> – Åmål" in options  # markup stays text
    assert await page.locator("#roster option b").count() == 0
    await page.select_option("#roster", label="Åsa Öberg – Uddevalla")
    assert await page.locator("#manual-fields").is_hidden()
    await page.check("input[value=remote]")
    await page.click("#join-form button[type=submit]")
    await page.wait_for_selector("#lobby:not([hidden]), #live:not([hidden])")
    [joined] = store.participants(room.session.id)
    assert (joined.name, joined.role.value, joined.attendance.value) == (
        "Åsa Öberg",
        "elected",
        "remote",
    )
    assert joined.organisation_id == entries["u1"].organisation_id

    # Someone arriving now no longer sees the claimed name, and can still type their own.
    second = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="sv-SE")
    other = await second.new_page()
    await other.goto(server.join_url)
    await other.wait_for_selector("#roster-box:not([hidden])")
    names = await other.locator("#roster option").all_text_contents()
    assert not any(n.startswith("Åsa Öberg") for n in names)
    await other.select_option("#roster", value="")
    assert await other.locator("#manual-fields").is_visible()
    await first.close()
    await second.close()
