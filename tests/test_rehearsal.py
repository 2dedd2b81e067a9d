"""A rehearsal never mixes with real data (issue 16): marked when stored, left out of every
export, removed in one step. Real bots over the real server, a real SQLite file, real PDFs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.export import export_all
from app.export.data import load
from app.model import GroupKind
from app.protocol import parse
from app.room import Room
from app.store import Store
from room_server.server import RoomServer
from tankesmedja.rehearsal import bots


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(path).pages).split())


async def test_rehearsal_people_are_marked_left_out_of_exports_and_removed_in_one_step(
    tmp_path: Path, store: Store, room: Room, server: RoomServer
) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws"
    real = [
        bots.Bot(url, room.room_token, profile, seed=i)
        for i, profile in enumerate(bots.make_profiles(4, seed=77))
    ]
    # A page that sends a made-up rehearsal key is a real participant like any other.
    forged = bots.Bot(
        url, room.room_token, bots.make_profiles(1, seed=78)[0], rehearsal_key="x" * 32
    )
    made_up: list[bots.Bot] = []
    try:
        for bot in [*real, forged]:
            await bot.start(15)
        made_up = await bots.rehearse(
            url, room.room_token, 12, seed=5, rehearsal_key=room.rehearsal_key, think=(0, 0)
        )
        real_ids = {b.participant_id for b in [*real, forged]}
        fake_ids = {b.participant_id for b in made_up}
        stored = {p.id: p.rehearsal for p in store.participants(room.session.id)}
        assert stored == {**dict.fromkeys(real_ids, False), **dict.fromkeys(fake_ids, True)}
        assert {p.id for p in room.rehearsal_participants()} == fake_ids

        # Everyone in the groups, everyone writes a card, as in the tried day.
        room.live.start(1)
        room.live.make_groups(size=4)
        for i, who in enumerate(room.participants()):
            text = f"{'FAKE' if who.rehearsal else 'REAL'}-{i:02d}"
            message = {"type": "reflect", "id": f"card-{i:04d}", "phase": 1, "text": text}
            room.live.reflect(who, parse(json.dumps(message)))  # type: ignore[arg-type]
    finally:
        for bot in [*real, forged, *made_up]:
            await bot.close()

    snapshot = load(store.path)
    [session] = [s for s in snapshot.sessions if s.session.id == room.session.id]
    assert {p.id for p in session.participants} == real_ids
    assert all(not r.text.startswith("FAKE") for r in session.all_reflections)
    assert len(session.reflections) == len(real_ids)
    members = {m for rnd in session.rounds for g in rnd.groups for m in g}
    assert members == real_ids and session.rounds[0].kind == GroupKind.MIXED

    files = export_all(store.path, tmp_path / "out", names=True)
    fake_names = {b.name for b in made_up}
    for path in files:
        if path.suffix == ".pdf":
            text = pdf_text(path)
        elif path.suffix in (".csv", ".json"):
            text = path.read_text("utf-8")
        else:
            continue
        assert "FAKE-" not in text, path.name
        assert not [n for n in fake_names if n in text], path.name
    people_csv = next(p for p in files if p.name.endswith(".csv") and "particip" in p.name)
    with people_csv.open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f, delimiter=";"))) == len(real_ids)

    assert room.remove_rehearsal() == 12
    assert {p.id for p in store.participants(room.session.id)} == real_ids
    assert {p.id for p in room.participants()} == real_ids
    assert {m for g in room.live.round(1).groups for m in g} == real_ids  # type: ignore[union-attr]
    assert room.remove_rehearsal() == 0


@pytest.mark.parametrize("key", [None, "short"])
def test_a_join_without_the_rooms_key_is_never_rehearsal(room: Room, key: str | None) -> None:
    org = room.series.organisations[0].id
    message = {"type": "join", "name": "Anna", "organisation_id": org, "role": "elected"}
    message |= {"attendance": "in_room"}
    if key is not None:
        message["rehearsal_key"] = key
        with pytest.raises(Exception, match="rehearsal_key"):
            parse(json.dumps(message))
        return
    result = room.join(parse(json.dumps(message)))  # type: ignore[arg-type]
    assert result.participant.rehearsal is False


def test_a_version_5_workshop_gets_the_rehearsal_mark_and_keeps_its_people(
    tmp_path: Path,
) -> None:
    import sqlite3

    from app.model import Attendance, Role
    from app.protocol import Join

    path = tmp_path / "old.sqlite3"
    store = Store(path)
    room = Room(store)
    org = room.series.organisations[0].id
    anna = room.join(Join("Anna", org, Role.ELECTED, Attendance.IN_ROOM, "")).participant
    store.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE participants DROP COLUMN rehearsal")
    db.execute("ALTER TABLE roster DROP COLUMN email")  # version 7's
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    store = Store(path)
    try:
        [back] = store.participants(anna.session_id)
        assert back.id == anna.id and back.rehearsal is False
    finally:
        store.close()
