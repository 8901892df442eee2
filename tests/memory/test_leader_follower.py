"""Leader/follower use of the memory client's response socket, with a fake socket service (no sockets)."""

from __future__ import annotations

import threading
from time import monotonic

import pytest

from rogue.interfaces.memory._leader_follower import GRACE_S, LeaderFollower

pytestmark = pytest.mark.timeout(30)


class Tran:
    """A transaction stand-in: finished once its claim is taken (``Transaction._claim``, as the leader tests it)."""

    def __init__(self) -> None:
        self._claim = threading.Lock()

    def finish(self) -> None:
        self._claim.acquire(False)

    def finished(self) -> bool:
        return self._claim.locked()


class Socket:
    """A fake service: records which thread serviced, finishes the transaction it is given."""

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.tran: Tran | None = None
        self.pending = 0
        self.running = True

    def service(self, timeout_ms: int) -> None:
        assert 0 < timeout_ms <= 100
        self.threads.append(threading.current_thread().name)
        if self.tran is not None:
            self.tran.finish()
            self.pending = 0


def _lf(sock: Socket) -> LeaderFollower:
    return LeaderFollower(sock.service, lambda: sock.pending, lambda: sock.running)


def test_a_waiting_master_receives_its_response_in_its_own_thread() -> None:
    sock = Socket()
    lf = _lf(sock)
    sock.tran, sock.pending = Tran(), 1
    lf.lead(sock.tran, monotonic() + 5)
    assert sock.tran.finished() and sock.threads == [threading.current_thread().name]
    # Nothing in flight after it: the receive thread keeps off the socket for the grace.
    after: list[int] = []
    lf.follow(100, lambda: after.append(1))
    assert after == [] and sock.threads == [threading.current_thread().name]


def test_a_master_finding_the_socket_busy_returns_and_the_holder_serves() -> None:
    sock = Socket()
    lf = _lf(sock)
    tran = Tran()
    with lf.lock:  # the receive thread holds the socket
        lf.lead(tran, monotonic() + 5)
    assert sock.threads == [] and not tran.finished()
    assert lf._want  # the receive thread steps aside once nothing is in flight


def test_a_master_leaving_with_transactions_in_flight_hands_over_at_once() -> None:
    sock = Socket()
    lf = _lf(sock)
    tran = Tran()
    tran.finish()  # its own transaction finished; another is still in flight
    sock.pending = 1
    lf.lead(tran, monotonic() + 5)
    after: list[int] = []
    lf.follow(100, lambda: after.append(1))  # no grace: the receive thread serves now
    assert after == [1] and len(sock.threads) == 1


def test_receive_thread_serves_after_the_grace_and_stops_with_running() -> None:
    sock = Socket()
    lf = _lf(sock)
    lf.lead(Tran(), monotonic())  # a master that received and left, nothing in flight
    after: list[int] = []
    end = monotonic() + 10
    while not after and monotonic() < end:
        lf.follow(100, lambda: after.append(1))
    assert after == [1]
    sock.running = False
    lf.follow(100, lambda: after.append(2))
    assert after == [1]  # stopping: no more service
    assert GRACE_S < 1
