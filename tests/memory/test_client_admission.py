"""The memory client's admission state machine (``_client_admission``), tested from its table and by scenario.

Pure: events are :class:`LinkEvent` values (what the client's I/O layer
translates libzmq's monitor events into) and times are plain numbers.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from rogue.interfaces.memory import _client_admission
from rogue.interfaces.memory._client_admission import (
    GIVE_UP_S,
    RETRY_FAILED_S,
    RETRY_S,
    START,
    TRANSITIONS,
    Action,
    Admission,
    Input,
    LinkEvent,
    Port,
    State,
)

pytestmark = pytest.mark.timeout(30)

REQ, RESP = Port.REQUEST, Port.RESPONSE
OK, BUSY, DENIED, BROKEN = LinkEvent.HANDSHAKE_OK, LinkEvent.BUSY, LinkEvent.REFUSED, LinkEvent.FAILED
WHERE = "memory server at 10.0.0.1:9000"
_REFUSING = {State.REFUSED, State.RETRY_REQUESTING, State.RETRY_CONNECTING}

# How each input is given to the machine: an event of one socket, or the clock.
_FEED = {
    Input.REQUEST_OK: (REQ, OK),
    Input.RESPONSE_OK: (RESP, OK),
    Input.REFUSAL: (REQ, BUSY),
    Input.FAILURE: (RESP, BROKEN),
}


def _adm(many: bool = False) -> Admission:
    return Admission("10.0.0.1", 9000, many)


def _in(state: State, many: bool, now: float = 100.0) -> Admission:
    """A machine put in ``state`` (with a refusal and a timer where that state has them)."""
    adm = _adm(many)
    adm.state = state
    if state in _REFUSING:
        adm.refusal = "earlier refusal"
        adm.due = now + 1.0
    return adm


def _feed(adm: Admission, inp: Input, now: float) -> Action | None:
    if inp is Input.TIMER:
        return adm.tick(max(now, adm.due))
    sock, event = _FEED[inp]
    return adm.event(sock, event, now)


_ROWS = [(many, state, inp, row) for many, table in TRANSITIONS.items() for (state, inp), row in table.items()]


@pytest.mark.parametrize("many,state,inp,row", _ROWS,
                         ids=[f"{'many' if m else 'plain'}-{s.name}-{i.name}" for m, s, i, _ in _ROWS])
def test_every_row_of_the_table(many: bool, state: State, inp: Input, row: object) -> None:
    """Each transition does what its row says: the next state, the action, the refusal text and the timer."""
    adm = _in(state, many)
    due_before = adm.due
    now = adm.due if inp is Input.TIMER else 100.0
    assert _feed(adm, inp, now) is row.action  # type: ignore[attr-defined]
    assert adm.state is row.next  # type: ignore[attr-defined]
    if row.next in _REFUSING:  # type: ignore[attr-defined]
        assert adm.refusal  # kept, or the new one
        expected = now + row.wait if row.wait is not None else due_before  # type: ignore[attr-defined]
        assert adm.due == pytest.approx(expected)
    else:
        assert adm.refusal == "" and adm.due == float("inf")


_ABSENT = [(many, state, inp) for many, table in TRANSITIONS.items()
           for state, inp in itertools.product(State, Input) if (state, inp) not in table]


@pytest.mark.parametrize("many,state,inp", _ABSENT,
                         ids=[f"{'many' if m else 'plain'}-{s.name}-{i.name}" for m, s, i in _ABSENT])
def test_a_pair_not_in_the_table_changes_nothing(many: bool, state: State, inp: Input) -> None:
    adm = _in(state, many)
    before = (adm.state, adm.refusal, adm.due)
    assert _feed(adm, inp, 100.0) is None
    assert (adm.state, adm.refusal, adm.due) == before


def test_the_tables_reach_every_state_from_the_start_and_use_every_input() -> None:
    for many, table in TRANSITIONS.items():
        reached, todo = {START[many]}, [START[many]]
        while todo:
            state = todo.pop()
            for (s, _), row in table.items():
                if s is state and row.next not in reached:
                    reached.add(row.next)
                    todo.append(row.next)
        expected = set(State) if not many else set(State) - {State.REQUESTING, State.RETRY_REQUESTING}
        assert reached == expected and {s for s, _ in table} == expected
        assert {i for _, i in table} == (set(Input) if not many else set(Input) - {Input.REQUEST_OK})


def test_the_module_knows_no_zeromq_and_no_role_strings() -> None:
    """Admission is pure: it imports only the standard library, and sockets are an enum, not strings."""
    tree = ast.parse(Path(_client_admission.__file__).read_text())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "enum", "math", "typing"}, imported
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert not {"request", "response"} & (strings - {s.value for s in Port})


# -- scenarios -----------------------------------------------------------------------------------------
def test_plain_client_connects_its_response_socket_once_the_request_socket_is_admitted() -> None:
    adm = _adm()
    assert adm.state is State.REQUESTING
    assert adm.event(REQ, LinkEvent.CONNECTED, 0.0) is None
    assert adm.event(REQ, OK, 0.0) is Action.CONNECT_RESPONSE and adm.state is State.CONNECTING
    assert adm.event(REQ, OK, 0.1) is None  # a reconnect later: the response socket is connected
    assert adm.event(RESP, OK, 0.1) is None
    assert adm.state is State.ADMITTED and adm.refusal == ""
    assert adm.event(REQ, OK, 0.2) is None and adm.state is State.ADMITTED


def test_many_clients_client_connects_both_at_once() -> None:
    adm = _adm(many=True)
    assert adm.state is State.CONNECTING
    assert adm.event(RESP, OK, 0.0) is None
    assert adm.event(REQ, OK, 0.0) is None
    assert adm.state is State.ADMITTED


@pytest.mark.parametrize("sock,event,text,retry", [
    (REQ, BUSY, f"{WHERE} already serves another client", RETRY_S),
    (RESP, BUSY, f"{WHERE} already serves another client", RETRY_S),
    (REQ, DENIED, f"{WHERE} refused this client: its address or CURVE key is not allowed", RETRY_S),
    (REQ, BROKEN, f"handshake with {WHERE} failed (CURVE keys or security settings differ)", RETRY_FAILED_S),
    (RESP, BROKEN, f"{WHERE} does not accept plain clients (it serves many clients: set manyClients alike "
                   "on both sides)", RETRY_FAILED_S),
])
def test_refusals(sock: Port, event: LinkEvent, text: str, retry: float) -> None:
    adm = _adm()
    adm.event(REQ, OK, 10.0)
    assert adm.event(sock, event, 10.0) is Action.REFUSED
    assert adm.state is State.REFUSED and adm.refusal == text
    assert adm.due == 10.0 + retry


def test_wrong_socket_type_is_seen_as_a_drop_during_the_handshake() -> None:
    adm = _adm(many=True)
    assert adm.event(RESP, LinkEvent.CONNECTED, 0.0) is None
    assert adm.event(RESP, LinkEvent.DISCONNECTED, 0.0) is Action.REFUSED
    assert "does not accept many-clients clients (it serves one" in adm.refusal
    # A drop after a completed handshake is a lost link, not a refusal; so is a drop of the request socket.
    adm = _adm()
    adm.event(REQ, LinkEvent.CONNECTED, 0.0)
    assert adm.event(REQ, LinkEvent.DISCONNECTED, 0.0) is None and adm.state is State.REQUESTING
    adm.event(REQ, OK, 0.0)
    adm.event(RESP, LinkEvent.CONNECTED, 0.0)
    adm.event(RESP, OK, 0.0)
    assert adm.event(RESP, LinkEvent.DISCONNECTED, 1.0) is None and adm.state is State.ADMITTED


def test_refused_client_retries_keeps_its_text_until_admitted() -> None:
    adm = _adm()
    adm.event(REQ, BUSY, 0.0)
    assert adm.tick(RETRY_S - 0.01) is None
    assert adm.tick(RETRY_S) is Action.RETRY and adm.state is State.RETRY_REQUESTING
    assert adm.refusal  # still refusing while the attempt is under way
    assert adm.event(REQ, OK, RETRY_S + 0.01) is Action.CONNECT_RESPONSE and adm.refusal
    assert adm.event(RESP, OK, RETRY_S + 0.02) is None
    assert adm.state is State.ADMITTED and adm.refusal == ""


def test_retry_refused_again_waits_again() -> None:
    adm = _adm()
    adm.event(REQ, BUSY, 0.0)
    adm.tick(RETRY_S)
    assert adm.event(REQ, BUSY, RETRY_S + 0.1) is Action.REFUSED
    assert adm.state is State.REFUSED and adm.due == pytest.approx(2 * RETRY_S + 0.1)


def test_retry_without_outcome_gives_up_and_behaves_as_not_connected() -> None:
    adm = _adm()
    adm.event(REQ, DENIED, 0.0)
    adm.tick(RETRY_S)
    adm.event(REQ, OK, RETRY_S + 0.5)  # the request socket got in; the response socket never answers
    assert adm.state is State.RETRY_CONNECTING
    assert adm.tick(RETRY_S + GIVE_UP_S - 0.01) is None and adm.state is State.RETRY_CONNECTING  # the timer goes on
    assert adm.tick(RETRY_S + GIVE_UP_S) is None
    assert adm.state is State.CONNECTING and adm.refusal == ""
    assert adm.tick(100.0) is None  # no more retries: nothing was refused


def test_many_clients_retry_connects_both() -> None:
    adm = _adm(many=True)
    adm.event(REQ, DENIED, 0.0)
    assert adm.tick(RETRY_S) is Action.RETRY and adm.state is State.RETRY_CONNECTING
    assert adm.event(REQ, OK, RETRY_S) is None  # both sockets connect again at once: nothing more to connect


def test_a_late_response_handshake_after_a_refusal_is_ignored() -> None:
    """Both sockets were disconnected on the refusal: a queued success of the response socket admits nothing."""
    adm = _adm(many=True)
    adm.event(REQ, BUSY, 0.0)
    assert adm.event(RESP, OK, 0.0) is None and adm.state is State.REFUSED
    assert adm.tick(RETRY_S) is Action.RETRY  # and it still asks again


def test_warning_once_per_refusal_not_per_retry() -> None:
    adm = _adm()
    adm.event(REQ, BUSY, 0.0)
    assert adm.warning() == f"{WHERE} already serves another client"
    adm.tick(RETRY_S)
    adm.event(REQ, BUSY, RETRY_S)
    assert adm.warning() == ""  # the same refusal again
    adm.event(REQ, DENIED, 3.0)
    assert adm.warning().endswith("is not allowed")  # a different one
    adm.tick(adm.due)
    adm.event(REQ, OK, 6.0)
    adm.event(RESP, OK, 6.0)
    adm.event(REQ, DENIED, 9.0)
    assert adm.warning().endswith("is not allowed")  # admitted in between: a new refusal


def test_events_that_are_no_outcome_change_nothing() -> None:
    adm = _adm()
    for sock in Port:
        assert adm.event(sock, LinkEvent.CONNECTED, 0.0) is None
        assert adm.event(Port.REQUEST, LinkEvent.DISCONNECTED, 0.0) is None
    assert adm.state is State.REQUESTING and adm.tick(50.0) is None
