"""``rogue.interfaces.ZmqClient``: the byte-moving base of pyrogue's ``VirtualClient`` (Rogue's C++ class).

``ZmqClient(addr, port, False)`` (``docs/zmq_server.md``, 3.2) subscribes to
the server's PUB port P (every message goes to ``_doUpdate`` in the client's
own thread, started inside the constructor as in Rogue) and sends requests to
P+1 with :meth:`ZmqClient._send`.
``ZmqClient(addr, port, True)`` talks to the string port P+2 only, through
:meth:`~ZmqClient.getDisp`, :meth:`~ZmqClient.setDisp`, :meth:`~ZmqClient.exec`
and :meth:`~ZmqClient.valueDisp`.

Beyond Rogue: the string requests are proper JSON (escaped); an empty reply to
``_send`` (the server could not answer) raises at once instead of being taken
for a timeout, and an empty string reply is the answer ``""``; ``_stop`` wakes
a waiting request at once; CURVE keys, as on the other bridges.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

import zmq

from .._logging import Logging
from .._transport import Waker, make_socket, recv_one, register_closer, start_io_thread, unregister_closer
from ._zmq_common import (
    BridgeSecurity,
    SocketGuard,
    log_hook_error,
    rogue_error,
    string_request,
    tcp_url,
)
from ._zmq_request import Requester

__all__ = ["ZmqClient"]

_defaults_lock = threading.Lock()
_default_keys: dict[str, Any] = {}

_BOOL_TEXT = ("ZmqClient.setTimeout(warnTime, failTime=0): arguments must be int milliseconds, not bool. The legacy "
              "(msecs, waitRetry[, maxRetries]) form was removed; pass failTime=0 to retry forever.")


def _uint32(value: Any, what: str) -> int:
    number = operator.index(value)
    if not 0 <= number <= 0xFFFFFFFF:
        raise OverflowError(f"ZmqClient: {what} {number} is not a 32-bit unsigned number of milliseconds")
    return number


class _State:
    """Everything a ZmqClient holds, in one attribute (subclasses own the rest of the instance's ``__dict__``)."""

    def __init__(self, addr: str, port: int, string_mode: bool, security: BridgeSecurity) -> None:
        self.name = f"ZmqClient.{addr}.{port}"
        self.string_mode = string_mode
        self.log = Logging.create("ZmqClient")
        self.running = True
        self.stop_lock = threading.Lock()
        self.stopped = False
        self.wake = Waker()
        self.sub: zmq.Socket[Any] | None = None
        self.thread: threading.Thread | None = None
        self.stopped_inside = False  # _stop came from _doUpdate, in the SUB thread
        try:
            if not string_mode:
                self.sub = make_socket(zmq.SUB, addr, SocketGuard(security, self.log).prepare, subscribe=b"",
                                       rcvtimeo=100)
                try:
                    self.sub.connect(tcp_url(addr, port))
                except zmq.ZMQError as exc:
                    raise rogue_error("ZmqClient::ZmqClient",
                                       f"Failed to connect to port {port} at address {addr}") from exc
            self.requester = Requester(addr, port + (2 if string_mode else 1), security, self.log, string_mode)
        except BaseException:
            if self.sub is not None:
                self.sub.close(linger=0)
            self.wake.close()
            raise

    def close(self) -> None:
        """Stop the SUB thread and close the sockets (``_stop``; also run at exit for a client left open)."""
        with self.stop_lock:
            if self.stopped:
                return
            self.stopped = True
        unregister_closer(self)
        self.running = False
        self.wake.wake()
        self.requester.close()  # a waiting request gives up at once
        thread = self.thread
        if thread is not None and thread is threading.current_thread():
            self.stopped_inside = True  # the thread closes its socket and the wake-up when _doUpdate returns
            return
        if thread is not None:
            thread.join()
        elif self.sub is not None:
            self.sub.close(linger=0)
        self.wake.close()


class ZmqClient:
    """A client of a pyrogue ``ZmqServer`` (Rogue's ``rogue.interfaces.ZmqClient``).

    ``doString`` False: updates from port P go to :meth:`_doUpdate` (override
    it), requests go to P+1 with :meth:`_send`. True: string requests to P+2.
    :meth:`setTimeout` sets how long a request waits (default: fail after
    1 s). CURVE (``clientSecretKey`` with ``serverPublicKey``, as on the other
    bridges), here or for every later client with :meth:`setDefaultSecurity`.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "ZmqClient":
        """Accept the constructor's arguments (pyrogue's ``VirtualClient.__new__`` passes them up)."""
        return super().__new__(cls)

    def __init__(self, addr: str, port: int, doString: bool, *, clientSecretKey: Any = None,
                 serverPublicKey: Any = None) -> None:
        old = self.__dict__.get("_ZmqClient__rogue_bridge")
        if old is not None:
            old.close()
        base = operator.index(port)
        if not 0 <= base <= 65533:
            raise rogue_error("ZmqClient::ZmqClient", f"bad port {base}: 0..65533 (P, P+1 and P+2 are used)")
        addr = str(addr)
        if clientSecretKey is None and serverPublicKey is None:
            with _defaults_lock:
                keys = dict(_default_keys)
        else:
            keys = {"clientSecretKey": clientSecretKey, "serverPublicKey": serverPublicKey}
        security = BridgeSecurity.for_client(f"ZmqClient.{addr}.{base}", **keys)
        state = _State(addr, base, bool(doString), security)
        self.__rogue_bridge = state
        register_closer(state)
        if state.string_mode:
            state.log.info("Connected to Rogue server at port %d", base + 2)
        else:
            state.log.info("Connected to Rogue server at ports %d:%d", base, base + 1)
            state.thread = start_io_thread(state.name, "sub", self.__sub_loop(state))

    @staticmethod
    def setDefaultSecurity(*, clientSecretKey: Any = None, serverPublicKey: Any = None) -> None:
        """CURVE keys for the clients created from now on without keys of their own (e.g. pyrogue's ``VirtualClient``).

        Both keys, or neither (no CURVE: Rogue's behaviour). Checked now.
        """
        BridgeSecurity.for_client("ZmqClient", clientSecretKey=clientSecretKey, serverPublicKey=serverPublicKey)
        with _defaults_lock:
            _default_keys.clear()
            if clientSecretKey is not None:
                _default_keys.update(clientSecretKey=clientSecretKey, serverPublicKey=serverPublicKey)

    def __state(self) -> _State:
        state = self.__dict__.get("_ZmqClient__rogue_bridge")
        if state is None:
            raise rogue_error("ZmqClient", "not initialised: ZmqClient.__init__ was not called")
        assert isinstance(state, _State)
        return state

    def _doUpdate(self, data: bytes) -> None:
        """Called with each message from the server's PUB port, in the client's thread (this default: nothing)."""

    def _send(self, buf: Any) -> bytes:
        """Send ``buf`` (bytes-like) to port P+1 and return the reply, waiting as :meth:`setTimeout` says.

        GeneralError on a timeout, on a stop, when the server sent an empty
        reply (it could not answer: see its log) and in string mode.
        """
        state = self.__state()
        if state.string_mode:
            raise rogue_error("ZmqClient::send", "Invalid send call in string mode")
        try:
            data = memoryview(buf)
        except TypeError as exc:
            raise rogue_error("ZmqClient::send", "Failed to extract object data") from exc
        reply = state.requester.request(data, "ZmqClient::send")
        if not reply:
            raise rogue_error("ZmqClient::send", "Empty response from server: it could not answer the request "
                               "(see the server's log)")
        return reply

    def setTimeout(self, warnTime: int, failTime: int = 0) -> None:
        """Requests wait in periods of ``warnTime`` ms (warning after each second) and fail after ``failTime`` ms (0: never)."""
        if isinstance(warnTime, bool) or isinstance(failTime, bool):
            raise TypeError(_BOOL_TEXT)
        warn, fail = _uint32(warnTime, "warnTime"), _uint32(failTime, "failTime")
        if warn == 0:
            raise rogue_error("ZmqClient::setTimeout", "warnTime must be greater than 0 milliseconds")
        state = self.__state()
        state.log.debug("Setting timeout to warnTime = %d msecs, failTime = %d msecs", warn, fail)
        state.requester.set_timeout(warn, fail)

    def __string(self, path: str, attr: str, arg: Any) -> str:
        state = self.__state()
        if not state.string_mode:
            raise rogue_error("ZmqClient::sendString", "Invalid send call in standard mode")
        arg = str(arg)
        reply = state.requester.request(string_request(str(path), attr, [arg] if arg else []), "ZmqClient::sendString")
        return reply.decode("utf-8", errors="replace")

    def getDisp(self, path: str) -> str:
        """The display value of the variable at ``path`` (read from the hardware: its ``getDisp()``)."""
        return self.__string(path, "getDisp", "")

    def setDisp(self, path: str, value: str) -> None:
        """Set the variable at ``path`` from its display text ``value`` (its ``setDisp(value)``)."""
        self.__string(path, "setDisp", value)

    def exec(self, path: str, arg: str = "") -> str:
        """Run the command at ``path`` (with ``arg`` when not empty); its result as text."""
        return self.__string(path, "__call__", arg)

    def valueDisp(self, path: str) -> str:
        """The display value of the variable at ``path`` as last read (its ``valueDisp()``: no hardware access)."""
        return self.__string(path, "valueDisp", "")

    def _stop(self) -> None:
        """Stop the update thread and close the sockets (idempotent); a waiting request gives up at once."""
        state = self.__dict__.get("_ZmqClient__rogue_bridge")
        if isinstance(state, _State):
            state.close()

    def __sub_loop(self, state: _State) -> Any:
        """The body of the thread passing the PUB port's messages to ``_doUpdate``."""
        sub = state.sub
        assert sub is not None

        def run() -> None:
            poller = zmq.Poller()
            poller.register(sub, zmq.POLLIN)
            poller.register(state.wake.fd, zmq.POLLIN)
            try:
                while state.running:
                    try:
                        if sub not in dict(poller.poll()):
                            continue
                        data = recv_one(sub)
                    except zmq.Again:
                        continue
                    except zmq.ContextTerminated:
                        break
                    if not data:
                        continue
                    try:
                        self._doUpdate(data)
                    except Exception as exc:  # noqa: BLE001 - the loop goes on, as Rogue's
                        log_hook_error(state.log, "ZmqClient::runThread", "update", exc)
            finally:
                sub.close(linger=0)
                if state.stopped_inside:
                    state.wake.close()

        return run
