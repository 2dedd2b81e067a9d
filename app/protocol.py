"""The participant wire protocol, both directions: the one home of every frame's shape.

Client → server: JSON text frames, parsed and validated here (:func:`parse`) into the typed
messages :data:`CLIENT_MESSAGES` lists before anything acts on them. Parsing never raises
anything but :class:`ProtocolError`, whose ``code`` the participant page translates into a
message in the participant's language.

Server → client: every frame is made by a builder here (:func:`welcome`, :func:`state`,
:func:`ack`, …) whose result is one of the typed dicts :data:`SERVER_MESSAGES` lists, and
encoded once with :func:`encode`. Nothing else in the code base writes a frame's ``type``.

``docs/protocol.md`` is the human-readable description; ``tests/test_protocol_doc.py`` checks
that it documents exactly the message types and top-level fields defined here.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict

import orjson

from app.model import Attendance, Role

PROTOCOL_VERSION = 1

MAX_NAME = 80
MAX_FUNCTION = 80
MAX_TOKEN = 64
MAX_TEXT = 2000  # a reflection card or an open survey answer
# Combining marks kept on one character (see ``clean_text``).
MAX_MARKS = 4
MAX_ANSWERS = 50
MAX_DOTS = 20  # dots one participant may have in a prioritise phase (the phase sets how many)
# A join key is the page's random 128 bits (32 hex digits); a little room for other clients,
# but not so little that a key could be guessed.
MIN_JOIN_KEY = 16
MAX_JOIN_KEY = 64
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class ErrorCode(StrEnum):
    """Why the server refused a message. The page shows a translated text for each."""

    BAD_JSON = "bad_json"
    UNKNOWN_TYPE = "unknown_type"
    BAD_FIELD = "bad_field"
    NOT_IN_ROOM = "not_in_room"
    BAD_TOKEN = "bad_token"
    BAD_CODE = "bad_code"
    RATE_LIMITED = "rate_limited"
    BAD_RESUME = "bad_resume"
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    NOT_JOINED = "not_joined"
    TEXT_EMPTY = "text_empty"
    TEXT_TOO_LONG = "text_too_long"
    NO_REFLECTIONS = "no_reflections"
    PHASE_CLOSED = "phase_closed"
    NOT_YOURS = "not_yours"
    NO_SURVEY = "no_survey"
    SESSION_ENDED = "session_ended"
    ROSTER_TAKEN = "roster_taken"
    ROOM_FULL = "room_full"
    TOO_MANY_CARDS = "too_many_cards"
    SERVER_ERROR = "server_error"
    NO_VOTING = "no_voting"
    VOTING_CLOSED = "voting_closed"
    CARD_UNAVAILABLE = "card_unavailable"
    OTHER_GROUP = "other_group"
    TOO_MANY_DOTS = "too_many_dots"


# English fallbacks; the page carries its own Swedish/English catalogue keyed by code.
ERROR_TEXT: dict[ErrorCode, str] = {
    ErrorCode.BAD_JSON: "The message was not valid JSON.",
    ErrorCode.UNKNOWN_TYPE: "Unknown message type.",
    ErrorCode.BAD_FIELD: "A field is missing or has the wrong type.",
    ErrorCode.NOT_IN_ROOM: "Open the room first with its link or room code.",
    ErrorCode.BAD_TOKEN: "This link is not for the current session. Scan the QR code again.",
    ErrorCode.BAD_CODE: "Wrong room code. Check the code on the screen and try again.",
    ErrorCode.RATE_LIMITED: "Too many attempts. Wait a minute and try again.",
    ErrorCode.BAD_RESUME: "Your earlier place could not be found; please join again.",
    ErrorCode.NAME_EMPTY: "Write your name.",
    ErrorCode.NAME_TOO_LONG: f"The name is too long (at most {MAX_NAME} characters).",
    ErrorCode.UNKNOWN_ORGANISATION: "Choose an organisation from the list.",
    ErrorCode.NOT_JOINED: "Join the session first.",
    ErrorCode.TEXT_EMPTY: "Write something first.",
    ErrorCode.TEXT_TOO_LONG: f"The text is too long (at most {MAX_TEXT} characters).",
    ErrorCode.NO_REFLECTIONS: "This phase collects no reflections.",
    ErrorCode.PHASE_CLOSED: "This phase has closed; the card can no longer be changed.",
    ErrorCode.NOT_YOURS: "This card belongs to someone else.",
    ErrorCode.NO_SURVEY: "The survey has not started yet.",
    ErrorCode.SESSION_ENDED: "This session has ended.",
    ErrorCode.ROSTER_TAKEN: "Someone has already picked this name; pick another or write yours.",
    ErrorCode.ROOM_FULL: "The session is full. Tell the facilitator.",
    ErrorCode.TOO_MANY_CARDS: "You have written as many cards as one person may in a session.",
    ErrorCode.SERVER_ERROR: "Something went wrong on the facilitator's computer; try again.",
    ErrorCode.NO_VOTING: "There is no vote in this phase.",
    ErrorCode.VOTING_CLOSED: "The vote has closed; your dots stay as they were.",
    ErrorCode.CARD_UNAVAILABLE: "This card has been withdrawn or hidden; its dots are yours again.",
    ErrorCode.OTHER_GROUP: "You can only vote on your own group's cards.",
    ErrorCode.TOO_MANY_DOTS: "You have no dots left for this (or the card has its maximum).",
}


class ProtocolError(Exception):
    """A message the server refuses; nothing it asked for has been done."""

    def __init__(self, code: ErrorCode, field: str | None = None) -> None:
        """Make an error with its code and, where one is to blame, the field's name."""
        super().__init__(f"{code.value}{f' ({field})' if field else ''}")
        self.code = code
        self.field = field

    def to_message(self, ref: str | None = None) -> ErrorMessage:
        """Return the ``error`` message sent to the participant.

        ``ref`` is the ``id`` of the refused outbox item (``reflect``, ``withdraw``,
        ``survey``, ``vote``), so the page knows which one the error answers.
        """
        message: ErrorMessage = {
            "type": "error",
            "code": self.code.value,
            "message": ERROR_TEXT[self.code],
        }
        if self.field:
            message["field"] = self.field
        if ref:
            message["ref"] = ref
        return message


@dataclass(frozen=True, slots=True)
class Hello:
    """Opens the room: a room token (from the QR link) or a typed room code, maybe a resume."""

    room_token: str | None
    room_code: str | None
    resume_token: str | None


@dataclass(frozen=True, slots=True)
class Join:
    """A participant's join form.

    With ``roster_id`` the participant picked their name from the session's roster: the
    entry's name, organisation and role count, and ``name``, ``organisation_id`` and ``role``
    here are placeholders (``attendance`` and ``function`` fill in what the entry lacks).

    ``join_key`` is the page's random key for this one join, kept until ``joined`` arrives:
    a join sent again with the same key (its ``joined`` was lost to a cut or a crash) finds
    the participant the first one made instead of making a second one.
    """

    name: str
    organisation_id: int
    role: Role
    attendance: Attendance
    function: str
    roster_id: int | None = None
    join_key: str | None = dataclasses.field(default=None, repr=False)  # a secret
    # The console's rehearsal key (:attr:`app.room.Room.rehearsal_key`): only the console's
    # own simulated participants know it, and it marks them as rehearsal.
    rehearsal_key: str | None = dataclasses.field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Ping:
    """Application-level keep-alive; answered with ``pong``."""


@dataclass(frozen=True, slots=True)
class Reflect:
    """A new reflection card, or a newer revision of one's own card."""

    id: str
    phase: int
    text: str
    revision: int


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Withdraw one's own card while its phase is open."""

    id: str
    revision: int


@dataclass(frozen=True, slots=True)
class SurveyAnswers:
    """Survey answers: Likert items map to 1–5, open questions to text."""

    id: str
    answers: dict[str, int | str]


@dataclass(frozen=True, slots=True)
class Vote:
    """Put ``dots`` of one's dots on a card in a prioritise phase (0 takes them all back).

    ``id`` is client-made and new for every change, so a resend is applied once.
    """

    id: str
    phase: int
    card: str
    dots: int


ClientMessage = Hello | Join | Ping | Reflect | Withdraw | SurveyAnswers | Vote


def clean_text(value: str, keep_lines: bool = False) -> str:
    """Normalise participant text: NFC, no control characters, single spaces, trimmed.

    Why: names are shown on a projector and sorted; invisible or control characters (bidi
    overrides, zero-width joiners) would make two identical-looking texts differ or reorder
    what others see, and NUL cannot be stored in every sink. With ``keep_lines`` (reflection
    cards) line breaks survive, at most one empty line in a row.
    """
    value = unicodedata.normalize("NFC", value)
    if keep_lines:
        lines = [clean_text(line) for line in value.replace("\r\n", "\n").split("\n")]
        text = "\n".join(lines).strip("\n")
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        return text
    kept = (
        " " if ch.isspace() else ch
        for at, ch in enumerate(value)
        if ch.isspace()
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
        or _shapes(value, at)
    )
    return " ".join(_bound_marks("".join(kept)).split())


JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner


def _shapes(text: str, at: int) -> bool:
    """Return True when the joiner at ``at`` shapes the characters around it: keep it then.

    Why: Persian writes many names with a zero-width non-joiner (علی‌رضا), Indic scripts use
    both, and emoji such as 👩‍💻 are joined by one; dropping it changes how the name is
    drawn. Only one joiner between two visible non-ASCII letters, marks or symbols is kept;
    anywhere else (between ASCII letters, at an edge, in a run) it is an invisible character.
    """
    if text[at] not in JOINERS or at == 0 or at + 1 >= len(text):
        return False
    before, after = text[at - 1], text[at + 1]
    if before in JOINERS or after in JOINERS or (before.isascii() and after.isascii()):
        return False
    visible = ("L", "M", "S", "N")
    return all(unicodedata.category(ch)[0] in visible for ch in (before, after))


def _bound_marks(text: str) -> str:
    """Keep at most ``MAX_MARKS`` combining marks on each character.

    Why: a letter with dozens of stacked accents ("Zalgo" text) is drawn as a column of
    marks over the lines above and below it, on other people's entries. No language needs
    more than a few on one letter (Vietnamese uses two, NFC has composed most of them).
    """
    out: list[str] = []
    run = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me"):
            run += 1
            if run > MAX_MARKS:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def normalise_room_code(value: str) -> str:
    """Return a typed room code in canonical form (upper case, no spaces or dashes)."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _opt_str(data: dict[str, Any], field: str, limit: int) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or not _encodable(value):
        raise ProtocolError(ErrorCode.BAD_FIELD, field)
    return value or None


def _encodable(value: str) -> bool:
    # JSON can carry lone surrogates ("\ud800") that no UTF-8 encoder accepts; tokens are
    # encoded for comparison and hashing, so such a string must be refused here.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse(raw: str | bytes) -> ClientMessage:
    """Parse and validate one frame from a participant.

    Raises:
        ProtocolError: for anything that is not a valid message of a known type.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(ErrorCode.BAD_JSON) from None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError, not only JSONDecodeError: an integer of more than 4300 digits is
        # refused by int() inside the decoder with a plain ValueError.
        raise ProtocolError(ErrorCode.BAD_JSON) from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_JSON)
    kind = data.get("type")
    if kind == "hello":
        return Hello(
            room_token=_opt_str(data, "room_token", MAX_TOKEN),
            room_code=_opt_str(data, "room_code", MAX_TOKEN),
            resume_token=_opt_str(data, "resume_token", MAX_TOKEN),
        )
    if kind == "join":
        return _parse_join(data)
    if kind == "ping":
        return Ping()
    if kind == "reflect":
        return Reflect(
            _client_id(data),
            _int(data, "phase", 0, 1000),
            _text(data.get("text")),
            _int(data, "revision", 0, 10**9),
        )
    if kind == "withdraw":
        return Withdraw(_client_id(data), _int(data, "revision", 0, 10**9))
    if kind == "survey":
        return _parse_survey(data)
    if kind == "vote":
        return Vote(
            _client_id(data),
            _int(data, "phase", 0, 1000),
            _client_id(data, "card"),
            _int(data, "dots", 0, MAX_DOTS),
        )
    raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "type")


def _client_id(data: dict[str, Any], field: str = "id") -> str:
    value = data.get(field)
    if not isinstance(value, str) or not 8 <= len(value) <= 64 or not set(value) <= _ID_CHARS:
        raise ProtocolError(ErrorCode.BAD_FIELD, field)
    return value


def _int(data: dict[str, Any], field: str, low: int, high: int) -> int:
    value = data.get(field, low if field == "revision" else None)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolError(ErrorCode.BAD_FIELD, field)
    return value


def _text(value: object, field: str = "text", allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.BAD_FIELD, field)
    if len(value) > MAX_TEXT * 4:
        raise ProtocolError(ErrorCode.TEXT_TOO_LONG, field)
    value = clean_text(value, keep_lines=True)
    if not value and not allow_empty:
        raise ProtocolError(ErrorCode.TEXT_EMPTY, field)
    if len(value) > MAX_TEXT:
        raise ProtocolError(ErrorCode.TEXT_TOO_LONG, field)
    return value


def _parse_survey(data: dict[str, Any]) -> SurveyAnswers:
    answers = data.get("answers")
    if not isinstance(answers, dict) or len(answers) > MAX_ANSWERS:
        raise ProtocolError(ErrorCode.BAD_FIELD, "answers")
    clean: dict[str, int | str] = {}
    for key, value in answers.items():
        # Item keys are identifiers (``perspective``, ``takeaway``); the server may name one in
        # an error's ``field``, so nothing else is let through.
        if not isinstance(key, str) or not 1 <= len(key) <= 40 or not set(key) <= _ID_CHARS:
            raise ProtocolError(ErrorCode.BAD_FIELD, "answers")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ProtocolError(ErrorCode.BAD_FIELD, "answers")
        clean[key] = value if isinstance(value, int) else _text(value, "answers", True)
    return SurveyAnswers(_client_id(data), clean)


def _parse_join(data: dict[str, Any]) -> Join:
    join = _parse_join_form(data)
    return replace(join, join_key=_join_key(data), rehearsal_key=_join_key(data, "rehearsal_key"))


def _parse_join_form(data: dict[str, Any]) -> Join:
    if data.get("roster_id") is not None:
        return _parse_roster_join(data)
    name = data.get("name")
    if not isinstance(name, str):
        raise ProtocolError(ErrorCode.BAD_FIELD, "name")
    # Check the raw length first so a megabyte of combining marks is not normalised for nothing.
    if len(name) > MAX_NAME * 4:
        raise ProtocolError(ErrorCode.NAME_TOO_LONG, "name")
    name = clean_text(name)
    if not name:
        raise ProtocolError(ErrorCode.NAME_EMPTY, "name")
    if len(name) > MAX_NAME:
        raise ProtocolError(ErrorCode.NAME_TOO_LONG, "name")
    org = data.get("organisation_id")
    if not isinstance(org, int) or isinstance(org, bool):
        raise ProtocolError(ErrorCode.UNKNOWN_ORGANISATION, "organisation_id")
    try:
        role = Role(data.get("role"))
    except ValueError:
        raise ProtocolError(ErrorCode.BAD_FIELD, "role") from None
    try:
        attendance = Attendance(data.get("attendance"))
    except ValueError:
        raise ProtocolError(ErrorCode.BAD_FIELD, "attendance") from None
    return Join(name, org, role, attendance, _function(data))


def _join_key(data: dict[str, Any], field: str = "join_key") -> str | None:
    # Optional, so an older page still joins (without protection against a lost ``joined``).
    # Plain ASCII like a card id, at least 16 characters so that it cannot be guessed.
    # The rehearsal key of the console's simulated participants has the same form.
    value = data.get(field)
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not MIN_JOIN_KEY <= len(value) <= MAX_JOIN_KEY
        or not set(value) <= _ID_CHARS
    ):
        raise ProtocolError(ErrorCode.BAD_FIELD, field)
    return value


def _function(data: dict[str, Any]) -> str:
    function = data.get("function", "")
    if function is None:
        function = ""
    if not isinstance(function, str) or len(function) > MAX_FUNCTION * 4:
        raise ProtocolError(ErrorCode.BAD_FIELD, "function")
    function = clean_text(function)
    if len(function) > MAX_FUNCTION:
        raise ProtocolError(ErrorCode.BAD_FIELD, "function")
    return function


def _parse_roster_join(data: dict[str, Any]) -> Join:
    # The roster entry supplies name, organisation and role: the form's are ignored, so a
    # page may leave them out. Attendance (default in the room) counts only if the entry
    # has none; so does the function.
    roster_id = _int(data, "roster_id", 1, 2**31 - 1)
    try:
        attendance = Attendance(data.get("attendance") or Attendance.IN_ROOM)
    except ValueError:
        raise ProtocolError(ErrorCode.BAD_FIELD, "attendance") from None
    return Join("", 0, Role.OFFICIAL, attendance, _function(data), roster_id)


# -- server → client ---------------------------------------------------------------------------


class SessionInfo(TypedDict):
    """The session a ``welcome`` opens."""

    number: int
    theme: str
    subtitle: str


class OrganisationInfo(TypedDict):
    """One organisation of the series, for the join form."""

    id: int
    name: str


class RosterEntryInfo(TypedDict):
    """One unclaimed roster name people can pick."""

    id: int
    name: str
    organisation_id: int


class ParticipantInfo(TypedDict):
    """The participant a ``joined`` confirms."""

    id: str
    name: str
    organisation_id: int
    organisation: str
    role: str
    attendance: str
    function: str


class CardInfo(TypedDict):
    """A reflection card as a page shows it."""

    id: str
    phase: int
    text: str
    author: str
    author_key: str
    organisation: str
    mine: NotRequired[bool]
    revision: int
    withdrawn: bool
    hidden: NotRequired[bool]


class PhaseInfo(TypedDict):
    """The current phase in a ``state``."""

    index: int
    count: int
    kind: str
    title: str
    prompt: str
    minutes: int
    remaining_ms: int
    running: bool


class MemberInfo(TypedDict):
    """A member of the reader's group."""

    name: str
    organisation: str
    key: str


class GroupInfo(TypedDict):
    """The reader's group in a ``state``."""

    kind: str
    number: int
    attendance: str | None
    members: list[MemberInfo]
    link: str | None


class SurveyItemInfo(TypedDict):
    """One survey question."""

    key: str
    kind: str
    text: str


class SurveyInfo(TypedDict):
    """The survey in a ``state``: its items and the reader's answers so far."""

    items: list[SurveyItemInfo]
    answers: dict[str, int | str]


class WelcomeMessage(TypedDict):
    """``welcome``: what the join form needs."""

    type: Literal["welcome"]
    protocol: int
    series: str
    session: SessionInfo
    organisations: list[OrganisationInfo]
    roster: list[RosterEntryInfo]
    room_token: str


class RosterMessage(TypedDict):
    """``roster``: the unclaimed names changed."""

    type: Literal["roster"]
    roster: list[RosterEntryInfo]


class JoinedMessage(TypedDict):
    """``joined``: the participant is in."""

    type: Literal["joined"]
    resumed: bool
    resume_token: str
    participant: ParticipantInfo
    key: str
    present: int


class PresenceMessage(TypedDict):
    """``presence``: how many are connected."""

    type: Literal["presence"]
    present: int


class StateMessage(TypedDict):
    """``state``: phase, timer, group, cards, survey and vote for one reader."""

    type: Literal["state"]
    status: str
    phase: PhaseInfo | None
    group: GroupInfo | None
    cards: list[CardInfo]
    survey: SurveyInfo | None
    vote: dict[str, Any] | None
    warning_seconds: int


class CardMessage(TypedDict):
    """``card``: one card of the reader's group (or their own) changed."""

    type: Literal["card"]
    card: CardInfo


class AckMessage(TypedDict):
    """``ack``: the outbox item with this id is committed."""

    type: Literal["ack"]
    id: str
    revision: int


class PongMessage(TypedDict):
    """``pong``: the answer to ``ping``."""

    type: Literal["pong"]


class AwayMessage(TypedDict):
    """``away``: the console goes away and will be back."""

    type: Literal["away"]


class EndedMessage(TypedDict):
    """``ended``: the facilitator ended the session."""

    type: Literal["ended"]


class ErrorMessage(TypedDict):
    """``error``: a message was refused; ``ref`` names the refused outbox item."""

    type: Literal["error"]
    code: str
    message: str
    field: NotRequired[str]
    ref: NotRequired[str]


ServerMessage = (
    WelcomeMessage
    | RosterMessage
    | JoinedMessage
    | PresenceMessage
    | StateMessage
    | CardMessage
    | AckMessage
    | PongMessage
    | AwayMessage
    | EndedMessage
    | ErrorMessage
)

# Every frame type in each direction and the type that defines its fields (checked against
# docs/protocol.md by the tests).
CLIENT_MESSAGES: dict[str, type] = {
    "hello": Hello,
    "join": Join,
    "ping": Ping,
    "reflect": Reflect,
    "withdraw": Withdraw,
    "vote": Vote,
    "survey": SurveyAnswers,
}
SERVER_MESSAGES: dict[str, type] = {
    "welcome": WelcomeMessage,
    "roster": RosterMessage,
    "joined": JoinedMessage,
    "presence": PresenceMessage,
    "state": StateMessage,
    "card": CardMessage,
    "ack": AckMessage,
    "pong": PongMessage,
    "away": AwayMessage,
    "ended": EndedMessage,
    "error": ErrorMessage,
}


@dataclass(frozen=True, slots=True)
class Frame:
    """An encoded server frame and the participants whose pages get it.

    The core returns these when it applies a change: who sees what is decided there, once,
    and the frame is encoded once however many connections it goes to. The server only maps
    participant ids to their connections and writes.
    """

    recipients: frozenset[str]
    data: bytes  # UTF-8 JSON (:func:`encode_bytes`), sent as a text frame


def welcome(
    series: str,
    session: SessionInfo,
    organisations: list[OrganisationInfo],
    roster: list[RosterEntryInfo],
    room_token: str,
) -> WelcomeMessage:
    """Build ``welcome``: the series, session, organisations and roster for the join form."""
    return {
        "type": "welcome",
        "protocol": PROTOCOL_VERSION,
        "series": series,
        "session": session,
        "organisations": organisations,
        "roster": roster,
        "room_token": room_token,
    }


def roster(entries: list[RosterEntryInfo]) -> RosterMessage:
    """Build ``roster``: the unclaimed names, replacing the list from ``welcome``."""
    return {"type": "roster", "roster": entries}


def joined(
    participant: ParticipantInfo, resume_token: str, *, resumed: bool, present: int, key: str
) -> JoinedMessage:
    """Build ``joined``: the participant, their resume token, public key and who is here.

    ``key`` is the participant's public key in this session: it marks their own entry in a
    group's ``members`` and their own cards (``author_key``), so the page tells them apart.
    """
    return {
        "type": "joined",
        "resumed": resumed,
        "resume_token": resume_token,
        "participant": participant,
        "key": key,
        "present": present,
    }


def presence(present: int) -> PresenceMessage:
    """Build ``presence``: the number of participants connected now."""
    return {"type": "presence", "present": present}


def state(
    status: str,
    phase: PhaseInfo | None,
    warning_seconds: int,
    *,
    group: GroupInfo | None = None,
    cards: list[CardInfo] | None = None,
    survey: SurveyInfo | None = None,
    vote: dict[str, Any] | None = None,
) -> StateMessage:
    """Build ``state`` (a room-wide broadcast copies one base and fills in each reader's)."""
    return {
        "type": "state",
        "status": status,
        "phase": phase,
        "group": group,
        "cards": [] if cards is None else cards,
        "survey": survey,
        "vote": vote,
        "warning_seconds": warning_seconds,
    }


def card(info: CardInfo) -> CardMessage:
    """Build ``card``: one card that was written, edited, withdrawn, hidden or shown."""
    return {"type": "card", "card": info}


def ack(message_id: str, revision: int) -> AckMessage:
    """Build ``ack``: the item with this id (at this revision) is committed to disk."""
    return {"type": "ack", "id": message_id, "revision": revision}


def pong() -> PongMessage:
    """Build ``pong``, the answer to ``ping``."""
    return {"type": "pong"}


def away() -> AwayMessage:
    """Build ``away``: the console is going away and will come back."""
    return {"type": "away"}


def ended() -> EndedMessage:
    """Build ``ended``: the facilitator ended the session on purpose."""
    return {"type": "ended"}


def encode(message: ServerMessage | dict[str, Any]) -> str:
    """Serialise a server message (UTF-8 text, no ASCII escaping, compact)."""
    return orjson.dumps(message).decode("utf-8")


def encode_bytes(message: ServerMessage | dict[str, Any]) -> bytes:
    """Serialise a server message as :func:`encode` does, as UTF-8 bytes, with orjson.

    About ten times as fast as :mod:`json` on the small dicts of a message (measured: 0.4 vs
    5.2 us for a card), which counts where a room-wide ``state`` encodes each group's parts.
    """
    return orjson.dumps(message)
