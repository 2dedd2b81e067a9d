r"""Render the README's pictures of prioritising: projector, word cloud, PDF page, phone.

A realistic room (four municipalities, their reflections from the labelled theme samples,
three dots each) votes; the vote is closed; the audience window is rendered at 1920×1080
(``docs/audience-ranking.png``, ``docs/audience-themes.png``) and the second page of
Uddevalla's PDF with poppler's ``pdftoppm`` (``docs/pdf-priorities.png``). Then a phone's
page while voting, in Debian's Chromium against a real server on 127.0.0.1
(``docs/page-vote.png``). Offscreen is enough (``QT_QPA_PLATFORM=offscreen``, the default)::

    python scripts/screenshot_priorities.py
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.export import export_all  # noqa: E402
from app.model import Attendance, Phase, PhaseKind, Role  # noqa: E402
from app.protocol import Join, Reflect, Vote, parse  # noqa: E402
from app.room import JoinInfo, Room  # noqa: E402
from app.store import DB_NAME, Store  # noqa: E402
from facilitator_ui.audience_window import AudienceView, AudienceWindow  # noqa: E402
from facilitator_ui.bridge import RoomBridge  # noqa: E402
from tests.themes_sample import HELD_OUT, REFLECTIONS  # noqa: E402

MUNI, PRIO = 2, 3
TOWNS = ("Uddevalla", "Trollhättan", "Vänersborg", "Lysekil")
FIRST = ("Anna", "Björn", "Cecilia", "David", "Eva", "Fredrik", "Gunilla")


def build(folder: Path) -> Room:
    """Make the room: people, municipality groups, cards, a closed vote."""
    room = Room(Store(folder / DB_NAME))
    program = list(room.live.program)
    program.insert(PRIO, Phase(PhaseKind.PRIORITISE, "Prioritera", 10, "Vad ska vi göra först?"))
    room.live.set_program(program)
    orgs = {o.name: o.id for o in room.series.organisations}
    rng = random.Random(7)
    texts = [t for t in REFLECTIONS + HELD_OUT if len(t) < 80]
    people = []
    for t, town in enumerate(TOWNS):
        for i, first in enumerate(FIRST[: 5 + t % 2]):
            role = Role.ELECTED if i % 2 else Role.OFFICIAL
            joined = room.join(
                Join(f"{first} {town[:3]}son", orgs[town], role, Attendance.IN_ROOM, "")
            )
            room.attach(joined.participant.id)
            people.append(joined.participant)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    for n, p in enumerate(people):
        message = parse(
            json.dumps({"type": "reflect", "id": f"card-{n:04d}", "phase": MUNI, "text": texts[n]})
        )
        assert isinstance(message, Reflect)
        room.live.reflect(p, message)
    room.live.start(PRIO)
    for n, p in enumerate(people):
        ballot = room.live.votes.ballot(PRIO, p)
        left = 3
        for card in rng.sample(ballot, min(len(ballot), 3)):
            dots = min(left, rng.choice((1, 1, 2)))
            message = parse(
                json.dumps(
                    {
                        "type": "vote",
                        "id": f"vote-{n:04d}-{card.id}",
                        "phase": PRIO,
                        "card": card.id,
                        "dots": dots,
                    }
                )
            )
            assert isinstance(message, Vote)
            room.live.vote(p, message)
            left -= dots
            if not left:
                break
    room.live.votes.close(PRIO)
    return room


def main() -> None:
    """Write the three pictures into docs/."""
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        room = build(Path(tmp))
        info = JoinInfo(
            "http://192.168.1.20:8765/#t=x",
            "http://192.168.1.20:8765",
            "P6F-388",
            8765,
            8765,
            False,
            False,
        )
        audience = AudienceWindow(room, RoomBridge(room), info)
        audience.resize(1920, 1080)
        audience.show()
        for view, name in (
            (AudienceView.RANKING, "audience-ranking"),
            (AudienceView.THEMES, "audience-themes"),
        ):
            audience.set_choice(view)
            app.processEvents()
            audience.grab().scaled(1280, 720).save(str(ROOT / "docs" / f"{name}.png"))
        audience.close()
        room.store.close()
        out = Path(tmp) / "out"
        export_all(Path(tmp) / DB_NAME, out, sessions=[1])
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "80",
                "-png",
                "-f",
                "2",
                "-l",
                "2",
                "-singlefile",
                str(out / "traff1-Uddevalla.pdf"),
                str(ROOT / "docs" / "pdf-priorities"),
            ],
            check=True,
        )
        asyncio.run(phone(Path(tmp) / "phone"))
    print("wrote docs/audience-ranking.png, audience-themes.png, pdf-priorities.png, page-vote.png")


async def phone(folder: Path) -> None:
    """Render Lena's page in Uddevalla's vote: two dots given, one left."""
    from room_server.server import RoomServer
    from scripts.chromium import launch

    folder.mkdir()
    room = Room(Store(folder / DB_NAME))
    program = list(room.live.program)
    program.insert(PRIO, Phase(PhaseKind.PRIORITISE, "Prioritera", 10, "Vad gör vi först?"))
    room.live.set_program(program)
    org = next(o.id for o in room.series.organisations if o.name == "Uddevalla")
    people = [
        room.join(Join(name, org, Role.ELECTED, Attendance.IN_ROOM, ""))
        for name in ("Lena Nilsson", "Johan Berg", "Eva Ek")
    ]
    server = RoomServer(room, "127.0.0.1", 0)
    await server.start()
    for joined in people:
        room.attach(joined.participant.id)
    room.live.start(MUNI)
    room.live.make_groups(MUNI)
    texts = (
        "Gemensam e-tjänsteplattform för hela Fyrbodal.",
        "Utbilda politikerna i digitalisering varje mandatperiod.",
        "Informationssäkerhet i varje upphandling.",
    )
    for n, (joined, text) in enumerate(zip(people, texts, strict=True)):
        card = {"type": "reflect", "id": f"card-{n:04d}", "phase": MUNI, "text": text}
        message = parse(json.dumps(card))
        assert isinstance(message, Reflect)
        room.live.reflect(joined.participant, message)
    room.live.start(PRIO)
    dots = {"type": "vote", "id": "vote-0001", "phase": PRIO, "card": "card-0001", "dots": 2}
    vote = parse(json.dumps(dots))
    assert isinstance(vote, Vote)
    room.live.vote(people[0].participant, vote)
    from playwright.async_api import async_playwright

    token, resume = room.room_token, people[0].resume_token
    async with async_playwright() as pw:
        browser = await launch(pw)
        context = await browser.new_context(viewport={"width": 390, "height": 700}, locale="sv-SE")
        await context.add_init_script(
            f"localStorage.setItem('tk.room', {json.dumps(token)});"
            f"localStorage.setItem('tk.resume.{token}', {json.dumps(resume)});"
        )
        page = await context.new_page()
        await page.goto(server.base_url + "/")
        await page.wait_for_selector("#ballot li >> nth=2")
        await page.screenshot(path=str(ROOT / "docs" / "page-vote.png"))
        await browser.close()
    await server.stop()
    room.store.close()


if __name__ == "__main__":
    main()
