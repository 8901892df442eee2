"""Whether a memory server admits this client: a state machine whose every transition is in one table.

No sockets, threads, clock or ZeroMQ: the client's I/O layer translates each
monitor event of its request socket (port P) and response socket (P+1) into a
:class:`LinkEvent` and passes it to :meth:`Admission.event` with the
:class:`Port` (which socket) and the time; :meth:`Admission.tick` is the clock input. Both
return what the I/O layer must do (:class:`Action`). The transitions are
``TRANSITIONS[many]`` (a plain client's, and a many-clients client's, which
connects both sockets at once, so it never waits for the request socket
alone):

=================  ===========  =================  ================  ===============================
state              input        next state         action            timer (TIMER input after)
=================  ===========  =================  ================  ===============================
REQUESTING         REQUEST_OK   CONNECTING         CONNECT_RESPONSE
RETRY_REQUESTING   REQUEST_OK   RETRY_CONNECTING   CONNECT_RESPONSE  (goes on)
any but REFUSED    RESPONSE_OK  ADMITTED
any                REFUSAL      REFUSED            REFUSED           ``RETRY_S``
any                FAILURE      REFUSED            REFUSED           ``RETRY_FAILED_S``
REFUSED            TIMER        RETRY_REQUESTING   RETRY             ``GIVE_UP_S``
                                (many: RETRY_CONNECTING)
RETRY_REQUESTING   TIMER        REQUESTING
RETRY_CONNECTING   TIMER        CONNECTING
=================  ===========  =================  ================  ===============================

A plain client connects the response socket only once the request socket was
admitted, so two of our clients starting together never each win one socket
of an exclusive server's pair; a many-clients client starts in CONNECTING and
has no REQUESTING state. libzmq never retries a refused connection by itself:
REFUSED (both sockets disconnected) asks again when its timer runs out; the
refusal text stays while the new attempt is under way (RETRY_*) and is
dropped after ``GIVE_UP_S`` without an outcome (the server is gone: the client
then behaves as one that is not connected). A pair not in the table changes
nothing: a late event of a socket already disconnected (RESPONSE_OK in
REFUSED), a request socket admitted again after a reconnect.
"""

from __future__ import annotations

import enum
import math
from typing import NamedTuple

__all__ = [
    "GIVE_UP_S", "RETRY_FAILED_S", "RETRY_S", "TRANSITIONS", "Action", "Admission", "Input", "LinkEvent", "Port",
    "State", "Transition",
]

RETRY_S = 1.0  # a refused client asks again this often (the server warns once a minute)
RETRY_FAILED_S = 5.0  # after a broken handshake (keys or mode differ): rarely worth asking
GIVE_UP_S = 2 * RETRY_S  # a retry with no outcome this long: the server is gone
_NEVER = math.inf


class Port(enum.Enum):
    """Which of the client's two sockets an event is about (named by the port it connects to)."""

    REQUEST = "request"  # PUSH to port P
    RESPONSE = "response"  # PULL (DEALER with manyClients) to port P+1


class LinkEvent(enum.Enum):
    """A socket's monitor event as admission sees it (the I/O layer translates libzmq's)."""

    CONNECTED = "connected"  # a TCP connection is up; its handshake begins
    HANDSHAKE_OK = "handshake_ok"  # the server admitted the socket
    BUSY = "busy"  # refused: the server already serves another client
    REFUSED = "refused"  # refused: address or CURVE key not allowed
    FAILED = "failed"  # the handshake broke (keys, security settings or socket types differ)
    DISCONNECTED = "disconnected"


class State(enum.Enum):
    """Admission states of a memory client."""

    REQUESTING = "requesting"  # the request socket is connecting (the response socket waits for it)
    CONNECTING = "connecting"  # both sockets connecting, no outcome yet: transactions may be sent
    ADMITTED = "admitted"  # both sockets passed the server's handshake
    REFUSED = "refused"  # refused, both sockets disconnected: transactions fail at once with the refusal text
    RETRY_REQUESTING = "retry_requesting"  # asking again (request socket); the refusal text stays
    RETRY_CONNECTING = "retry_connecting"  # asking again (both sockets); the refusal text stays


class Input(enum.Enum):
    """What happened: a handshake outcome, or the clock."""

    REQUEST_OK = "request_ok"
    RESPONSE_OK = "response_ok"
    REFUSAL = "refusal"  # busy or refused, on either socket
    FAILURE = "failure"  # a broken handshake, on either socket
    TIMER = "timer"  # the state's timer ran out (see :attr:`Admission.due`)


class Action(enum.Enum):
    """What the I/O layer must do after a transition."""

    CONNECT_RESPONSE = "connect_response"  # connect the response socket now
    REFUSED = "refused"  # fail what is in flight with ``refusal``, disconnect both sockets
    RETRY = "retry"  # connect the request socket again (with ``manyClients``, both)


class Transition(NamedTuple):
    """One row of the table: the next state, the action, and the seconds until its TIMER input.

    ``wait`` None: a timer already running goes on (RETRY_*), none starts (the other states).
    """

    next: State
    action: Action | None = None
    wait: float | None = None


# States that keep the refusal text (transactions fail at once with it) and run a timer.
_REFUSING = frozenset({State.REFUSED, State.RETRY_REQUESTING, State.RETRY_CONNECTING})

_ADMIT = Transition(State.ADMITTED)
_REFUSE = Transition(State.REFUSED, Action.REFUSED, RETRY_S)
_BROKEN = Transition(State.REFUSED, Action.REFUSED, RETRY_FAILED_S)
_OUTCOMES = {Input.REFUSAL: _REFUSE, Input.FAILURE: _BROKEN}

_PLAIN: dict[tuple[State, Input], Transition] = {
    (State.REQUESTING, Input.REQUEST_OK): Transition(State.CONNECTING, Action.CONNECT_RESPONSE),
    (State.RETRY_REQUESTING, Input.REQUEST_OK): Transition(State.RETRY_CONNECTING, Action.CONNECT_RESPONSE),
    **{(s, Input.RESPONSE_OK): _ADMIT for s in State if s is not State.REFUSED and s is not State.ADMITTED},
    **{(s, i): t for s in State for i, t in _OUTCOMES.items()},
    (State.REFUSED, Input.TIMER): Transition(State.RETRY_REQUESTING, Action.RETRY, GIVE_UP_S),
    (State.RETRY_REQUESTING, Input.TIMER): Transition(State.REQUESTING),
    (State.RETRY_CONNECTING, Input.TIMER): Transition(State.CONNECTING),
}
_MANY_STATES = (State.CONNECTING, State.ADMITTED, State.REFUSED, State.RETRY_CONNECTING)
_MANY: dict[tuple[State, Input], Transition] = {
    **{(s, Input.RESPONSE_OK): _ADMIT for s in (State.CONNECTING, State.RETRY_CONNECTING)},
    **{(s, i): t for s in _MANY_STATES for i, t in _OUTCOMES.items()},
    (State.REFUSED, Input.TIMER): Transition(State.RETRY_CONNECTING, Action.RETRY, GIVE_UP_S),
    (State.RETRY_CONNECTING, Input.TIMER): Transition(State.CONNECTING),
}
#: ``TRANSITIONS[many][(state, input)]``: every transition of a plain (False) and a many-clients (True) client.
TRANSITIONS: dict[bool, dict[tuple[State, Input], Transition]] = {False: _PLAIN, True: _MANY}
#: The state each kind of client starts in.
START = {False: State.REQUESTING, True: State.CONNECTING}

# A socket's handshake outcome -> the table's input.
_INPUTS: dict[tuple[Port, LinkEvent], Input] = {
    (Port.REQUEST, LinkEvent.HANDSHAKE_OK): Input.REQUEST_OK,
    (Port.RESPONSE, LinkEvent.HANDSHAKE_OK): Input.RESPONSE_OK,
    **{(sock, ev): Input.REFUSAL for sock in Port for ev in (LinkEvent.BUSY, LinkEvent.REFUSED)},
    **{(sock, LinkEvent.FAILED): Input.FAILURE for sock in Port},
}


class Admission:
    """The admission state of one memory client (receive thread writes; any thread reads :attr:`refusal`)."""

    def __init__(self, addr: str, port: int, many: bool) -> None:
        self._where = f"memory server at {addr}:{port}"
        self._many = many
        self._table = TRANSITIONS[many]
        self.state = START[many]
        self.refusal = ""  # the text transactions fail with at once ("" unless REFUSED or RETRY_*)
        self.due = _NEVER  # when the state's TIMER input comes (:meth:`tick`)
        self._handshaking = {Port.REQUEST: False, Port.RESPONSE: False}
        self._warned = ""  # the refusal text last warned about

    # -- inputs ----------------------------------------------------------------------------------
    def event(self, sock: Port, event: LinkEvent, now: float) -> Action | None:
        """Apply one event of the request or response socket at time ``now``."""
        handshaking = self._handshaking
        if event is LinkEvent.CONNECTED:
            handshaking[sock] = True
            return None
        if event is LinkEvent.DISCONNECTED:
            # libzmq drops a peer of the wrong socket type (PULL to the ROUTER of a many-clients
            # server, DEALER to a plain PUSH) with no handshake event; any other drop is a lost link.
            if sock is not Port.RESPONSE or not handshaking[sock]:
                return None
            event = LinkEvent.FAILED
        handshaking[sock] = False
        inp = _INPUTS[(sock, event)]
        return self._step(inp, now, "" if inp is Input.RESPONSE_OK or inp is Input.REQUEST_OK
                          else self._refusal_text(event, sock))

    def tick(self, now: float) -> Action | None:
        """The clock input (call periodically): a retry when one is due, giving up when it had no outcome."""
        if now < self.due:
            return None
        return self._step(Input.TIMER, now)

    def warning(self) -> str:
        """The refusal text to warn about now, once per refusal (not once per retry); "" otherwise."""
        if not self.refusal or self.refusal == self._warned:
            return ""
        self._warned = self.refusal
        return self.refusal

    # -- the table -------------------------------------------------------------------------------
    def _step(self, inp: Input, now: float, text: str = "") -> Action | None:
        row = self._table.get((self.state, inp))
        if row is None:  # not an input of this state: nothing changes
            return None
        self.state = row.next
        refusing = row.next in _REFUSING
        self.due = now + row.wait if row.wait is not None else (self.due if refusing else _NEVER)
        self.refusal = text or (self.refusal if refusing else "")
        self._warned = self._warned if refusing else ""
        return row.action

    def _refusal_text(self, event: LinkEvent, sock: Port) -> str:
        if event is LinkEvent.BUSY:
            return f"{self._where} already serves another client"
        if event is LinkEvent.REFUSED:
            return f"{self._where} refused this client: its address or CURVE key is not allowed"
        if sock is Port.RESPONSE:
            other = "plain clients (it serves many clients" if not self._many else "many-clients clients (it serves one"
            return f"{self._where} does not accept {other}: set manyClients alike on both sides)"
        return f"handshake with {self._where} failed (CURVE keys or security settings differ)"
