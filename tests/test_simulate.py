"""``tankesmedja simulate`` as a user runs it, plus the sample participants it makes."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.model import PhaseKind
from app.store import Store
from tankesmedja.rehearsal import simulate
from tankesmedja.rehearsal.bots import FYRBODAL_WEIGHTS, apportion, make_profiles, ws_url

ROOT = Path(__file__).resolve().parent.parent


def test_simulate_command_runs_a_whole_session_and_keeps_the_data(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tankesmedja.rehearsal.simulate", "--participants", "30"]
        + ["--data-dir", str(tmp_path), "--seed", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "lost 0" in out and "duplicated 0" in out, out
    assert "30 of 30 joined" in out and "integrity ok" in out and "result       OK" in out

    store = Store(tmp_path / simulate.DB_NAME)
    try:
        assert store.integrity_ok()
        series = store.series()
        assert series is not None
        session = series.sessions[0]
        people = store.participants(session.id)
        assert len(people) == 30
        ids = {p.id for p in people}
        cards = store.reflections(session.id)
        kinds = {session.program[c.phase_index].kind for c in cards}
        assert kinds == {PhaseKind.MIXED_GROUPS, PhaseKind.MUNICIPALITY}
        assert {c.participant_id for c in cards} <= ids
        writers = {c.participant_id for c in cards if not c.withdrawn}
        assert len(writers) == 30  # everyone wrote at least one card
        answers = store.survey_answers(session.id)
        assert {a[0] for a in answers} == ids
        assert len(answers) == 30 * len(session.survey)
        assert {r.phase_index for r in store.rounds(series.id)} == {1, 2}
    finally:
        store.close()


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        simulate.main(["--participants", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        simulate.main([])
    assert "--participants" in capsys.readouterr().err


def test_profiles_follow_the_fyrbodal_proportions() -> None:
    people = make_profiles(88, seed=5, remote_share=0.2)
    assert Counter(p.organisation for p in people) == dict(FYRBODAL_WEIGHTS)
    assert len({p.name for p in people}) == 88
    assert sum(p.role == "elected" for p in people) == round(88 * 0.35)
    assert sum(p.attendance == "remote" for p in people) == round(88 * 0.2)
    assert not any(p.role == "elected" for p in people if "kommunalförbund" in p.organisation)
    assert make_profiles(88, seed=5, remote_share=0.2) == people  # reproducible
    assert sum(apportion(30, [w for _, w in FYRBODAL_WEIGHTS])) == 30
    assert apportion(0, [1, 2]) == [0, 0]


def test_server_addresses_become_websocket_addresses() -> None:
    assert ws_url("http://127.0.0.1:8765") == "ws://127.0.0.1:8765/ws"
    assert ws_url("http://127.0.0.1:8765/#t=abc") == "ws://127.0.0.1:8765/ws"
    assert ws_url("ws://127.0.0.1:9/ws") == "ws://127.0.0.1:9/ws"
