"""The live session core on a real SQLite file: clock, groups, cards, survey, restart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.cards import on_wall, page_sees
from app.live import FramesOut, PhaseStatus
from app.model import Attendance, GroupKind, Participant, Phase, PhaseKind, Role
from app.protocol import ErrorCode, Join, ProtocolError, Reflect, SurveyAnswers, Withdraw, parse
from app.room import Room
from app.store import Store

MIXED, MUNI, SURVEY = 1, 2, 3  # indices of the sample program's phases


def populate(room: Room, n: int, remote_every: int = 0) -> list[Participant]:
    orgs = room.series.organisations
    people = []
    for i in range(n):
        attendance = (
            Attendance.REMOTE if remote_every and i % remote_every == 0 else Attendance.IN_ROOM
        )
        role = Role.ELECTED if i % 3 == 0 else Role.OFFICIAL
        result = room.join(Join(f"P{i}", orgs[i % len(orgs)].id, role, attendance, ""))
        room.attach(result.participant.id)
        people.append(result.participant)
    return people


def reflect(room: Room, who: Participant, cid: str, text: str, phase: int = MIXED, rev: int = 0):
    # Through the wire parser, as the server does: it cleans the text.
    message = parse(
        json.dumps({"type": "reflect", "id": cid, "phase": phase, "text": text, "revision": rev})
    )
    assert isinstance(message, Reflect)
    return room.live.reflect(who, message)


def test_clock_start_pause_add_time_next_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite3"
    room = Room(Store(path))
    live = room.live
    assert live.clock.status == PhaseStatus.WAITING and live.phase is None
    live.start(0, now=1000.0)
    assert live.clock.seconds_left(1000.0) == 45 * 60
    live.pause(now=1100.0)
    assert live.clock.status == PhaseStatus.PAUSED
    assert live.clock.seconds_left(99999.0) == 45 * 60 - 100
    live.add_time(60)
    live.resume(now=2000.0)
    assert live.clock.seconds_left(2000.0) == 45 * 60 - 100 + 60
    live.next_phase(now=3000.0)
    assert (live.clock.index, live.phase.kind) == (1, PhaseKind.MIXED_GROUPS)  # type: ignore[union-attr]
    saved = live.clock
    other = Store(path)
    assert Room(other).live.clock == saved
    other.close()
    for _ in range(5):
        live.next_phase()
    assert live.clock.status == PhaseStatus.ENDED and live.phase is None


def test_program_is_editable_and_validated(room: Room) -> None:
    live = room.live
    program = (*live.program[:2], Phase(PhaseKind.CLOSING, "Slut", 5, "Tack"))
    live.set_program(program)
    assert Room(room.store).live.program == program
    with pytest.raises(ValueError):
        live.set_program(())
    with pytest.raises(ValueError):
        live.set_program((Phase(PhaseKind.CLOSING, "", 5),))


def test_mixed_groups_respect_hard_rules_and_history(room: Room) -> None:
    people = populate(room, 30, remote_every=4)
    live = room.live
    live.start(MIXED)
    rnd = live.make_groups(size=6)
    assert rnd.kind == GroupKind.MIXED
    placed = [pid for g in rnd.groups for pid in g]
    assert sorted(placed) == sorted(p.id for p in people)
    by_id = {p.id: p for p in people}
    for group in rnd.groups:
        assert len({by_id[pid].attendance for pid in group}) == 1
    # Earlier mixed rounds of the series count as history for later phases.
    assert live.history(MIXED + 1) == (rnd.groups,)
    assert live.history(MIXED) == ()


def test_absent_people_are_left_out_and_late_joiners_placed_without_moving_others(
    room: Room,
) -> None:
    people = populate(room, 18)
    room.detach(people[0].id)
    live = room.live
    live.start(MIXED)
    before = live.make_groups(size=6)
    assert before.group_of(people[0].id) is None
    late = room.join(
        Join("Sen", room.series.organisations[3].id, Role.ELECTED, Attendance.IN_ROOM, "")
    ).participant
    room.attach(late.id)
    after = live.round()
    assert after is not None and late.id in after.late
    assert after.group_of(late.id) is not None
    for number, group in enumerate(before.groups):
        assert set(group) <= set(after.groups[number])
    # Coming back after being away counts as arriving late too.
    room.attach(people[0].id)
    assert live.round().group_of(people[0].id) is not None  # type: ignore[union-attr]


def test_move_lock_reshuffle_undo(room: Room) -> None:
    people = populate(room, 24)
    live = room.live
    live.start(MIXED)
    rnd = live.make_groups(size=6)
    mover = rnd.groups[0][0]
    live.move(mover, 1)
    assert live.round().group_of(mover) == 1  # type: ignore[union-attr]
    live.undo()
    assert live.round().groups == rnd.groups  # type: ignore[union-attr]
    live.set_locked(2, True)
    locked = live.round().groups[2]  # type: ignore[union-attr]
    job = live.group_job(size=6, reshuffle=True)
    reshuffled = live.apply_groups(job, job.run())
    assert reshuffled.groups[2] == locked and 2 in reshuffled.locked
    assert sorted(p for g in reshuffled.groups for p in g) == sorted(p.id for p in people)
    live.set_link(1, " https://meet.example/room-2 ")
    assert live.round().link(1) == "https://meet.example/room-2"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        live.move(mover, 99)


def test_municipality_groups_are_single_organisation(room: Room) -> None:
    people = populate(room, 33)
    live = room.live
    live.start(MUNI)
    rnd = live.make_groups()
    org = {p.id: p.organisation_id for p in people}
    assert all(len({org[pid] for pid in group}) == 1 for group in rnd.groups)
    assert sum(len(g) for g in rnd.groups) == 33


def test_reflections_are_idempotent_editable_and_closed_with_the_phase(
    room: Room, store: Store
) -> None:
    a, b, *_ = populate(room, 12)
    live = room.live
    with pytest.raises(ProtocolError) as err:
        reflect(room, a, "card-0001", "too early")
    assert err.value.code == ErrorCode.NO_REFLECTIONS
    live.start(MIXED)
    live.make_groups(size=6)
    first = reflect(room, a, "card-0001", "Vi behöver  <b>samverka</b>")
    again = reflect(room, a, "card-0001", "Vi behöver  <b>samverka</b>")
    assert first == again and first.text == "Vi behöver <b>samverka</b>"
    assert [r.id for r in store.reflections(room.session.id)] == ["card-0001"]
    edited = reflect(room, a, "card-0001", "Ändrad", rev=1)
    assert edited.revision == 1 and store.reflection("card-0001").text == "Ändrad"  # type: ignore[union-attr]
    stale = reflect(room, a, "card-0001", "gammal", rev=0)
    assert stale.text == "Ändrad"
    with pytest.raises(ProtocolError) as err:
        reflect(room, b, "card-0001", "kapning", rev=5)
    assert err.value.code == ErrorCode.NOT_YOURS
    audience = live.card_audience(edited)
    assert a.id in audience and all(
        live.round().group_of(pid) == live.round().group_of(a.id)  # type: ignore[union-attr]
        for pid in audience
    )
    live.next_phase()
    with pytest.raises(ProtocolError) as err:
        reflect(room, a, "card-0001", "för sent", rev=2)
    assert err.value.code == ErrorCode.PHASE_CLOSED
    # A card written during the phase that only arrives now (outbox) is kept.
    late = reflect(room, b, "card-0002", "från utkorgen", phase=MIXED)
    assert late.phase_index == MIXED and store.reflection("card-0002") is not None


def test_withdraw_and_moderation(room: Room, store: Store) -> None:
    a, *_ = populate(room, 6)
    live = room.live
    live.start(MIXED)
    card = reflect(room, a, "card-0003", "text")
    live.moderate(card.id, highlighted=True)
    assert store.reflection(card.id).highlighted  # type: ignore[union-attr]
    live.withdraw(a, Withdraw(card.id, 1))
    assert store.reflection(card.id).withdrawn  # type: ignore[union-attr]
    assert live.group_cards(MIXED, a.id) == []
    assert live.withdraw(a, Withdraw(card.id, 1)).withdrawn  # type: ignore[union-attr]


def test_survey_answers_and_results(room: Room) -> None:
    people = populate(room, 4)
    live = room.live
    live.start(SURVEY)
    live.answer_survey(people[0], SurveyAnswers("s-000001", {"perspective": 5, "takeaway": "Mod"}))
    live.answer_survey(people[1], SurveyAnswers("s-000002", {"perspective": 3}))
    live.answer_survey(people[0], SurveyAnswers("s-000003", {"perspective": 4}))
    results = live.survey_results()
    perspective = results.likert[0]
    assert perspective.counts == (0, 0, 1, 1, 0)
    assert perspective.mean == 3.5
    assert perspective.by_organisation[people[0].organisation_id] == (0, 0, 0, 1, 0)
    assert results.open_answers["takeaway"] == ((people[0].organisation_id, "Mod"),)
    for bad in ({"perspective": 6}, {"perspective": "5"}, {"nope": 1}, {"takeaway": 3}):
        with pytest.raises(ProtocolError):
            live.answer_survey(people[2], SurveyAnswers("s-000004", bad))  # type: ignore[arg-type]
    assert Room(room.store).live.answers(people[0].id) == {"perspective": 4, "takeaway": "Mod"}


def test_state_message_for_a_group_member(room: Room) -> None:
    a, *_ = populate(room, 12)
    live = room.live
    live.start(MIXED, now=0.0)
    live.make_groups(size=6)
    reflect(room, a, "card-0009", "hej")
    state = live.state_message(a, now=60.0)
    assert state["phase"]["kind"] == "mixed_groups"
    assert state["phase"]["remaining_ms"] == (40 * 60 - 60) * 1000
    assert state["group"]["number"] == live.round().group_of(a.id) + 1  # type: ignore[union-attr]
    own = live.frames.public_key(a.id)  # the key ``joined`` gives a's page
    assert [m["name"] for m in state["group"]["members"] if m["key"] == own] == ["P0"]
    assert [c["author_key"] for c in state["cards"]] == [own]
    assert [c["text"] for c in state["cards"]] == ["hej"]


def test_a_withdrawal_that_overtakes_its_card_keeps_the_card_withdrawn(
    room: Room, store: Store
) -> None:
    a, *_ = populate(room, 6)
    room.live.start(MIXED)
    room.live.withdraw(a, Withdraw("card-late-01", 1))
    # The card itself arrives afterwards, e.g. over a half-dead old connection.
    card = reflect(room, a, "card-late-01", "kom sent", rev=0)
    assert card.withdrawn
    stored = store.reflection("card-late-01")
    assert stored is not None and stored.withdrawn and stored.text == ""
    assert room.live.group_cards(MIXED, a.id) == []


def test_survey_answers_wait_for_the_survey_phase(room: Room) -> None:
    a, *_ = populate(room, 2)
    room.live.start(MIXED)
    with pytest.raises(ProtocolError) as err:
        room.live.answer_survey(a, SurveyAnswers("s-000009", {"perspective": 4}))
    assert err.value.code == ErrorCode.NO_SURVEY
    assert room.live.answers(a.id) == {}
    room.live.start(SURVEY)
    room.live.answer_survey(a, SurveyAnswers("s-000009", {"perspective": 4}))
    room.live.next_phase()  # from the outbox, after the survey closed: still kept
    room.live.answer_survey(a, SurveyAnswers("s-000010", {"perspective": 5}))
    assert room.live.answers(a.id) == {"perspective": 5}


def test_late_joiners_stay_out_of_locked_groups(room: Room) -> None:
    populate(room, 12)
    live = room.live
    live.start(MIXED)
    rnd = live.make_groups(size=6)
    live.set_locked(0, True)
    for i in range(3):
        late = room.join(
            Join(f"Sen{i}", room.series.organisations[i].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
        ).participant
        room.attach(late.id)
        assert live.round().group_of(late.id) == 1  # type: ignore[union-attr]
    assert live.round().groups[0] == rnd.groups[0]  # type: ignore[union-attr]


def test_a_room_wide_state_broadcast_matches_each_persons_own_state(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    people = populate(room, 14, remote_every=5)
    live = room.live
    live.start(MIXED)
    live.make_groups(size=4)
    for n, who in enumerate(people[:10]):
        reflect(room, who, f"kort-{n:04d}", f"Tanke {n}")
    late = room.join(
        Join("Utan grupp", room.series.organisations[0].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
    ).participant  # not connected: no group
    reflect(room, late, "kort-sen1", "Eget kort")
    everyone = [*people, late]
    together = dict((p.id, m) for p, m in live.state_messages(everyone, now=5000.0))
    for who in everyone:
        alone = live.state_message(who, now=5000.0)
        assert json.dumps(together[who.id], sort_keys=True) == json.dumps(alone, sort_keys=True)
        group = alone["group"]
        if who is late:
            assert group is None and [c["id"] for c in alone["cards"]] == ["kort-sen1"]
            continue
        own = live.frames.public_key(who.id)
        assert [m["key"] == own for m in group["members"]].count(True) == 1
        mates = set(live.round().groups[live.round().group_of(who.id)])
        for card in alone["cards"]:
            author = live.card(card["id"]).participant_id
            assert author in mates
            assert (card["author_key"] == own) == (author == who.id)
    room.store.close()


# -- a write planned, then committed on the writer's thread, then applied: what can happen
# in between (the room server's path, made deterministic here) --------------------------------


def planned(room: Room, who: Participant, cid: str, text: str, rev: int):
    message = parse(
        json.dumps({"type": "reflect", "id": cid, "phase": MIXED, "text": text, "revision": rev})
    )
    assert isinstance(message, Reflect)
    return room.live.plan_reflect(who, message)


def commit_and_apply(room: Room, pending) -> None:
    pending.apply(pending.write(room.store) if pending.write is not None else None)


def test_two_tabs_sending_one_revision_leave_memory_as_the_store_has_it(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    [anna, *_] = populate(room, 4)
    room.live.start(MIXED)
    reflect(room, anna, "kort-0001", "Första")
    tab_a = planned(room, anna, "kort-0001", "Från flik A", 1)
    tab_b = planned(room, anna, "kort-0001", "Från flik B", 1)  # both edited revision 0
    stored_a, stored_b = tab_a.write(room.store), tab_b.write(room.store)
    tab_a.apply(stored_a)
    tab_b.apply(stored_b)
    on_disk = room.store.reflection("kort-0001")
    assert on_disk is not None and on_disk.text == "Från flik A"  # the first of equals wins
    assert room.live.card("kort-0001") == on_disk
    room.store.close()


def test_moderation_while_an_edit_is_on_its_way_keeps_both(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    [anna, *_] = populate(room, 4)
    live = room.live
    live.start(MIXED)
    reflect(room, anna, "kort-0001", "Första")
    # Hidden between the edit's check and its commit: the edit must not show it again.
    edit = planned(room, anna, "kort-0001", "Andra", 1)
    live.moderate("kort-0001", hidden=True)
    commit_and_apply(room, edit)
    for card in (room.store.reflection("kort-0001"), live.card("kort-0001")):
        assert card is not None and (card.text, card.revision, card.hidden) == ("Andra", 1, True)
    # Highlighted between the edit's commit and its apply: the click is not undone in memory.
    edit = planned(room, anna, "kort-0001", "Tredje", 2)
    stored = edit.write(room.store)
    live.moderate("kort-0001", highlighted=True)
    edit.apply(stored)
    for card in (room.store.reflection("kort-0001"), live.card("kort-0001")):
        assert card is not None and (card.text, card.highlighted, card.hidden) == (
            "Tredje",
            True,
            True,
        )
    room.store.close()


def test_an_erasure_between_commit_and_apply_brings_nothing_back(tmp_path: Path) -> None:
    room = Room(Store(tmp_path / "w.sqlite3"))
    [anna, bo, *_] = populate(room, 4)
    live = room.live
    live.start(MIXED)
    card = planned(room, anna, "hemlig-0001", "Hemliga ord", 0)
    stored = card.write(room.store)
    live.start(SURVEY)
    answers = SurveyAnswers("svar-0001", {"perspective": 5, "takeaway": "Hemligt svar"})
    survey = live.plan_survey(anna, answers)
    survey_stored = survey.write(room.store)  # type: ignore[misc]
    room.erase_participant(anna.id)
    card.apply(stored)
    survey.apply(survey_stored)
    assert live.card("hemlig-0001") is None
    assert room.store.reflection("hemlig-0001") is None
    assert live.survey_results().respondents == 0
    assert bo.id in {p.id for p in room.participants()}
    room.store.close()


def test_applying_a_card_returns_its_frames_as_data(tmp_path: Path) -> None:
    # The reflect route ends in the core: apply decides who sees the card and encodes it once
    # per kind of reader; the server only writes the frames.
    room = Room(Store(tmp_path / "w.sqlite3"))
    people = populate(room, 12)
    live = room.live
    live.start(MIXED)
    live.make_groups(size=6)
    anna = people[0]
    rnd = live.round()
    assert rnd is not None
    number = rnd.group_of(anna.id)
    assert number is not None
    group = set(rnd.groups[number])
    pending = planned(room, anna, "kort-0001", "Tillsammans", 0)
    frames = pending.apply(pending.write(room.store) if pending.write is not None else None)
    by_reader = {frame.recipients: json.loads(frame.data) for frame in frames}
    assert set(by_reader) == {frozenset({anna.id}), frozenset(group - {anna.id})}
    mine, theirs = by_reader[frozenset({anna.id})], by_reader[frozenset(group - {anna.id})]
    assert mine["type"] == theirs["type"] == "card"
    assert mine["card"]["mine"] is True and theirs["card"]["mine"] is False
    assert theirs["card"]["text"] == "Tillsammans" and theirs["card"]["author"] == anna.name
    # A resend changes nothing and sends nothing.
    again = planned(room, anna, "kort-0001", "Tillsammans", 0)
    assert again.write is None and again.apply(None) == ()
    # Hiding it: the console's moderation sends the group a blank, withdrawn card.
    sent: list[object] = []
    room.subscribe(sent.append)
    live.moderate("kort-0001", hidden=True)
    [out] = [e for e in sent if isinstance(e, FramesOut)]
    hidden = {f.recipients: json.loads(f.data)["card"] for f in out.frames}
    assert hidden[frozenset(group - {anna.id})]["withdrawn"] is True
    assert hidden[frozenset(group - {anna.id})]["text"] == ""
    assert hidden[frozenset({anna.id})]["hidden"] is True
    # Once the phase has moved on, a late card goes to no page.
    live.next_phase()
    late = planned(room, people[1], "kort-0002", "Sent", 0)
    assert late.apply(late.write(room.store) if late.write is not None else None) == ()


def test_people_who_connect_while_grouping_runs_are_placed_by_the_core(room: Room) -> None:
    # The rule lived in the console's groups view; the simulator and the bench skipped it.
    people = populate(room, 12)
    live = room.live
    live.start(MIXED)
    job = live.group_job(size=6)  # the snapshot: twelve people
    late = room.join(
        Join("Mitt i", room.series.organisations[1].id, Role.ELECTED, Attendance.IN_ROOM, "")
    ).participant
    room.attach(late.id)  # no round yet: nothing to place them in
    assert live.round() is None
    rnd = live.apply_groups(job, job.run())
    assert rnd.group_of(late.id) is not None and late.id in rnd.late
    assert all(rnd.group_of(p.id) is not None for p in people)
    assert live.round() == rnd
    # Not for a phase that is not running: its groups are made as the snapshot says.
    ahead = live.group_job(MUNI)
    after = room.join(
        Join("Senare", room.series.organisations[2].id, Role.OFFICIAL, Attendance.IN_ROOM, "")
    ).participant
    room.attach(after.id)
    muni = live.apply_groups(ahead, ahead.run())
    assert muni.group_of(after.id) is None and muni.late == frozenset()


def test_the_one_visibility_rule(room: Room) -> None:
    # Page, console wall, projector, ballots and exports all ask app.cards.
    [anna, bo, *_] = populate(room, 6)
    room.live.start(MIXED)
    card = reflect(room, anna, "kort-0001", "Synlig")
    assert on_wall(card) and page_sees(card, bo.id)
    hidden = replace(card, hidden=True)
    assert not on_wall(hidden) and on_wall(hidden, include_hidden=True)
    assert page_sees(hidden, anna.id) and not page_sees(hidden, bo.id)
    gone = replace(card, withdrawn=True)
    assert not on_wall(gone) and not on_wall(gone, include_hidden=True)
    assert not on_wall(replace(card, text="  "))
    room.live.moderate("kort-0001", hidden=True)
    assert [c.id for c in room.live.group_cards(MIXED, anna.id)] == ["kort-0001"]
    assert room.live.group_cards(MIXED, bo.id) == []
