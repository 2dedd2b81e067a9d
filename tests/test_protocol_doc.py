"""docs/protocol.md against app/protocol.py: every frame type and field documented, nothing more.

The wire format has one home in code (:mod:`app.protocol`); the document is written by hand.
These tests read the document's two message tables and compare them with the typed messages
the module defines, so that a field added (or dropped) in one place fails until the other
agrees. The frames the module builds are checked against their types as well.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

from app import protocol

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _strip_nested(cell: str) -> str:
    """Drop everything inside (), [] and {}: what is left names the top-level fields."""
    out, depth, in_code = [], 0, False
    for ch in cell:
        if ch == "`":
            in_code = not in_code
        if not in_code and ch in "([{":
            depth += 1
            continue
        if not in_code and ch in ")]}":
            depth = max(0, depth - 1)
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _table(title: str) -> dict[str, set[str]]:
    """Return each documented type's top-level fields from a section's table."""
    rows: dict[str, set[str]] = {}
    for line in _section(title).splitlines():
        match = re.match(r"\| `(\w+)` \| (.*?) \| ", line)
        if match is None:
            continue
        kind, cell = match.groups()
        if kind == "type":
            continue  # the header row
        names = re.findall(r"`([A-Za-z_]\w*)`", _strip_nested(cell))
        assert kind not in rows, f"{kind} documented twice"
        rows[kind] = set(names)
    return rows


def _client_fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _server_fields(cls: type) -> set[str]:
    return set(typing.get_type_hints(cls)) - {"type"}


def test_client_messages_match_the_document() -> None:
    documented = _table("Client → server")
    assert set(documented) == set(protocol.CLIENT_MESSAGES)
    for kind, cls in protocol.CLIENT_MESSAGES.items():
        assert documented[kind] == _client_fields(cls), kind


def test_server_messages_match_the_document() -> None:
    documented = _table("Server → client")
    assert set(documented) == set(protocol.SERVER_MESSAGES)
    for kind, cls in protocol.SERVER_MESSAGES.items():
        assert documented[kind] == _server_fields(cls), kind


def test_error_carries_ref_and_is_documented() -> None:
    # The drift this file was written for: errors answering an outbox item carry ``ref``.
    message = protocol.ProtocolError(protocol.ErrorCode.PHASE_CLOSED, "id").to_message(
        ref="card-0001"
    )
    assert message == {
        "type": "error",
        "code": "phase_closed",
        "message": protocol.ERROR_TEXT[protocol.ErrorCode.PHASE_CLOSED],
        "field": "id",
        "ref": "card-0001",
    }
    assert "ref" in _table("Server → client")["error"]


def test_every_error_code_is_documented() -> None:
    section = _section("Error codes")
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)) - {"code"}
    assert documented == {code.value for code in protocol.ErrorCode}


def test_the_parser_knows_exactly_the_documented_client_types() -> None:
    for kind in protocol.CLIENT_MESSAGES:
        try:
            protocol.parse(f'{{"type": "{kind}"}}')
        except protocol.ProtocolError as exc:
            assert exc.code != protocol.ErrorCode.UNKNOWN_TYPE, kind
    try:
        protocol.parse('{"type": "shout"}')
    except protocol.ProtocolError as exc:
        assert exc.code == protocol.ErrorCode.UNKNOWN_TYPE
    else:
        raise AssertionError("an unknown type was accepted")


def test_builders_make_frames_of_their_declared_type() -> None:
    frames = [
        protocol.welcome(
            "S",
            protocol.SessionInfo(number=1, theme="T", subtitle=""),
            [protocol.OrganisationInfo(id=1, name="O")],
            [],
            "tok",
        ),
        protocol.roster([]),
        protocol.joined(
            protocol.ParticipantInfo(
                id="p",
                name="N",
                organisation_id=1,
                organisation="O",
                role="elected",
                attendance="in_room",
                function="",
            ),
            "r",
            resumed=False,
            present=1,
            key="k",
        ),
        protocol.presence(3),
        protocol.state("waiting", None, 120),
        protocol.card(
            protocol.CardInfo(
                id="c",
                phase=0,
                text="x",
                author="a",
                author_key="k",
                organisation="o",
                mine=True,
                revision=0,
                withdrawn=False,
            )
        ),
        protocol.ack("abcdefgh", 2),
        protocol.pong(),
        protocol.away(),
        protocol.ended(),
        protocol.ProtocolError(protocol.ErrorCode.BAD_JSON).to_message(),
    ]
    assert {f["type"] for f in frames} == set(protocol.SERVER_MESSAGES)
    for frame in frames:
        hints = typing.get_type_hints(protocol.SERVER_MESSAGES[frame["type"]], include_extras=True)
        allowed = set(hints)
        required = {k for k, v in hints.items() if typing.get_origin(v) is not typing.NotRequired}
        assert required <= set(frame) <= allowed, frame["type"]
        assert protocol.encode(frame).startswith('{"type":"')
