"""Group commit on real SQLite files: batching, failures that stay alone, and no early acks."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from app.commit import CommitterClosed, GroupCommitter
from app.model import Reflection
from app.room import Room
from app.store import Store
from room_server.server import RoomServer

from .test_hardening import joined_client
from .ui_helpers import join

MIXED = 1


def card(room: Room, participant_id: str, n: int, text: str = "") -> Reflection:
    return Reflection(
        id=f"card-{n:05d}",
        session_id=room.session.id,
        participant_id=participant_id,
        phase_index=MIXED,
        round_id=None,
        group_no=None,
        organisation_id=room.participant(participant_id).organisation_id,  # type: ignore[union-attr]
        text=text or f"Kort nummer {n}",
        revision=0,
        created_at=1.0 + n,
        updated_at=1.0 + n,
    )


def stored_ids(path: Path) -> list[str]:
    """What is on disk, read through a connection of its own."""
    db = sqlite3.connect(path)
    try:
        return [row[0] for row in db.execute("SELECT id FROM reflections ORDER BY id")]
    finally:
        db.close()


async def test_writes_offered_together_share_one_commit(room: Room, store: Store) -> None:
    pid = join(room, "Alva", 0)
    committer = GroupCommitter(store.path)
    cards = [card(room, pid, n) for n in range(50)]
    results = await asyncio.gather(
        *(committer.write(lambda st, c=c: st.put_reflection(c)) for c in cards)
    )
    assert results == cards  # each write returns the row as stored
    assert committer.largest_batch == 50
    assert committer.batches == 1
    assert stored_ids(store.path) == sorted(c.id for c in cards)
    # A resend of an already stored revision changes nothing.
    other = replace(cards[0], text="Ändrad utan ny revision")
    assert await committer.write(lambda st: st.put_reflection(other)) == cards[0]
    await committer.close()


async def test_a_failing_write_fails_alone(room: Room, store: Store) -> None:
    pid = join(room, "Bo", 1)
    committer = GroupCommitter(store.path)
    good = [card(room, pid, n) for n in range(3)]
    # Their author was erased a moment before the card arrived: the foreign key refuses it.
    orphan = replace(card(room, pid, 99), participant_id="erased-person")
    outcomes = await asyncio.gather(
        *(committer.write(lambda st, c=c: st.put_reflection(c)) for c in [*good[:2], orphan]),
        committer.write(lambda st: st.put_reflection(good[2])),
        return_exceptions=True,
    )
    assert outcomes[:2] == good[:2] and outcomes[3] == good[2]
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    assert committer.batches == 1
    assert stored_ids(store.path) == [c.id for c in good]
    await committer.close()


async def test_a_failed_commit_fails_every_write_in_it_and_stores_none(
    room: Room, store: Store
) -> None:
    pid = join(room, "Cecilia", 2)
    committer = GroupCommitter(store.path)
    # Fail fast instead of waiting five seconds for the lock below.
    await committer.write(lambda st: st._db.execute("PRAGMA busy_timeout = 50"))
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    cards = [card(room, pid, n) for n in range(4)]
    outcomes = await asyncio.gather(
        *(committer.write(lambda st, c=c: st.put_reflection(c)) for c in cards),
        return_exceptions=True,
    )
    assert all(isinstance(o, sqlite3.OperationalError) for o in outcomes), outcomes
    blocker.execute("ROLLBACK")
    blocker.close()
    assert stored_ids(store.path) == []
    # The writer is still usable once the database is free again.
    assert await committer.write(lambda st: st.put_reflection(cards[0])) == cards[0]
    assert stored_ids(store.path) == [cards[0].id]
    await committer.close()


async def test_close_commits_what_is_still_pending(room: Room, store: Store) -> None:
    pid = join(room, "Dan", 3)
    committer = GroupCommitter(store.path)
    cards = [card(room, pid, n) for n in range(20)]
    tasks = [
        asyncio.create_task(committer.write(lambda st, c=c: st.put_reflection(c))) for c in cards
    ]
    await asyncio.sleep(0)  # the writes are offered, none committed yet
    await committer.close()
    assert [t.result() for t in tasks] == cards
    assert stored_ids(store.path) == [c.id for c in cards]
    with pytest.raises(CommitterClosed):
        await committer.write(lambda st: st.put_reflection(cards[0]))


async def test_a_burst_from_many_participants_is_acked_after_few_commits(
    server: RoomServer, room: Room
) -> None:
    room.live.start(MIXED)
    clients = [await joined_client(server, room, f"Person {n}") for n in range(30)]
    batches_before = server.commit_stats[0]
    for n, client in enumerate(clients):
        await client.send(
            {"type": "reflect", "id": f"burst-{n:04d}", "phase": MIXED, "text": f"Tanke {n}"}
        )
    acks = [await c.recv_type("ack") for c in clients]
    assert sorted(a["id"] for a in acks) == [f"burst-{n:04d}" for n in range(30)]
    batches, largest = server.commit_stats
    # The exact split depends on timing; one fsync per card would be 30 commits.
    assert batches - batches_before < 30 and largest > 1
    assert stored_ids(room.store.path) == [f"burst-{n:04d}" for n in range(30)]
    assert len(room.live.cards()) == 30
    for client in clients:
        await client.close()


async def test_a_full_disk_gets_no_ack_and_the_resend_is_stored_once(
    server: RoomServer, room: Room
) -> None:
    room.live.start(MIXED)
    client = await joined_client(server, room, "Eva")
    committer = server._committer
    assert committer is not None
    # The writer's database may grow no more: the next card does not fit.
    await committer.write(lambda st: st._db.execute("PRAGMA max_page_count = 1"))
    message = {"type": "reflect", "id": "full-0001", "phase": MIXED, "text": "å" * 2000}
    await client.send(message)
    error = await client.recv_type("error")
    assert (error["code"], error["ref"]) == ("server_error", "full-0001")
    assert stored_ids(room.store.path) == []
    assert room.live.card("full-0001") is None  # the console shows nothing unstored
    # Space again (someone emptied the disk): the page's outbox sends the card again.
    await committer.write(lambda st: st._db.execute("PRAGMA max_page_count = 1073741823"))
    await client.send(message)
    ack = await client.recv_type("ack")
    assert ack == {"type": "ack", "id": "full-0001", "revision": 0}
    await client.send(message)  # and once more, as after a lost ack
    assert (await client.recv_type("ack"))["id"] == "full-0001"
    assert stored_ids(room.store.path) == ["full-0001"]
    await client.close()


async def test_a_write_raising_systemexit_fails_alone_and_spares_the_loop(
    room: Room, store: Store
) -> None:
    pid = join(room, "Frida", 4)
    committer = GroupCommitter(store.path)
    good = card(room, pid, 1)

    def rude(_store: Store) -> None:
        raise SystemExit(3)  # must not end the caller's event loop

    outcomes = await asyncio.gather(
        committer.write(rude),
        committer.write(lambda st: st.put_reflection(good)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], RuntimeError) and "SystemExit" in str(outcomes[0])
    assert outcomes[1] == good
    assert stored_ids(store.path) == [good.id]
    await committer.close()
