"""Whether a memory server admits this client: an explicit state machine over its sockets' handshakes.

No sockets, no threads, no clock of its own: the client's receive thread feeds
each monitor event of its request socket (``'request'``, port P) and response
socket (``'response'``, P+1) to :meth:`Admission.event` and calls
:meth:`Admission.tick` with the time; both return what the I/O layer must do
(:class:`Action`). The transitions are the table ``TRANSITIONS``:

=============  ===========  ==============  ==================================
state          input        next state      action
=============  ===========  ==============  ==================================
any            REQUEST_OK   (same)          CONNECT_RESPONSE (if not yet)
any            RESPONSE_OK  ADMITTED        -
any            REFUSAL      REFUSED         REFUSED (fail in flight, disconnect)
REFUSED        RETRY_DUE    RETRYING        RETRY (connect again)
RETRYING       GIVE_UP      CONNECTING      -
=============  ===========  ==============  ==================================

The response socket is connected only once the request socket was admitted, so
two of our clients starting together never each win one socket of an
exclusive server's pair (with ``manyClients`` there is no pair to protect:
both connect at once). libzmq never retries a refused connection by itself:
a refused client asks again after ``RETRY_S`` (``RETRY_FAILED_S`` after a
broken handshake), keeps the refusal text while the new attempt is under way,
and gives up after ``2 * RETRY_S`` without an outcome (the server is gone: the
client then behaves as one that is not connected).
"""

from __future__ import annotations

import enum

import zmq

from ..._security import handshake_result

__all__ = ["RETRY_FAILED_S", "RETRY_S", "TRANSITIONS", "Action", "Admission", "Input", "State"]

RETRY_S = 1.0  # a refused client asks again this often (the server warns once a minute)
RETRY_FAILED_S = 5.0  # after a broken handshake (keys or mode differ): rarely worth asking
GIVE_UP_S = 2 * RETRY_S  # a retry with no outcome this long: the server is gone


class State(enum.Enum):
    """Admission states of a memory client."""

    CONNECTING = "connecting"  # no outcome yet (or the last attempt had none): transactions may be sent
    ADMITTED = "admitted"  # both sockets passed the server's handshake
    REFUSED = "refused"  # refused: transactions fail at once with the refusal text; retry at ``retry_at``
    RETRYING = "retrying"  # asking again; the refusal text stays until the outcome


class Input(enum.Enum):
    """What happened: a handshake outcome, or the clock."""

    REQUEST_OK = "request_ok"
    RESPONSE_OK = "response_ok"
    REFUSAL = "refusal"  # busy, refused or failed, on either socket
    RETRY_DUE = "retry_due"
    GIVE_UP = "give_up"


class Action(enum.Enum):
    """What the I/O layer must do after a transition."""

    CONNECT_RESPONSE = "connect_response"  # connect the response socket now
    REFUSED = "refused"  # fail what is in flight with ``refusal``, disconnect both sockets
    RETRY = "retry"  # connect the request socket again (with ``manyClients``, both)


_ANY = None
TRANSITIONS: dict[tuple[State | None, Input], tuple[State | None, Action | None]] = {
    # (state, input) -> (next state, action); state None: any state, next None: unchanged.
    (_ANY, Input.REQUEST_OK): (None, Action.CONNECT_RESPONSE),
    (_ANY, Input.RESPONSE_OK): (State.ADMITTED, None),
    (_ANY, Input.REFUSAL): (State.REFUSED, Action.REFUSED),
    (State.REFUSED, Input.RETRY_DUE): (State.RETRYING, Action.RETRY),
    (State.RETRYING, Input.GIVE_UP): (State.CONNECTING, None),
}


class Admission:
    """The admission state of one memory client (receive thread writes; any thread reads :attr:`refusal`)."""

    def __init__(self, addr: str, port: int, many: bool) -> None:
        self._where = f"memory server at {addr}:{port}"
        self._many = many
        self.state = State.CONNECTING
        self.refusal = ""  # the text transactions fail with at once ("" unless REFUSED or RETRYING)
        self.response_connected = many  # many clients: both sockets connect at once
        self.retry_at = 0.0
        self._attempt_at = 0.0  # when the retry under way began
        self._handshaking = {"request": False, "response": False}
        self._warned = ""  # the refusal text last warned about

    # -- inputs ----------------------------------------------------------------------------------
    def event(self, role: str, event: int, value: int, now: float) -> Action | None:
        """Apply one monitor event of the ``'request'`` or ``'response'`` socket at time ``now``."""
        result = handshake_result(event, value)
        if event == zmq.EVENT_CONNECTED:
            self._handshaking[role] = True
        elif result is not None:
            self._handshaking[role] = False
        elif event == zmq.EVENT_DISCONNECTED and self._handshaking[role] and role == "response":
            # libzmq drops a peer of the wrong socket type (PULL to the ROUTER of a
            # many-clients server, DEALER to a plain PUSH) with no handshake event.
            self._handshaking[role] = False
            result = "failed"
        if result is None:
            return None
        if result == "ok":
            return self._step(Input.REQUEST_OK if role == "request" else Input.RESPONSE_OK, now)
        self.refusal = self._refusal_text(result, role)
        self.retry_at = now + (RETRY_FAILED_S if result == "failed" else RETRY_S)
        return self._step(Input.REFUSAL, now)

    def tick(self, now: float) -> Action | None:
        """The clock input (call periodically): a retry when one is due, giving up when it had no outcome."""
        if self.state is State.REFUSED and now >= self.retry_at:
            return self._step(Input.RETRY_DUE, now)
        if self.state is State.RETRYING and now - self._attempt_at > GIVE_UP_S:
            return self._step(Input.GIVE_UP, now)
        return None

    def warning(self) -> str:
        """The refusal text to warn about now, once per refusal (not once per retry); "" otherwise."""
        if not self.refusal or self.refusal == self._warned:
            return ""
        self._warned = self.refusal
        return self.refusal

    # -- the table -------------------------------------------------------------------------------
    def _step(self, inp: Input, now: float) -> Action | None:
        entry = TRANSITIONS.get((self.state, inp)) or TRANSITIONS.get((_ANY, inp))
        if entry is None:  # not an input of this state (a late tick): nothing changes
            return None
        nxt, action = entry
        if nxt is not None:
            self.state = nxt
        if nxt is State.ADMITTED or nxt is State.CONNECTING:
            self.refusal = ""
            self._warned = ""
        elif nxt is State.RETRYING:
            self._attempt_at = now
            if self._many:
                self.response_connected = True
        elif nxt is State.REFUSED:
            self.response_connected = False  # the I/O layer disconnects both sockets
        if action is Action.CONNECT_RESPONSE:
            if self.response_connected:
                return None
            self.response_connected = True
        return action

    def _refusal_text(self, result: str, role: str) -> str:
        if result == "busy":
            return f"{self._where} already serves another client"
        if result == "refused":
            return f"{self._where} refused this client: its address or CURVE key is not allowed"
        if role == "response":
            other = "plain clients (it serves many clients" if not self._many else "many-clients clients (it serves one"
            return f"{self._where} does not accept {other}: set manyClients alike on both sides)"
        return f"handshake with {self._where} failed (CURVE keys or security settings differ)"
