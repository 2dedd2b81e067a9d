r"""Render the facilitator console with a realistic room and save it as ``docs/console.png``.

The README's screenshots. No server runs: the join information is built directly so the picture
shows the LAN address a facilitator would really see, not 127.0.0.1 and a random port. Run it
under a virtual screen for a real window::

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \\
        python scripts/screenshot_console.py

``--scene`` picks the tab: ``join`` (the default: join panel and roster, ``docs/console.png``),
``groups`` (about thirty people in five groups, a late joiner, the countdown running:
``docs/console-groups.png``), ``wall`` (the live reflection wall: ``docs/console-wall.png``),
``survey`` (``docs/console-survey.png``) or ``all`` (every scene, each to its default file).

The ``audience-*`` scenes render the projector's audience window at 1920×1080 instead:
``audience-join`` (QR code, address, room code and count while people join:
``docs/audience-join.png``), ``audience-groups`` (the groups scene's cards and countdown:
``docs/audience-groups.png``), ``audience-wall`` and ``audience-survey`` (written under
``docs/`` too, for review; the README shows the first two).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app import i18n
from app.model import Attendance, Role
from app.protocol import Join, Reflect, SurveyAnswers
from app.room import JoinInfo, Room
from app.store import Store
from facilitator_ui.audience_window import AudienceView
from facilitator_ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 1600, 1000
PORT = 8765
BASE_URL = f"http://192.168.1.20:{PORT}"

# Short names keep the table below readable.
ELECTED, OFFICIAL = Role.ELECTED, Role.OFFICIAL
HERE, REMOTE = Attendance.IN_ROOM, Attendance.REMOTE

# (name, organisation, role, function, attendance, connected now)
PEOPLE: tuple[tuple[str, str, Role, str, Attendance, bool], ...] = (
    ("Anna Karlsson", "Uddevalla", ELECTED, "", HERE, True),
    ("Erik Johansson", "Uddevalla", OFFICIAL, "kommundirektör", HERE, True),
    ("Sara Lindqvist", "Uddevalla", OFFICIAL, "IT-chef", REMOTE, False),
    ("Maria Andersson", "Trollhättan", ELECTED, "", HERE, True),
    ("Johan Berg", "Trollhättan", OFFICIAL, "digitaliseringsansvarig", HERE, True),
    ("Lena Nilsson", "Vänersborg", ELECTED, "", HERE, True),
    ("Per Olsson", "Vänersborg", OFFICIAL, "IT-chef", REMOTE, True),
    ("Karin Svensson", "Åmål", ELECTED, "", HERE, False),
    ("Mats Gustafsson", "Åmål", OFFICIAL, "kommundirektör", HERE, True),
    ("Eva Persson", "Lysekil", OFFICIAL, "digitaliseringsansvarig", REMOTE, True),
    ("Lars Eriksson", "Tanum", ELECTED, "", HERE, True),
    ("Ingrid Larsson", "Tanum", OFFICIAL, "IT-chef", HERE, False),
    ("Ahmed Hassan", "Fyrbodals kommunalförbund", OFFICIAL, "", HERE, True),
    ("Sofia Ek", "Munkedal", ELECTED, "", REMOTE, False),
)


def populate(room: Room) -> None:
    """Join the sample people to ``room`` and connect those marked connected."""
    org_ids = {org.name: org.id for org in room.series.organisations}
    for name, org, role, function, attendance, connected in PEOPLE:
        result = room.join(Join(name, org_ids[org], role, attendance, function))
        if connected:
            room.attach(result.participant.id)


# The groups scene: 24 people in the room and 6 remote (four in-room groups and one remote
# group of six), from every Fyrbodal organisation. (name, organisation, role, attendance)
CROWD: tuple[tuple[str, str, Role, Attendance], ...] = (
    ("Anna Karlsson", "Uddevalla", ELECTED, HERE),
    ("Erik Johansson", "Uddevalla", OFFICIAL, HERE),
    ("Maria Andersson", "Trollhättan", ELECTED, HERE),
    ("Johan Berg", "Trollhättan", OFFICIAL, HERE),
    ("Lena Nilsson", "Vänersborg", ELECTED, HERE),
    ("Per Olsson", "Vänersborg", OFFICIAL, HERE),
    ("Karin Svensson", "Åmål", ELECTED, HERE),
    ("Mats Gustafsson", "Åmål", OFFICIAL, HERE),
    ("Lars Eriksson", "Tanum", ELECTED, HERE),
    ("Ingrid Larsson", "Tanum", OFFICIAL, HERE),
    ("Ahmed Hassan", "Fyrbodals kommunalförbund", OFFICIAL, HERE),
    ("Sofia Ek", "Munkedal", ELECTED, HERE),
    ("Nils Holm", "Munkedal", OFFICIAL, HERE),
    ("Birgitta Sjöberg", "Bengtsfors", ELECTED, HERE),
    ("Henrik Lund", "Bengtsfors", OFFICIAL, HERE),
    ("Elin Forsberg", "Dals-Ed", ELECTED, HERE),
    ("Oskar Wallin", "Dals-Ed", OFFICIAL, HERE),
    ("Camilla Strand", "Mellerud", ELECTED, HERE),
    ("Fredrik Dahl", "Mellerud", OFFICIAL, HERE),
    ("Jenny Bergström", "Lysekil", ELECTED, HERE),
    ("Mikael Sandberg", "Lysekil", OFFICIAL, HERE),
    ("Zeynep Demir", "Trollhättan", OFFICIAL, HERE),
    ("Göran Lindberg", "Uddevalla", ELECTED, HERE),
    ("Hanna Axelsson", "Vänersborg", OFFICIAL, HERE),
    ("Eva Persson", "Lysekil", OFFICIAL, REMOTE),
    ("Sara Lindqvist", "Uddevalla", OFFICIAL, REMOTE),
    ("Tomas Åberg", "Åmål", ELECTED, REMOTE),
    ("Linnea Hedlund", "Tanum", OFFICIAL, REMOTE),
    ("Peter Engström", "Bengtsfors", ELECTED, REMOTE),
    ("Malin Nyberg", "Fyrbodals kommunalförbund", OFFICIAL, REMOTE),
)
LATE = ("Kristina Öberg", "Dals-Ed", OFFICIAL, HERE)

# The wall scene: (author's index in CROWD, text, highlighted)
CARDS: tuple[tuple[int, str, bool], ...] = (
    (
        0,
        "Vi behöver en gemensam bild av vad ”digital smartare vardag” betyder för invånarna.",
        False,
    ),
    (3, "Dela på kompetensen: en regional pool av utvecklare och informationssäkerhet.", True),
    (
        8,
        "Politiken måste våga prioritera – digitalisering är en ledningsfråga, inte en IT-fråga.",
        False,
    ),
    (
        10,
        "Förbundet kan samordna upphandlingar så att små kommuner slipper göra allt själva.",
        False,
    ),
    (13, "Börja smått: en gemensam e-tjänst för felanmälan i alla elva organisationer.", False),
    (5, "Bredband och digital kompetens hos medarbetarna är grundförutsättningar.", False),
    (18, "Vi lär oss mer av varandras misslyckanden än av framgångarna – dela dem öppet.", True),
    (21, "Invånarna bryr sig inte om kommungränser; det ska inte heller tjänsterna göra.", False),
    (15, "Små kommuner har kortare beslutsvägar – det är en styrka i samverkan.", False),
    (1, "Gemensamma mål i budgeten, annars blir samverkan bara ord.", False),
    (
        19,
        "Nätverk för digitaliseringsansvariga som träffas varje månad, även mellan träffarna.",
        False,
    ),
    (6, "Hur tar vi med oss de som inte är digitala? Ingen invånare får hamna utanför.", False),
)

# The survey scene: each person's answers to the four Likert items (1–5), and open answers.
LIKERT_KEYS = ("perspective", "mixed_dialogue", "own_dialogue", "next_step")
OPEN_ANSWERS: tuple[tuple[int, str, str], ...] = (
    (0, "takeaway", "Att vi har mer gemensamt än vi tror."),
    (3, "takeaway", "Idéer om en regional kompetenspool."),
    (8, "takeaway", "Kontakter i tre andra kommuner."),
    (13, "wish", "Informationssäkerhet och gemensamma upphandlingar."),
    (18, "wish", "Konkreta exempel från andra regioner."),
    (21, "takeaway", "Att börja smått och göra det tillsammans."),
)


def populate_crowd(room: Room) -> list[str]:
    """Join and connect the groups scene's thirty people; return their ids in CROWD order."""
    org_ids = {org.name: org.id for org in room.series.organisations}
    ids = []
    for name, org, role, attendance in CROWD:
        result = room.join(Join(name, org_ids[org], role, attendance, ""))
        room.attach(result.participant.id)
        ids.append(result.participant.id)
    return ids


EXTRA_FIRST = ("Alva", "Bengt", "Cecilia", "David", "Elin", "Fredrik", "Greta", "Hampus", "Ingrid")
EXTRA_LAST = ("Ahlström", "Björklund", "Carlsson", "Dahlberg", "Ekström", "Forsberg", "Hedlund")


def populate_extra(room: Room, total: int) -> None:
    """Join made-up people until the room holds ``total`` (for the projector's big rooms)."""
    orgs = room.series.organisations
    n = len(room.participants())
    while n < total:
        name = f"{EXTRA_FIRST[n % len(EXTRA_FIRST)]} {EXTRA_LAST[n // 9 % len(EXTRA_LAST)]}-{n}"
        role = ELECTED if n % 3 == 0 else OFFICIAL
        result = room.join(Join(name, orgs[n % len(orgs)].id, role, HERE, ""))
        room.attach(result.participant.id)
        n += 1


def stage_groups(room: Room, people: int = 0) -> None:
    """Stage mixed groups 13 minutes in: five groups, one locked, a remote link, a late one.

    With ``people`` the room is filled up to that many (90 people make 15 groups of six).
    """
    populate_crowd(room)
    populate_extra(room, people)
    live = room.live
    live.start(1, now=time.time() - 13 * 60 - 19)
    rnd = live.make_groups(size=6)
    for number, members in enumerate(rnd.groups):
        person = room.participant(members[0])
        if person is not None and person.attendance == REMOTE:
            live.set_link(number, f"https://meet.example.se/fyrbodal-grupp-{number + 1}")
    name, org, role, attendance = LATE
    org_id = next(o.id for o in room.series.organisations if o.name == org)
    late = room.join(Join(name, org_id, role, attendance, "")).participant.id
    room.attach(late)  # placed by the core, highlighted as "NY"
    settled = live.round()
    assert settled is not None
    live.set_locked(
        next(g for g in range(len(settled.groups)) if late not in settled.groups[g]), True
    )


def stage_wall(room: Room) -> None:
    """Stage mixed groups running with a dozen reflection cards, two of them highlighted."""
    ids = populate_crowd(room)
    live = room.live
    now = time.time()
    live.start(1, now=now - 22 * 60)
    live.make_groups(size=6)
    for n, (author, text, highlighted) in enumerate(CARDS):
        person = room.participant(ids[author])
        assert person is not None
        card = live.reflect(person, Reflect(f"wall-card-{n:04d}", 1, text, 1), now=now - 600 + n)
        if highlighted:
            live.moderate(card.id, highlighted=True)


def stage_survey(room: Room) -> None:
    """Stage the survey phase, with answers from most of the room."""
    ids = populate_crowd(room)
    live = room.live
    live.start(3, now=time.time() - 6 * 60 - 40)
    for n, pid in enumerate(ids[:26]):
        answers: dict[str, int | str] = {
            key: 1 + (n * (k + 2) + k + 3 * (n % 3)) % 5 if n % 4 else 4 + (n + k) % 2
            for k, key in enumerate(LIKERT_KEYS)
        }
        for author, key, text in OPEN_ANSWERS:
            if author == n:
                answers[key] = text
        person = room.participant(pid)
        assert person is not None
        live.answer_survey(person, SurveyAnswers(f"survey-{n:04d}", answers))


AUDIENCE_SCENES = ("audience-join", "audience-groups", "audience-wall", "audience-survey")
SCENES = ("join", "groups", "wall", "survey", *AUDIENCE_SCENES)
DEFAULT_OUT = {
    "join": ROOT / "docs" / "console.png",
    "groups": ROOT / "docs" / "console-groups.png",
    "wall": ROOT / "docs" / "console-wall.png",
    "survey": ROOT / "docs" / "console-survey.png",
    **{scene: ROOT / "docs" / f"{scene}.png" for scene in AUDIENCE_SCENES},
}
AUDIENCE_WIDTH, AUDIENCE_HEIGHT = 1920, 1080


def settle(app: QApplication, ms: int = 400) -> None:
    """Let Qt lay out and paint (and the window manager map the window) before grabbing."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    app.processEvents()


def render(
    app: QApplication,
    scene: str,
    out: Path,
    *,
    whole_screen: bool,
    verbose: bool,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    people: int = 0,
) -> int:
    """Render one scene to ``out``; print the join URL (stdout's first line); return the code."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "screenshot.sqlite3")
        try:
            room = Room(store)
            info = JoinInfo(
                join_url=f"{BASE_URL}/#t={room.room_token}",
                base_url=BASE_URL,
                room_code=room.display_code,
                requested_port=PORT,
                port=PORT,
                loopback_only=False,
            )
            # As many devices as people connected, and this computer: nobody is stuck.
            window = MainWindow(room, info, devices_seen=lambda: (11, 10))
            window.resize(*size)
            kind = scene.removeprefix("audience-")
            pages = {
                "groups": window.groups_view,
                "wall": window.wall,
                "survey": window.survey_view,
            }
            if kind in pages and scene == kind:
                window.tabs.setCurrentWidget(pages[kind])
            window.show()
            audience = window.audience
            if scene != kind:
                # A window of the projector's size; shown normally, since the virtual
                # screen may be smaller than the projector.
                audience.resize(AUDIENCE_WIDTH, AUDIENCE_HEIGHT)
                audience.show()
            settle(app)
            # After show: the views fill live, as in a real session.
            if kind == "join":
                populate(room)
            elif kind == "groups":
                stage_groups(room, people)
                window.groups_view.refresh_now()  # a large room is otherwise drawn in turns
            elif kind == "wall":
                stage_wall(room)
                if scene != kind:
                    audience.set_choice(AudienceView.WALL)  # the facilitator's override
            else:
                stage_survey(room)
            settle(app)
            if verbose:
                qr = window.qr_widget
                print("qr widget", qr.size().toTuple(), "modules", qr.modules(), file=sys.stderr)
            out.parent.mkdir(parents=True, exist_ok=True)
            if scene != kind:
                shot = audience.grab()
            else:
                shot = app.primaryScreen().grabWindow(0) if whole_screen else window.grab()
            # Highest PNG compression: the same pixels, a smaller file for the README.
            if not shot.save(str(out), "PNG", 0):
                print(f"could not write {out}", file=sys.stderr)
                return 1
            window.close()
        finally:
            store.close()
        print(info.join_url)
    print(out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Render the console and save the screenshot(s); return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="the file (default: per scene, under docs/)")
    parser.add_argument("--scene", choices=(*SCENES, "all"), default="join")
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default=i18n.DEFAULT_LANGUAGE)
    parser.add_argument("--verbose", action="store_true", help="print layout sizes")
    parser.add_argument(
        "--size", default=f"{WIDTH}x{HEIGHT}", help="the console window's size, e.g. 1280x720"
    )
    parser.add_argument(
        "--people", type=int, default=0, help="groups scenes: fill the room to N people"
    )
    parser.add_argument(
        "--whole-screen",
        action="store_true",
        help="capture the X screen (proves a real window was mapped) instead of the widget",
    )
    args = parser.parse_args(argv)
    if args.scene == "all" and args.out is not None:
        parser.error("--out names one file: pick one --scene")
    i18n.set_language(args.lang)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QCoreApplication.setApplicationName("Tankesmedja")
    for scene in SCENES if args.scene == "all" else (args.scene,):
        out = args.out if args.out is not None else DEFAULT_OUT[scene]
        width, height = (int(v) for v in args.size.lower().split("x"))
        code = render(
            app,
            scene,
            out,
            whole_screen=args.whole_screen,
            verbose=args.verbose,
            size=(width, height),
            people=args.people,
        )
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
