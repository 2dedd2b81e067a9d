r"""Render the participant page in a realistic state as ``docs/page-phone.png`` and ``-laptop``.

A real room server runs on 127.0.0.1 with a temporary workshop: a mixed group of four with a
meeting link, two cards on the wall (one of them the viewer's own, saved) and the countdown
running. The viewer is resumed with a resume token put into the page's storage, exactly as a
reload would. Needs Debian's ``chromium`` and Python Playwright::

    python scripts/screenshot_page.py [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file: ``scripts.chromium`` is found from the root

from app.model import Attendance, Role  # noqa: E402
from app.protocol import Join, Reflect  # noqa: E402
from app.room import Room  # noqa: E402
from app.store import Store  # noqa: E402
from room_server.server import RoomServer  # noqa: E402
from scripts.chromium import launch as launch_chromium  # noqa: E402

SIZES = {"phone": (390, 844), "laptop": (1280, 800)}

# (name, organisation, role, function, attendance); the first person is the viewer.
PEOPLE = (
    ("Lena Nilsson", "Vänersborg", Role.ELECTED, "", Attendance.IN_ROOM),
    ("Johan Berg", "Trollhättan", Role.OFFICIAL, "digitaliseringsansvarig", Attendance.IN_ROOM),
    ("Mats Gustafsson", "Åmål", Role.OFFICIAL, "kommundirektör", Attendance.IN_ROOM),
    ("Ahmed Hassan", "Fyrbodals kommunalförbund", Role.OFFICIAL, "", Attendance.IN_ROOM),
)
CARDS = (
    (1, "Gemensam e-tjänsteplattform för hela Fyrbodal – då slipper varje kommun börja om."),
    (0, "Vi politiker behöver förstå vad digitaliseringen kräver av organisationen."),
)


def _prepare(room: Room) -> str:
    """Join the people, start the mixed groups phase, group them and write two cards.

    Returns the viewer's resume token.
    """
    orgs = {org.name: org.id for org in room.series.organisations}
    people = []
    for name, org, role, function, attendance in PEOPLE:
        result = room.join(Join(name, orgs[org], role, attendance, function))
        people.append(result)
    for result in people[1:]:
        room.attach(result.participant.id)
    # The viewer is attached when the page connects; group while they are "present".
    viewer = people[0]
    room.attach(viewer.participant.id)
    room.live.start(1, now=time.time() - 13 * 60 - 25)
    room.live.make_groups()
    room.live.set_link(0, "https://meet.example.se/fyrbodal-grupp-1")
    for n, (who, text) in enumerate(CARDS):
        participant = people[who].participant
        room.live.reflect(participant, Reflect(f"card{n:04d}screenshot", 1, text, 1))
    room.detach(viewer.participant.id)
    return viewer.resume_token


async def _shoot(out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    saved = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "workshop.sqlite3")
        room = Room(store)
        resume = _prepare(room)
        server = RoomServer(room, "127.0.0.1", 0)
        await server.start()
        try:
            async with async_playwright() as pw:
                browser = await launch_chromium(pw)
                for label, (width, height) in SIZES.items():
                    context = await browser.new_context(
                        viewport={"width": width, "height": height},
                        locale="sv-SE",
                        device_scale_factor=1,
                    )
                    await context.add_init_script(
                        f"localStorage.setItem('tk.resume.{room.room_token}', '{resume}')"
                    )
                    page = await context.new_page()
                    await page.goto(server.join_url)
                    await page.wait_for_selector("#cards li.card >> nth=1")
                    await page.wait_for_selector("#cards .save.saved")
                    # Typing a third thought, not yet saved: the form as people see it.
                    await page.fill("#card-text", "Gemensamma grunddata och en delad ")
                    await page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
                    await page.wait_for_timeout(300)
                    path = out / f"page-{label}.png"
                    # The phone picture shows the whole page as one scrolls through it.
                    await page.screenshot(path=str(path), full_page=label == "phone")
                    saved.append(path)
                    await context.close()
                await browser.close()
        finally:
            await server.stop()
            store.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    """Save the two screenshots; print their paths and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(_shoot(args.out)):
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
