"""``tankesmedja simulate``: rehearse a whole session headless with N simulated participants.

It opens the workshop database in a folder (creating the sample workshop if needed), starts
the real room server on 127.0.0.1, lets N :class:`~tankesmedja.rehearsal.bots.Bot`
participants join over real WebSocket connections and drives the session's program through the same
:class:`~app.live.Live` the console uses: inspiration, mixed groups, municipality groups,
survey, closing. In the middle of the mixed-group phase it cuts some participants' connections
while they have unacknowledged or unsent cards; they reconnect and deliver their outbox.

At the end it checks the database through a second, independent connection: every card
written is stored exactly once with its last revision, every acknowledged card and survey is
stored, nothing appears that nobody wrote, and SQLite's integrity check passes. The data stays
in the folder, so the exports can be tried on it.

Run it as ``tankesmedja simulate --participants 88`` or
``python -m tankesmedja.rehearsal.simulate``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.live import Live
from app.model import REFLECTION_PHASES, PhaseKind
from app.paths import simulation_data_dir
from app.room import Room
from app.store import DB_NAME, Store, StoreError
from room_server.server import RoomServer
from tankesmedja.rehearsal.bots import Bot, CardRecord, make_profiles

MAX_PARTICIPANTS = 1000
REMOTE_SHARE = 0.15
CUT_SHARE = 0.1  # share of participants whose connection is cut mid-phase
PHASE_TIMEOUT = 30.0  # seconds the bots get to act in one phase

log = logging.getLogger(__name__)


@dataclass
class SimulationReport:
    """What a simulated session did and what the database holds afterwards."""

    participants: int
    data_file: Path
    seed: int = 0
    session_label: str = ""
    url: str = ""
    joined: int = 0
    stored_participants: int = 0
    remote: int = 0
    elected: int = 0
    groups: dict[str, int] = field(default_factory=dict)  # phase title -> groups made
    submitted_by_phase: dict[str, int] = field(default_factory=dict)
    reflections_submitted: int = 0
    reflections_acked: int = 0
    reflections_stored: int = 0
    edits: int = 0
    withdrawn: int = 0
    survey_submitted: int = 0
    survey_acked: int = 0
    survey_stored: int = 0
    survey_answers_stored: int = 0
    cuts_unacked: int = 0  # cut right after sending, before the ack could arrive
    cuts_offline: int = 0  # offline for a while, writing cards into the outbox
    reconnects: int = 0
    lost: int = 0
    duplicated: int = 0
    stale: int = 0  # stored, but not the last revision the participant wrote
    errors: int = 0
    timeouts: list[str] = field(default_factory=list)
    integrity_ok: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing was lost, duplicated or stale and the database is sound."""
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.stale == 0
            and self.integrity_ok
            and self.joined == self.participants == self.stored_participants
            and self.survey_stored == self.survey_submitted
        )

    def summary(self) -> list[str]:
        """Return the short human summary, one line per item."""
        groups = "; ".join(f"{title}: {count} groups" for title, count in self.groups.items())
        phases = ", ".join(f"{title} {n}" for title, n in self.submitted_by_phase.items())
        in_room = self.joined - self.remote
        return [
            f"Simulated session: {self.session_label}, {self.participants} participants, "
            f"seed {self.seed}",
            f"  joins        {self.joined} of {self.participants} joined, "
            f"{self.stored_participants} stored ({in_room} in room, {self.remote} remote, "
            f"{self.elected} elected)",
            f"  groups       {groups or 'none'}",
            f"  reflections  submitted {self.reflections_submitted}, acked "
            f"{self.reflections_acked}, stored {self.reflections_stored} ({phases}; "
            f"{self.edits} edited, {self.withdrawn} withdrawn)",
            f"  survey       answers from {self.survey_submitted} participants, acked "
            f"{self.survey_acked}, stored {self.survey_stored} "
            f"({self.survey_answers_stored} answers)",
            f"  reconnects   {self.reconnects} ({self.cuts_unacked} cut before their ack "
            f"arrived, {self.cuts_offline} offline with queued cards)",
            f"  checks       lost {self.lost}, duplicated {self.duplicated}, stale {self.stale}, "
            f"errors {self.errors}, integrity {'ok' if self.integrity_ok else 'FAILED'}"
            + (f", timeouts: {'; '.join(self.timeouts)}" if self.timeouts else ""),
            f"  data         {self.data_file} (kept for export)",
            f"  time         {self.seconds:.1f} s",
            f"  result       {'OK' if self.ok else 'FAILED'}",
        ]


async def _make_groups(live: Live) -> int:
    """Group the present participants for the current phase, off the loop; return the count."""
    job = live.group_job()
    groups = await asyncio.get_running_loop().run_in_executor(None, job.run)
    return len(live.apply_groups(job, groups).groups)


async def _wait_all(
    report: SimulationReport, what: str, waits: Sequence[asyncio.Future[None]]
) -> None:
    results = await asyncio.gather(*waits, return_exceptions=True)
    failed = sum(isinstance(r, BaseException) for r in results)
    if failed:
        report.timeouts.append(f"{failed} {what}")


async def _cut_connections(bots: Sequence[Bot], phase: int, report: SimulationReport) -> None:
    """Cut some bots' connections mid-phase while they have cards the server has not acked.

    Half of them send a card and lose the connection at once, so the server stores it but the
    ack never arrives; the other half go offline for a while and write a card meanwhile.
    """
    unacked, offline = bots[: len(bots) // 2], bots[len(bots) // 2 :]
    for bot in unacked:
        await bot.submit_reflection(phase, "Skrivet precis innan nätet försvann i salen.")
        await bot.drop_connection(offline=0.3)
        report.cuts_unacked += bot.pending > 0
    for bot in offline:
        await bot.drop_connection(offline=0.8)
    await asyncio.sleep(0.1)
    for bot in offline:
        await bot.submit_reflection(
            phase, "Skrivet utan uppkoppling, skickas när nätet är tillbaka."
        )
        report.cuts_offline += bot.pending > 0


async def simulate(
    data_dir: Path,
    participants: int,
    seed: int,
    *,
    session: int | None = None,
    out: Callable[[str], object] = print,
) -> SimulationReport:
    """Run a complete scripted session with simulated participants and check the database.

    Args:
        data_dir: folder of the workshop database (created with the sample if needed).
        participants: number of simulated participants.
        seed: the same seed gives the same people and the same behaviour.
        session: session (träff) number; default the last used one.
        out: where the summary lines go.

    Returns:
        The report; ``report.ok`` says whether nothing was lost or duplicated.

    Raises:
        StoreError: if the folder or database cannot be used.
        ValueError: for a session number the series does not have.
    """
    started = time.monotonic()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{data_dir}: {exc.strerror or exc}") from exc
    store = Store(data_dir / DB_NAME)
    try:
        room = Room(store, session)
        report = SimulationReport(participants, store.path, seed)
        report.session_label = (
            f"{room.series.name}, träff {room.session.number} ({room.session.theme})"
        )
        run_started = time.time()
        bots = await _run_session(room, participants, seed, report)
    finally:
        store.close()
    titles = {i: p.title for i, p in enumerate(room.live.program)}
    _verify(report, bots, room.session.id, run_started, titles)
    report.seconds = time.monotonic() - started
    for line in report.summary():
        out(line)
    return report


async def _run_session(room: Room, n: int, seed: int, report: SimulationReport) -> list[Bot]:
    live = room.live
    server = RoomServer(room, "127.0.0.1", 0)
    await server.start()
    url = f"ws://127.0.0.1:{server.port}/ws"
    report.url = url
    profiles = make_profiles(n, seed, remote_share=REMOTE_SHARE)
    bots = [
        Bot(url, room.room_token, p, seed=seed * 100_000 + i, autoplay=True, think=(0.02, 0.4))
        for i, p in enumerate(profiles)
    ]
    try:
        await _wait_all(report, "bots could not join", [b.start(20.0) for b in bots])
        report.joined = sum(b.participant_id is not None for b in bots)
        report.remote = sum(p.attendance == "remote" for p in profiles)
        report.elected = sum(p.role == "elected" for p in profiles)
        # Every tenth participant (at least two) loses the connection in the mixed groups.
        cut = bots[:: max(1, round(1 / CUT_SHARE))] if n >= 2 else []
        if len(cut) < 2 <= n:
            cut = bots[:2]
        for index, phase in enumerate(live.program):
            live.start(index)
            if phase.kind in REFLECTION_PHASES:
                report.groups[phase.title] = await _make_groups(live)
                if phase.kind == PhaseKind.MIXED_GROUPS and cut:
                    await asyncio.sleep(0.05)  # the bots are thinking about their cards
                    await _cut_connections(cut, index, report)
                    cut = []
            if phase.kind in REFLECTION_PHASES or phase.kind == PhaseKind.SURVEY:
                await _wait_all(
                    report,
                    f"bots did not act in {phase.title}",
                    [b.wait_acted(index, PHASE_TIMEOUT) for b in bots],
                )
                await _wait_all(
                    report,
                    f"outboxes not drained in {phase.title}",
                    [b.wait_drained(PHASE_TIMEOUT) for b in bots],
                )
            else:
                await asyncio.sleep(0.1)
        live.next_phase()  # end the program, as the facilitator does after the closing
    finally:
        await server.stop()
        await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
    return bots


def _verify(
    report: SimulationReport,
    bots: Sequence[Bot],
    session_id: int,
    run_started: float,
    titles: dict[int, str],
) -> None:
    """Check the database against what the bots wrote, over a separate connection."""
    ids = {b.participant_id for b in bots if b.participant_id is not None}
    written: dict[str, CardRecord] = {cid: c for b in bots for cid, c in b.cards.items()}
    report.reconnects = sum(b.reconnects for b in bots)
    report.errors = sum(len(b.errors) for b in bots)
    report.reflections_submitted = len(written)
    report.reflections_acked = sum(c.acked_revision >= 0 for c in written.values())
    report.edits = sum(c.revision > 1 + c.withdrawn for c in written.values())
    report.withdrawn = sum(c.withdrawn for c in written.values())
    report.submitted_by_phase = dict(
        Counter(titles.get(c.phase, str(c.phase)) for c in written.values())
    )

    check = Store(report.data_file)
    try:
        report.integrity_ok = check.integrity_ok()
        joined_now = [p for p in check.participants(session_id) if p.joined_at >= run_started]
        rows = [r for r in check.reflections(session_id) if r.participant_id in ids]
        answers = [a for a in check.survey_answers(session_id) if a[0] in ids]
    finally:
        check.close()

    report.stored_participants = len(joined_now)
    count = Counter(r.id for r in rows)
    stored = {r.id: r for r in rows}
    report.reflections_stored = len(stored)
    report.duplicated = (
        sum(c - 1 for c in count.values())  # the same id twice (the primary key forbids it)
        + sum(cid not in written for cid in stored)  # a card nobody wrote
        + len({p.id for p in joined_now} - ids)  # a second participant for one person
    )
    # Lost: a card that was not withdrawn, or was withdrawn after the server had it, is missing.
    lost = {
        cid
        for cid, card in written.items()
        if cid not in stored and (not card.withdrawn or card.acked_before_withdrawal)
    }
    stale = 0
    for cid, row in stored.items():
        card = written.get(cid)
        if card is None:
            continue
        if card.withdrawn:
            stale += not row.withdrawn
        elif (row.text, row.revision, row.withdrawn) != (card.text, card.revision, False):
            stale += 1

    by_person: dict[str, dict[str, int | str]] = {}
    for pid, item, value, text in answers:
        by_person.setdefault(pid, {})[item] = value if value is not None else text
    report.survey_answers_stored = len(answers)
    answered = [b for b in bots if b.surveys]
    report.survey_submitted = len(answered)
    report.survey_acked = sum(all(s.acked for s in b.surveys) for b in answered)
    for bot in answered:
        expected: dict[str, int | str] = {}
        for record in bot.surveys:
            if not record.replaced and record.id not in bot.refused:
                expected.update(record.answers)
        got = by_person.get(bot.participant_id or "")
        if got is None:
            lost.add(f"survey:{bot.participant_id}")
        elif got != expected:
            stale += 1
        else:
            report.survey_stored += 1
    report.lost = len(lost)
    report.stale = stale


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= value <= MAX_PARTICIPANTS:
        raise argparse.ArgumentTypeError(f"choose 1 to {MAX_PARTICIPANTS} participants")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tankesmedja simulate``'s options."""
    parser = argparse.ArgumentParser(
        prog="tankesmedja simulate",
        description=(
            "Rehearse a whole session without a window: simulated participants join the real "
            "room server on 127.0.0.1, write cards, lose their connection and answer the "
            "survey; then the database is checked. The data is kept in the folder."
        ),
    )
    parser.add_argument(
        "--participants", type=_count, required=True, help="number of simulated participants"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the rehearsal's database (default: a 'simulation' folder beside the"
        " real workshop, so made-up people never reach its exports)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--session", type=int, default=None, help="session (träff) number (default: last used)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``tankesmedja simulate``; return 0 if nothing was lost or duplicated."""
    args = build_parser().parse_args(argv)
    data_dir = args.data_dir if args.data_dir is not None else simulation_data_dir()
    try:
        report = asyncio.run(simulate(data_dir, args.participants, args.seed, session=args.session))
    except (StoreError, ValueError, OSError) as exc:
        print(f"tankesmedja simulate: {exc}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(main())
