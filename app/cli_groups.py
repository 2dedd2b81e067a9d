"""``tankesmedja groups``: plan mixed groups for a roster from the command line.

Reads a roster (``.xlsx``, CSV or tab-separated text, see :mod:`app.roster`), plans one or
more rounds of cross-municipality groups (see :mod:`app.grouping`) and writes the plan as
JSON (``{"rounds": [[[id, ...], ...], ...]}``), as CSV (one row per person per round), as
Zoom's breakout-room pre-assignment (``zoom``: needs the roster's e-mail column), as a room
list for Teams or Excel (``rooms``) or as a printable table plan PDF (``plan``, with
``--out``); see :mod:`app.export.rooms`. Every problem with the input is reported on stderr
with exit status 2, never with a traceback.

Where a plan does not reach its bounds at once, the search thinks for up to ``--time-limit``
seconds (default 10) with a progress line on stderr; stderr then says how many pairs meet
again and whether no plan can have fewer, or this is the best found in the time given.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from app.atomic import write_atomic
from app.export.rooms import Seat, rooms_csv, rooms_of, write_table_plan, zoom_csv
from app.grouping import GroupingError, Member, PlanReport, describe, explain, plan_report
from app.i18n import tr
from app.roster import RosterError, RosterRow, read_roster

__all__ = ["MESSAGES", "build_parser", "main"]

#: English messages of the command (organisers' tool); roster errors come from app.roster.
MESSAGES: dict[str, str] = {
    "description": "Plan cross-municipality mixed groups for a roster.",
    "roster_help": "roster CSV with columns id,name,municipality,role,attendance",
    "size_help": "target group size (at least 2)",
    "groups_help": "number of groups (split across in-room and remote participants)",
    "rounds_help": "number of rounds (default 1)",
    "seed_help": "seed for the pseudo-random choices (default 0)",
    "history_help": "earlier plan (JSON as printed here) whose pairs count as already met",
    "format_help": (
        "output format (default json): zoom = Zoom breakout-room pre-assignment CSV,"
        " rooms = room list for Teams/Excel, plan = printable table plan PDF (needs --out)"
    ),
    "out_help": "write to this file instead of standard output",
    "plan_needs_out": "--format plan writes a PDF: give the file with --out",
    "zoom_missing": (
        "{count} people have no e-mail address in the roster and are not in the Zoom file"
    ),
    "out_unwritable": "cannot write {path}: {reason}",
    "explain_help": "also print, on stderr, what each group mixes and which rules it misses",
    "time_limit_help": (
        "seconds to search where a plan with fewer repeats may exist (default 10); the"
        " search stops as soon as no plan can be better"
    ),
    "time_limit_negative": "--time-limit must not be negative",
    "progress": "searching: {seconds:.1f} s of {limit:g} s, {repeats} repeated pair(s) so far",
    "progress_roles": (
        "searching: {seconds:.1f} s of {limit:g} s, {repeats} repeated pair(s) so far,"
        " role balance off by {roles}"
    ),
    "none_meet_twice": "nobody meets anyone twice.",
    "repeats_minimal": "{repeats} pair(s) meet again; no plan can have fewer for these groups.",
    "repeats_known_zero": (
        "{repeats} pair(s) meet again: the best found in the time given; plans where nobody"
        " meets twice are known for this size (try a longer --time-limit)."
    ),
    "repeats_best_found": (
        "{repeats} pair(s) meet again: the best found in the time given (a longer"
        " --time-limit may find fewer)."
    ),
    "repeats_best_found_bound": (
        "{repeats} pair(s) meet again: the best found in the time given (at least {bound}"
        " cannot be avoided; a longer --time-limit may find fewer)."
    ),
    "size_too_small": "--size must be at least 2",
    "groups_too_few": "--groups must be at least 1",
    "rounds_too_few": "--rounds must be at least 1",
    "history_unreadable": "cannot read history {path}: {reason}",
    "history_bad_json": "history {path} is not valid JSON: {reason}",
    "history_bad_shape": (
        'history {path} must look like {{"rounds": [[["id", ...], ...], ...]}}: {reason}'
    ),
    "grouping_error": "cannot make groups: {message}",
    "no_participants": "the roster lists no participants",
    "explain_round": "round {round}",
    "explain_group": "  group {group} ({size} people, {elected} elected): {orgs}",
    "explain_issue": "    - {text}",
}

CSV_COLUMNS = ("round", "group", "id", "name", "municipality", "role", "attendance")

#: Seconds the search may think by default where a plan is not at its bounds at once.
DEFAULT_TIME_LIMIT = 10.0


class _UsageError(Exception):
    """An input problem to report on stderr with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (also used to show ``--help`` from the main command)."""
    parser = argparse.ArgumentParser(prog="tankesmedja groups", description=MESSAGES["description"])
    parser.add_argument("--roster", required=True, type=Path, help=MESSAGES["roster_help"])
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--size", type=int, metavar="G", help=MESSAGES["size_help"])
    how.add_argument("--groups", type=int, metavar="K", help=MESSAGES["groups_help"])
    parser.add_argument("--rounds", type=int, default=1, metavar="R", help=MESSAGES["rounds_help"])
    parser.add_argument("--seed", type=int, default=0, metavar="S", help=MESSAGES["seed_help"])
    parser.add_argument("--history", type=Path, metavar="PLAN.json", help=MESSAGES["history_help"])
    parser.add_argument(
        "--format",
        choices=("json", "csv", "zoom", "rooms", "plan"),
        default="json",
        help=MESSAGES["format_help"],
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help=MESSAGES["out_help"])
    parser.add_argument("--explain", action="store_true", help=MESSAGES["explain_help"])
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        metavar="SECONDS",
        help=MESSAGES["time_limit_help"],
    )
    return parser


def _read_history(path: Path) -> list[list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _UsageError(MESSAGES["history_unreadable"].format(path=path, reason=reason)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _UsageError(MESSAGES["history_bad_json"].format(path=path, reason=exc)) from None

    def bad(reason: str) -> _UsageError:
        return _UsageError(MESSAGES["history_bad_shape"].format(path=path, reason=reason))

    if not isinstance(data, dict) or not isinstance(data.get("rounds"), list):
        raise bad('no "rounds" list')
    for r, round_groups in enumerate(data["rounds"]):
        if not isinstance(round_groups, list):
            raise bad(f"round {r} is not a list of groups")
        for g, group in enumerate(round_groups):
            if not isinstance(group, list) or not all(isinstance(i, str) for i in group):
                raise bad(f"round {r}, group {g} is not a list of id strings")
    return data["rounds"]


def _write_csv(
    out: TextIO, plan: Sequence[Sequence[Sequence[str]]], rows: dict[str, RosterRow]
) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r, round_groups in enumerate(plan, start=1):
        for g, group in enumerate(round_groups, start=1):
            for pid in group:
                row = rows[pid]
                writer.writerow(
                    (r, g, pid, row.name, row.municipality, row.role.value, row.attendance.value)
                )


def _write_explanation(
    err: TextIO,
    plan: Sequence[Sequence[Sequence[str]]],
    members: list[Member],
    history: list[list[list[str]]],
) -> None:
    earlier = list(history)
    for r, round_groups in enumerate(plan, start=1):
        print(MESSAGES["explain_round"].format(round=r), file=err)
        for group in explain(round_groups, members, earlier):
            orgs = ", ".join(f"{name} {count}" for name, count in group.organisations)
            print(
                MESSAGES["explain_group"].format(
                    group=group.index + 1, size=group.size, elected=group.elected, orgs=orgs
                ),
                file=err,
            )
            for issue in group.issues:
                print(MESSAGES["explain_issue"].format(text=describe(issue)), file=err)
        earlier.append([list(g) for g in round_groups])


def _emit(path: Path | None, out: TextIO, data: bytes) -> None:
    if path is None:
        out.write(data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"))
        return
    try:
        write_atomic(path, lambda handle: handle.write(data))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _UsageError(MESSAGES["out_unwritable"].format(path=path, reason=reason)) from None


def _write_rooms(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    plan: Sequence[Sequence[Sequence[str]]],
    roster: list[RosterRow],
) -> None:
    seats = {
        r.id: Seat(r.name or r.id, r.municipality, r.attendance.value, r.email) for r in roster
    }
    every = [rooms_of(groups, seats, n, len(plan)) for n, groups in enumerate(plan, start=1)]
    if args.format == "plan":
        if args.out is None:
            raise _UsageError(MESSAGES["plan_needs_out"])
        # Under each round's heading the tables are just "Grupp 3".
        rounds = [
            (tr("rooms_plan_round", round=n), rooms_of(groups, seats, n, 1))
            for n, groups in enumerate(plan, start=1)
        ]
        try:
            write_table_plan(args.out, tr("rooms_plan_title"), rounds, time.time())
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise _UsageError(
                MESSAGES["out_unwritable"].format(path=args.out, reason=reason)
            ) from None
        return
    rooms = [room for round_rooms in every for room in round_rooms]
    if args.format == "zoom":
        data, missing = zoom_csv(rooms)
        if missing:
            print(f"tankesmedja groups: {MESSAGES['zoom_missing'].format(count=missing)}", file=err)
    else:
        data = rooms_csv(rooms)
    _emit(args.out, out, data)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    if args.size is not None and args.size < 2:
        raise _UsageError(MESSAGES["size_too_small"])
    if args.groups is not None and args.groups < 1:
        raise _UsageError(MESSAGES["groups_too_few"])
    if args.rounds < 1:
        raise _UsageError(MESSAGES["rounds_too_few"])
    if not args.time_limit >= 0:  # also refuses nan
        raise _UsageError(MESSAGES["time_limit_negative"])
    try:
        roster = read_roster(args.roster)
    except RosterError as exc:  # says which file, line and column, and what is wrong there
        raise _UsageError(str(exc)) from None
    if not roster:
        raise _UsageError(MESSAGES["no_participants"])
    history = _read_history(args.history) if args.history is not None else []
    members = [Member(r.id, r.municipality, r.role, r.attendance) for r in roster]
    progress = _Progress(err, args.time_limit)
    try:
        report = plan_report(
            members,
            args.rounds,
            size=args.size,
            groups=args.groups,
            history=history,
            seed=args.seed,
            time_limit=args.time_limit,
            progress=progress,
        )
    except GroupingError as exc:
        raise _UsageError(MESSAGES["grouping_error"].format(message=exc)) from None
    finally:
        progress.close()
    plan = report.rounds
    if args.format in ("json", "csv"):
        text = io.StringIO()
        if args.format == "json":
            json.dump({"rounds": plan}, text)
            text.write("\n")
        else:
            _write_csv(text, plan, {r.id: r for r in roster})
        _emit(args.out, out, text.getvalue().encode("utf-8"))
    else:
        _write_rooms(args, out, err, plan, roster)
    if args.explain:
        _write_explanation(err, plan, members, history)
    if args.rounds > 1 or history:
        print(summary(report), file=err)


def summary(report: PlanReport) -> str:
    """Say how many pairs meet again in a plan and whether fewer is possible."""
    if report.repeated_pairs == 0:
        return MESSAGES["none_meet_twice"]
    values = {"repeats": report.repeated_pairs, "bound": report.repeat_bound}
    if report.minimal:
        return MESSAGES["repeats_minimal"].format(**values)
    if report.known_zero:
        return MESSAGES["repeats_known_zero"].format(**values)
    key = "repeats_best_found_bound" if report.repeat_bound else "repeats_best_found"
    return MESSAGES[key].format(**values)


class _Progress:
    """The progress line on stderr: rewritten in place on a terminal, else a line a second."""

    def __init__(self, err: TextIO, limit: float) -> None:
        self.err = err
        self.limit = limit
        self.tty = err.isatty()
        self.shown = False
        self.last = -1.0

    def __call__(self, seconds: float, repeats: int, roles: int = 0) -> None:
        if not self.tty and seconds - self.last < 1.0:
            return
        self.last = seconds
        key = "progress_roles" if roles else "progress"
        line = MESSAGES[key].format(seconds=seconds, limit=self.limit, repeats=repeats, roles=roles)
        self.err.write(f"\r{line}\x1b[K" if self.tty else f"{line}\n")
        self.err.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and self.tty:
            self.err.write("\n")


def main(argv: list[str] | None = None) -> int:
    """Run ``tankesmedja groups``.

    Args:
        argv: The arguments after ``groups`` (default: ``sys.argv[1:]``).

    Returns:
        0 on success, 2 on bad input (with a message on stderr).
    """
    args = build_parser().parse_args(argv)  # exits with status 2 on malformed arguments
    try:
        _run(args, sys.stdout, sys.stderr)
    except _UsageError as exc:
        print(f"tankesmedja groups: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
