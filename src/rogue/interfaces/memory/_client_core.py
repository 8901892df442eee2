"""The memory ``TcpClient``'s protocol core: transactions and response messages in, completions out (no sockets, threads or clock).

In the shape of h11's ``Connection``, like the server's ``_server_core``: the
I/O layer (``_tcp_client``) builds each request with :meth:`ClientCore.request`
(which registers the transaction as in flight), hands every received response
message to :meth:`ClientCore.receive` with the time it read them at, and calls
:meth:`ClientCore.prune` with the time periodically. The core decodes with the codec (``_wire``), matches responses
to in-flight transactions by id, checks them as ``docs/wire.md`` says for the
reference client, completes the transactions, recognises probe answers, and
counts and warns (rate-limited) about every response it drops. Admission (who
the server lets in) is :class:`~._client_admission.Admission`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from ..._warn_limiter import WarnLimiter
from . import _wire as w
from .transaction import Transaction

__all__ = ["ClientCore"]

_DEBUG = logging.DEBUG
_WRITE, _POST, _PROBE = w.WRITE, w.POST, w.PROBE
_SIZE_TEXT = "Received transaction response did not match header size"  # the reference client's text
_decode, _WireError, _request_parts = w.decode_response, w.WireError, w.request_parts


class ClientCore:
    """In-flight table, response matching, probe ids and counters of a memory bridge client.

    ``route``: the many-clients routing id put before every request ("" for a
    plain client). The I/O layer reads :attr:`inflight` (its size) and the
    counters; :meth:`receive` runs in one thread at a time (whoever holds the
    response socket), :meth:`request` in any sender's thread.
    """

    def __init__(self, name: str, log: logging.Logger, route: bytes = b"") -> None:
        self._name = name
        self._log = log
        self._route = route
        self.inflight: dict[int, Transaction] = {}
        self.probe_id = 0  # the last probe sent (ids rise from 1)
        self.completed = self.failed = self.timed_out = self.malformed = self.unknown = 0
        self._bad = WarnLimiter(log, "dropped response")

    # -- requests --------------------------------------------------------------------------------
    def request(self, tran: Transaction) -> list[w.Part]:
        """The request message for ``tran``; registers it as in flight first unless it is a Post.

        Registered before the send, so a fast response finds it; :meth:`forget`
        takes it back when the send fails.
        """
        tid, ttype = tran._id, tran._type
        parts = _request_parts(tid, tran._address, tran._size, ttype & 0xFFFFFFFF,
                               tran._data() if ttype == _WRITE or ttype == _POST else None)
        if self._route:
            parts.insert(0, self._route)
        if ttype != _POST:
            self.inflight[tid] = tran
        return parts

    def forget(self, tid: int) -> None:
        """Take transaction ``tid`` out of flight (its request was not sent)."""
        self.inflight.pop(tid, None)

    def probe(self, pid: int) -> list[w.Part]:
        """The probe message with id ``pid`` (which becomes the probe in flight)."""
        self.probe_id = pid
        parts = w.probe_request(pid)
        return [self._route, *parts] if self._route else parts

    # -- responses -------------------------------------------------------------------------------
    def receive(self, messages: Iterable[Sequence[w.Part]], now: float) -> bool:
        """Handle response messages (each a list of parts) received at ``now``; True when one answered a probe.

        ``now`` (a ``time.monotonic()`` value) decides which transactions had
        already expired: their late responses are counted, not applied.
        """
        inflight = self.inflight
        bad = self._bad
        debug = self._log.isEnabledFor(_DEBUG)
        probed = False
        for parts in messages:
            try:
                resp = _decode(parts)
            except _WireError as exc:
                self.malformed += 1
                bad.warn(exc.reason)
                continue
            ttype = resp.type
            if ttype == _PROBE:
                probed |= self._probe_response(resp)
                continue
            tran = inflight.pop(resp.id, None)
            if tran is None:
                if ttype != _POST:  # the server answers posts too; they completed already
                    self.unknown += 1
                    bad.warn(f"no transaction in flight with id {resp.id}")
                continue
            if tran._claim.locked() or now > tran._deadline:  # tran.expired() at ``now``
                self.timed_out += 1
                bad.warn(f"transaction {resp.id} already expired")
                continue
            if resp.address != tran._address or resp.size != tran._size or ttype != tran._type:
                self.failed += 1
                bad.warn(f"response to transaction {resp.id} has address 0x{resp.address:x} size {resp.size} "
                         f"type {ttype}, expected 0x{tran._address:x}, {tran._size}, {tran._type}")
                tran._complete(None, f"{self._name}: response header does not match transaction {resp.id}")
                continue
            data = resp.data
            if ttype != _WRITE and len(data) != resp.size:
                self.failed += 1
                bad.warn(f"response to transaction {resp.id} has {len(data)} data bytes for size {resp.size}")
                tran._complete(None, _SIZE_TEXT)
                continue
            if resp.result == "OK":
                took = tran._complete(None if ttype == _WRITE else data, "")
                self.completed += took
            else:
                with tran.lock():  # the master's timeout takes this lock: no copy into a released buffer
                    view = tran._view
                    if ttype != _WRITE and view is not None and not tran._claim.locked():
                        view[:] = data
                    took = tran._complete(None, resp.result)
                self.failed += took
            if not took:
                self.timed_out += 1
            if debug:
                self._log.debug("Response id=%d: %s", resp.id, resp.result)
        return probed

    def _probe_response(self, resp: w.Response) -> bool:
        # Any probe this client sent counts (ids rise from 1): a busy server answering an
        # earlier probe after the next one went out is ready all the same, not "unknown".
        if 0 < resp.id <= self.probe_id and resp.result == "OK" and resp.size == 0 and len(resp.data) == 0:
            if self._log.isEnabledFor(_DEBUG):
                self._log.debug("Probe id=%d answered", resp.id)
            return True
        self.unknown += 1
        self._bad.warn(f"probe response id {resp.id} ({resp.result}) does not match the probe in flight "
                       f"(id {self.probe_id})")
        return False

    # -- housekeeping ----------------------------------------------------------------------------
    def prune(self, now: float) -> None:
        """Forget in-flight transactions expired by ``now`` without a response; log suppressed warnings."""
        inflight = self.inflight
        for tid, tran in list(inflight.items()):
            if (tran._claim.locked() or now > tran._deadline) and inflight.pop(tid, None) is not None:
                self.timed_out += 1
        self._bad.tick()

    def fail_all(self, text: str) -> None:
        """Complete every transaction in flight with the error ``text`` (safe against concurrent pops)."""
        inflight = self.inflight
        while inflight:
            try:
                tran = inflight.popitem()[1]
            except KeyError:
                break
            tran._complete(None, text)

    def counters(self) -> dict[str, int]:
        """The response counters (``TcpClient.stats`` names)."""
        return {"inFlight": len(self.inflight), "completed": self.completed, "failed": self.failed,
                "timedOut": self.timed_out, "malformed": self.malformed, "unknown": self.unknown}
