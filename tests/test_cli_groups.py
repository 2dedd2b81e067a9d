"""``tankesmedja groups``: run as main([...]) with temp files, plus one real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli_groups import main

FYRBODAL = {"Uddevalla": 14, "Trollhättan": 13, "Vänersborg": 11, "Lysekil": 7, "Dals-Ed": 5}


def roster_text(sep: str = ",", *, swedish: bool = False, remote_every: int = 0) -> str:
    role = ("förtroendevald", "tjänsteperson") if swedish else ("elected", "official")
    where = ("på plats", "på distans") if swedish else ("in_room", "remote")
    lines = [sep.join(("id", "name", "municipality", "role", "attendance"))]
    n = 0
    for org, count in FYRBODAL.items():
        for j in range(count):
            n += 1
            away = remote_every and n % remote_every == 0
            cells = (f"{org[:3]}{j}", f"Person {n}", org, role[j % 3 != 0], where[bool(away)])
            lines.append(sep.join(cells))
    return "\n".join(lines) + "\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, roster_text(remote_every=10))
    code, out, err = run(["--roster", str(path), "--size", "6", "--rounds", "3"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["rounds"]
    assert len(data["rounds"]) == 3
    ids = sorted(line.split(",")[0] for line in roster_text().splitlines()[1:])
    for groups in data["rounds"]:
        assert sorted(i for g in groups for i in g) == ids
        assert all(isinstance(i, str) for g in groups for i in g)
    # The same arguments give the same plan; --seed changes it.
    assert run(["--roster", str(path), "--size", "6", "--rounds", "3"], capsys)[1] == out
    again = run(["--roster", str(path), "--size", "6", "--rounds", "3", "--seed", "4"], capsys)
    assert again[1] != out


def test_csv_plan_one_row_per_person_per_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, roster_text())
    code, out, _ = run(
        ["--roster", str(path), "--groups", "8", "--rounds", "2", "--format", "csv"], capsys
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["round", "group", "id", "name", "municipality", "role", "attendance"]
    assert len(rows) == 2 * 50
    assert {r["round"] for r in rows} == {"1", "2"}
    assert {r["group"] for r in rows} == {str(g) for g in range(1, 9)}
    first = next(r for r in rows if r["id"] == "Udd0")
    assert (first["municipality"], first["role"], first["attendance"]) == (
        "Uddevalla",
        "elected",
        "in_room",
    )


def test_semicolon_bom_cp1252_roster_reads_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = roster_text(";", swedish=True, remote_every=5)
    cp1252 = write(tmp_path, text.replace("\n", "\r\n"), "cp1252", "a.csv")
    bom = write(tmp_path, "\ufeff" + text, "utf-8", "b.csv")
    outputs = []
    for path in (cp1252, bom):
        code, out, err = run(["--roster", str(path), "--size", "5"], capsys)
        assert code == 0, err
        outputs.append(json.loads(out))
    assert outputs[0] == outputs[1]


def test_history_pairs_count_as_met(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, roster_text())
    _, first, _ = run(["--roster", str(path), "--size", "5", "--rounds", "2"], capsys)
    earlier = json.loads(first)
    earlier["rounds"][0][0].append("not-in-roster")  # ignored
    history = tmp_path / "plan.json"
    history.write_text(json.dumps(earlier))
    code, out, err = run(
        ["--roster", str(path), "--size", "5", "--history", str(history), "--explain"], capsys
    )
    assert code == 0, err
    met = {frozenset((a, b)) for r in earlier["rounds"] for g in r for a in g for b in g if a != b}
    (groups,) = json.loads(out)["rounds"]
    assert not any(frozenset((a, b)) in met for g in groups for a in g for b in g if a != b)
    assert "round 1" in err and "group 1" in err


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "id,name,role,attendance\n1,A,elected,remote\n",
            ["line 1", "missing column", "municipality"],
        ),
        (
            "id,name,municipality,role,attendance\n1,A,U,elected,remote\n2,B,U,mayor,remote\n",
            ["line 3", "unknown role", "mayor"],
        ),
        (
            "id;name;municipality;role;attendance\n1;A;U;elected;online\n",
            ["line 2", "unknown attendance", "online"],
        ),
        (
            "id,name,municipality,role,attendance\n1,A,U,elected,remote\n1,B,V,official,remote\n",
            ["line 3", "duplicate id", "line 2"],
        ),
        ("id,name,municipality,role,attendance\n,A,U,elected,remote\n", ["line 2", "empty id"]),
        ("id,name,municipality,role,attendance\n", ["no participants"]),
    ],
)
def test_bad_rosters_exit_2_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: list[str]
) -> None:
    path = write(tmp_path, text)
    code, out, err = run(["--roster", str(path), "--size", "4"], capsys)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    for word in words:
        assert word in err


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--size", "1"], "--size must be at least 2"),
        (["--groups", "0"], "--groups must be at least 1"),
        (["--size", "4", "--rounds", "0"], "--rounds must be at least 1"),
        (["--groups", "500"], "500 groups"),
        (["--size", "4", "--history", "MISSING"], "cannot read history"),
        (["--size", "4", "--history", "BADJSON"], "not valid JSON"),
        (["--size", "4", "--history", "BADSHAPE"], "must look like"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], words: str
) -> None:
    path = write(tmp_path, roster_text())
    write(tmp_path, "{not json", name="BADJSON")
    write(tmp_path, '{"rounds": [[["a", 1]]]}', name="BADSHAPE")
    extra = [str(tmp_path / e) if e in {"MISSING", "BADJSON", "BADSHAPE"} else e for e in extra]
    code, out, err = run(["--roster", str(path), *extra], capsys)
    assert (code, out) == (2, "")
    assert words in err and "Traceback" not in err


def test_missing_roster_file_and_argparse_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["--roster", str(tmp_path / "nope.csv"), "--size", "4"], capsys)
    assert code == 2 and "cannot read the roster" in err
    for args in (
        ["--size", "4"],
        ["--roster", "x.csv"],
        ["--roster", "x", "--size", "4", "--groups", "2"],
    ):
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2
    assert "usage: tankesmedja groups" in capsys.readouterr().err


def test_runs_as_a_module(tmp_path: Path) -> None:
    path = write(tmp_path, roster_text(";", swedish=True), "cp1252")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli_groups", "--roster", str(path), "--size", "6"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["rounds"]) == 1
    bad = write(tmp_path, "id,name\n1,A\n", name="bad.csv")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli_groups", "--roster", str(bad), "--size", "6"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 2
    assert "line 1" in result.stderr and "Traceback" not in result.stderr


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    path = write(tmp_path, roster_text(remote_every=7))
    outputs = set()
    for hash_seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "app.cli_groups", "--roster", str(path), "--size", "5"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def golfer_roster(people: int) -> str:
    lines = ["id,name,municipality,role,attendance"]
    lines += [f"p{i},Person {i},Org {i},official,in_room" for i in range(people)]
    return "\n".join(lines) + "\n"


def test_kirkman_schoolgirls_meet_nobody_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, golfer_roster(15))
    code, out, err = run(["--roster", str(path), "--size", "3", "--rounds", "7"], capsys)
    assert code == 0, err
    rounds = json.loads(out)["rounds"]
    met: set[tuple[str, str]] = set()
    for groups in rounds:
        assert sorted(i for g in groups for i in g) == sorted(f"p{i}" for i in range(15))
        assert all(len(g) == 3 for g in groups)
        for g in groups:
            pairs = {(a, b) for a in g for b in g if a < b}
            assert not pairs & met
            met |= pairs
    assert len(met) == 105  # every pair of the 15 met exactly once
    assert "nobody meets anyone twice" in err


def test_unavoidable_repeats_are_said_to_be_minimal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, golfer_roster(15))
    code, out, err = run(["--roster", str(path), "--size", "3", "--rounds", "8"], capsys)
    assert code == 0, err
    assert "15 pair(s) meet again; no plan can have fewer" in err


def test_summary_says_what_is_known() -> None:
    from app.cli_groups import summary
    from app.grouping import PlanReport

    def report(repeats: int, bound: int, known: bool) -> str:
        return summary(PlanReport([], repeats, bound, known, repeats <= bound))

    assert report(0, 0, True) == "nobody meets anyone twice."
    assert "no plan can have fewer" in report(4, 4, False)
    assert "known for this size" in report(3, 0, True)
    text = report(3, 1, False)
    assert "best found in the time given" in text and "at least 1 cannot" in text
    assert "at least" not in report(3, 0, False)


def test_progress_line_on_a_terminal_and_in_a_log() -> None:
    from app.cli_groups import _Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    progress = _Progress(term, 10)
    progress(0.5, 7)
    progress(1.0, 3)
    progress.close()
    assert term.getvalue().count("\r") == 2 and term.getvalue().endswith("\n")
    assert "3 repeated pair(s) so far" in term.getvalue()
    assert "role balance" not in term.getvalue()
    term = Terminal()
    _Progress(term, 10)(2.0, 0, 5)
    assert "0 repeated pair(s) so far, role balance off by 5" in term.getvalue()
    log = io.StringIO()
    progress = _Progress(log, 10)
    for seconds in (0.5, 1.0, 1.5, 2.6):
        progress(seconds, 2)
    progress.close()
    # One line a second at most (0.5, 1.5, 2.6), never a carriage return in a log.
    assert log.getvalue().count("\n") == 3 and "\r" not in log.getvalue()
    assert "searching: 1.5 s of 10 s" in log.getvalue()


@pytest.mark.parametrize("limit", ["-1", "nan"])
def test_bad_time_limit_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    path = write(tmp_path, golfer_roster(9))
    code, _, err = run(["--roster", str(path), "--size", "3", "--time-limit", limit], capsys)
    assert code == 2 and "--time-limit" in err and "Traceback" not in err
