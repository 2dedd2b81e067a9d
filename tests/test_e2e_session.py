"""A whole session end to end: real WebSocket clients (bots) against the real server on 127.0.0.1.

The bots behave like the participant page (outbox, resend after reconnect); the test plays the
facilitator through ``room.live`` and checks what every page saw and what SQLite holds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable

from app.model import Attendance, GroupKind, GroupRound
from app.room import Room
from app.store import Store
from room_server.server import RoomServer
from tankesmedja.rehearsal.bots import Bot, make_profiles, rehearse

MIXED, MUNICIPALITY, SURVEY = 1, 2, 3  # phase indexes of the sample program


async def until(condition: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)


async def eventually(check: Callable[[], None], timeout: float = 3.0) -> None:
    """Retry an assertion while live messages may still be on their way."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if loop.time() > end:
                raise
        await asyncio.sleep(0.02)


async def make_groups(room: Room) -> GroupRound:
    live = room.live
    job = live.group_job()
    groups = await asyncio.get_running_loop().run_in_executor(None, job.run)
    return live.apply_groups(job, groups)


async def drained(bots: Iterable[Bot]) -> None:
    await asyncio.gather(*(b.wait_drained(5.0) for b in bots))


def in_phase(bots: Iterable[Bot], index: int, grouped: bool = False) -> Callable[[], bool]:
    def check() -> bool:
        return all(
            b.state is not None
            and b.state["phase"] is not None
            and b.state["phase"]["index"] == index
            and (not grouped or b.state["group"] is not None)
            for b in bots
        )

    return check


def check_delivery(room: Room, bots: list[Bot], rnd: GroupRound) -> None:
    """Each page saw exactly its own group's cards of the phase: all of them, nobody else's."""
    live = room.live
    for bot in bots:
        group = rnd.group_of(bot.participant_id)
        assert group is not None
        mates = set(rnd.groups[group])
        seen = {cid for cid, card in bot.seen.items() if card["phase"] == rnd.phase_index}
        expected = {
            c.id
            for c in live.cards()
            if c.phase_index == rnd.phase_index and c.participant_id in mates and not c.withdrawn
        }
        assert expected <= seen, (bot.name, expected - seen)
        for cid in seen:
            card = live.card(cid)
            assert card is not None and card.participant_id in mates, (bot.name, cid)
        live_from_mates = [
            c for c in bot.card_messages if c["phase"] == rnd.phase_index and not c["mine"]
        ]
        assert live_from_mates or len(mates) == 1, f"{bot.name} got no card live"
        for live_card in bot.card_messages:
            if live_card["phase"] != rnd.phase_index:
                continue
            author = live.card(live_card["id"])
            assert author is not None and author.participant_id in mates


async def test_full_session_with_real_clients(room: Room, store: Store, server: RoomServer) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws"
    profiles = make_profiles(24, seed=7, remote_share=0.25)
    assert len({p.organisation for p in profiles}) == 11
    assert sum(p.attendance == "remote" for p in profiles) == 6
    bots = [Bot(url, room.room_token, p, seed=i) for i, p in enumerate(profiles)]
    live = room.live
    try:
        # -- join --------------------------------------------------------------------------
        await asyncio.gather(*(b.start() for b in bots))
        ids = {b.participant_id for b in bots}
        assert len(ids) == 24 and None not in ids
        stored_people = {p.id: p for p in store.participants(room.session.id)}
        assert set(stored_people) == ids
        for bot in bots:
            person = stored_people[bot.participant_id]
            assert person.name == bot.name
            assert room.organisation_name(person.organisation_id) == bot.profile.organisation
            assert person.attendance.value == bot.profile.attendance
        by_id = {b.participant_id: b for b in bots}

        live.start(0)
        await until(in_phase(bots, 0), what="inspiration on every page")

        # -- mixed groups ------------------------------------------------------------------
        live.next_phase()
        mixed = await make_groups(room)
        assert mixed.kind == GroupKind.MIXED
        placed = [pid for g in mixed.groups for pid in g]
        assert sorted(placed) == sorted(ids)  # every present participant exactly once
        for members in mixed.groups:
            modes = {stored_people[pid].attendance for pid in members}
            assert len(modes) == 1, "remote and in-room people share a mixed group"
            assert len({stored_people[pid].organisation_id for pid in members}) > 1
        await until(in_phase(bots, MIXED, grouped=True), what="mixed groups on every page")
        for bot in bots:
            group = bot.state["group"]
            names = {m["name"] for m in group["members"]}
            number = mixed.group_of(bot.participant_id)
            assert names == {stored_people[pid].name for pid in mixed.groups[number]}

        first = {b.name: await b.submit_reflection(MIXED, f"Tanke från {b.name}") for b in bots}
        await drained(bots)

        # An edit and a withdrawal of acknowledged cards.
        editor, withdrawer = bots[2], bots[3]
        assert await editor.edit_reflection(first[editor.name], "Ändrad tanke") == 2
        await withdrawer.withdraw_reflection(first[withdrawer.name])
        await drained([editor, withdrawer])

        # Cut after the server stored the card but before the client saw the ack.
        cut = bots[0]
        cut_card = await cut.submit_reflection(MIXED, "Skickat precis när nätet gick")
        await cut.drop_connection(offline=60)
        await until(lambda: live.card(cut_card) is not None, what="the cut card to be stored")
        assert cut_card not in cut.acked and cut.pending == 1

        # Offline for a while, writing and editing cards that only the outbox holds.
        away = bots[1]
        await away.drop_connection(offline=60)
        await until(lambda: not room.is_connected(away.participant_id), what="the server to notice")
        queued = [
            await away.submit_reflection(MIXED, "Skrivet utan nät 1"),
            await away.submit_reflection(MIXED, "Skrivet utan nät 2"),
        ]
        await away.edit_reflection(queued[0], "Skrivet utan nät 1, ändrat")
        assert away.pending == 2 and all(live.card(c) is None for c in queued)

        await cut.reconnect()
        await away.reconnect()
        await drained(bots)
        assert cut.reconnects == 1 and away.reconnects == 1
        assert {cut_card, *queued} <= cut.acked | away.acked
        assert live.card(queued[0]).text == "Skrivet utan nät 1, ändrat"
        assert live.card(queued[0]).revision == 2
        # Back in the same group, with the group's cards on the page again.
        assert cut.state["group"] is not None and away.state["group"] is not None
        await eventually(lambda: check_delivery(room, bots, mixed))
        # The group saw the withdrawal live.
        mates = mixed.groups[mixed.group_of(withdrawer.participant_id)]

        def saw_withdrawal() -> None:
            for pid in mates:
                if pid != withdrawer.participant_id:
                    got = [c for c in by_id[pid].card_messages if c["id"] == first[withdrawer.name]]
                    assert got and got[-1]["withdrawn"] is True

        await eventually(saw_withdrawal)

        # -- municipality groups ----------------------------------------------------------
        live.next_phase()
        municipality = await make_groups(room)
        assert municipality.kind == GroupKind.MUNICIPALITY
        assert sorted(pid for g in municipality.groups for pid in g) == sorted(ids)
        # In the room and remote together, nobody alone (issue 15): an organisation with
        # two or more people sits only with its own; those alone from theirs share a group.
        per_org = Counter(stored_people[pid].organisation_id for pid in ids)
        for members in municipality.groups:
            assert len(members) >= 2
            orgs = {stored_people[pid].organisation_id for pid in members}
            assert sum(per_org[o] > 1 for o in orgs) <= 1
        await until(in_phase(bots, MUNICIPALITY, grouped=True), what="municipality groups")
        for bot in bots:
            await bot.submit_reflection(MUNICIPALITY, f"För {bot.profile.organisation}: ett steg")
        await drained(bots)
        late = await bots[5].submit_reflection(MUNICIPALITY, "Andra kortet")
        await bots[5].drop_connection(offline=60)  # cut again, in the second group phase
        await bots[5].reconnect()
        await drained(bots)
        assert late in bots[5].acked
        await eventually(lambda: check_delivery(room, bots, municipality))

        # -- survey ------------------------------------------------------------------------
        live.next_phase()
        await until(in_phase(bots, SURVEY), what="the survey on every page")
        items = bots[0].state["survey"]["items"]
        assert {i["kind"] for i in items} == {"likert", "open"}
        for n, bot in enumerate(bots):
            answers: dict[str, int | str] = {
                i["key"]: (n % 5) + 1 if i["kind"] == "likert" else f"Svar från {bot.name}"
                for i in items
            }
            await bot.answer_survey(answers)
        await bots[6].drop_connection(offline=60)  # its ack may never have arrived
        await bots[6].reconnect()
        await drained(bots)

        live.next_phase()  # closing
        live.next_phase()  # end
        await until(lambda: all(b.state["phase"] is None for b in bots), what="the end")
    finally:
        await asyncio.gather(*(b.close() for b in bots))

    # -- nothing lost, nothing duplicated: ask the file itself --------------------------------
    assert not [e for b in bots for e in b.errors]
    written = {cid: card for b in bots for cid, card in b.cards.items()}
    check = Store(store.path)
    try:
        assert check.integrity_ok()
        rows = check.reflections(room.session.id)
        answers_rows = check.survey_answers(room.session.id)
        people = check.participants(room.session.id)
    finally:
        check.close()
    assert len(people) == 24
    assert sorted(r.id for r in rows) == sorted(written)  # each id exactly once, none extra
    assert {r.phase_index for r in rows} == {MIXED, MUNICIPALITY}
    acked = {cid for b in bots for cid in b.acked}
    assert acked == set(written)
    for row in rows:
        card = written[row.id]
        assert row.participant_id == next(b for b in bots if row.id in b.cards).participant_id
        assert (row.text, row.revision, row.withdrawn) == (card.text, card.revision, card.withdrawn)
    assert sum(r.withdrawn for r in rows) == 1
    # Cards were filed in the writer's group of that phase.
    for row in rows:
        rnd = mixed if row.phase_index == MIXED else municipality
        assert row.group_no == rnd.group_of(row.participant_id)
    by_person: dict[str, dict[str, int | str]] = {}
    for pid, item, value, text in answers_rows:
        by_person.setdefault(pid, {})[item] = value if value is not None else text
    assert len(by_person) == 24
    for bot in bots:
        assert by_person[bot.participant_id] == bot.surveys[-1].answers
    assert room.live.survey_results().respondents == 24
    remote_people = [p for p in people if p.attendance == Attendance.REMOTE]
    assert len(remote_people) == 6


async def test_rehearsal_bots_join_and_act_on_their_own(room: Room, server: RoomServer) -> None:
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{server.port}"  # the short address works too
    bots = await rehearse(url, room.room_token, 12, seed=3, stop=stop, think=(0.0, 0.05))
    try:
        assert len(room.participants()) == 12
        live = room.live
        live.start(MIXED)
        await make_groups(room)
        await asyncio.gather(*(b.wait_acted(MIXED, 5.0) for b in bots))
        await drained(bots)
        assert all(1 <= len(b.cards) <= 3 for b in bots)
        assert {c.phase_index for c in live.cards()} == {MIXED}
        live.start(SURVEY)
        await asyncio.gather(*(b.wait_acted(SURVEY, 5.0) for b in bots))
        await drained(bots)
        assert live.survey_results().respondents == 12
    finally:
        stop.set()
    await until(lambda: not any(room.is_connected(p.id) for p in room.participants()))


async def test_an_edit_queued_past_the_end_of_its_phase_is_refused_not_resent(
    room: Room, server: RoomServer
) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws"
    anna, per = (Bot(url, room.room_token, p, seed=i) for i, p in enumerate(make_profiles(2, 9)))
    try:
        await anna.start()
        await per.start()
        live = room.live
        live.start(MIXED)
        await make_groups(room)
        card = await anna.submit_reflection(MIXED, "Första versionen")
        await anna.wait_drained()
        await anna.drop_connection(offline=60)
        await anna.edit_reflection(card, "Ändrad utan nät")
        live.next_phase()  # the mixed groups close while the edit waits in the outbox
        await anna.reconnect()
        await anna.wait_drained()  # refused for good: it leaves the outbox, is not resent
        assert anna.refused == {card: "phase_closed"}
        assert live.card(card).text == "Första versionen"
        # A new card for the closed phase, written while it was open, is still kept.
        await anna.drop_connection(offline=60)
        late = await anna.submit_reflection(MIXED, "Skrivet innan momentet stängdes")
        await anna.reconnect()
        await anna.wait_drained()
        assert live.card(late) is not None and late in anna.acked
    finally:
        await asyncio.gather(anna.close(), per.close())
