"""``rogue.interfaces.ZmqServer``: the byte-moving base of pyrogue's remote interface (Rogue's C++ class).

Three sockets on base port P (``docs/zmq_server.md``, 3.1): PUB on P (what
:meth:`ZmqServer._publish` sends), REP on P+1 (each request's bytes go to
``_doRequest``, its result is the reply) and REP on P+2 (the text goes to
``_doString``, its str is the reply). pyrogue's ``pyrogue.interfaces.ZmqServer``
subclasses it and does the pickling and JSON. Each REP socket has its own
thread, so a slow request does not hold up the string port.

Beyond Rogue: one request that fails (an exception, a result that is not
bytes, an empty request) gets an empty reply and a warning, so the REP socket
never wedges; the ports are free when :meth:`ZmqServer._stop` returns; who may
connect can be restricted (``allow``, CURVE), as on the other bridges.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

import zmq

from .._logging import Logging
from .._transport import (
    Waker,
    ensure_released,
    listening_address,
    make_socket,
    recv_one,
    register_closer,
    release_timeout,
    start_io_thread,
    unregister_closer,
    wait_free,
)
from ._zmq_common import (
    BridgeSecurity,
    SocketGuard,
    bind_error,
    candidate_ports,
    log_hook_error,
    rogue_error,
    tcp_url,
)

__all__ = ["ZmqServer"]

_ROLES = ("request", "string")


class _Serving:
    """The sockets, threads and wake-up of one running period (from ``_start`` to ``_stop``)."""

    def __init__(self, pub: zmq.Socket[Any], reps: list[zmq.Socket[Any]], guard: SocketGuard) -> None:
        self.pub: zmq.Socket[Any] | None = pub
        self.reps = reps
        self.guard = guard
        self.listen = [a for a in (listening_address(s) for s in (pub, *reps)) if a is not None]
        self.wake = Waker()
        self.threads: list[threading.Thread] = []
        self.running = True
        self.inside_stop: threading.Thread | None = None  # the serving thread that called _stop, if one did
        self.stopped = threading.Event()  # set when its stop has finished


class _State:
    """Everything a ZmqServer holds, in one attribute (subclasses own the rest of the instance's ``__dict__``)."""

    def __init__(self, addr: str, port: int, security: BridgeSecurity) -> None:
        self.addr = addr
        self.port = port  # as asked (0: automatic) until a start binds; then the base port in use
        self.security = security
        self.log = Logging.create("ZmqServer")
        self.lock = threading.Lock()  # start and stop
        self.pub_lock = threading.Lock()  # the PUB socket: _publish from any thread, closed by stop
        self.serving: _Serving | None = None
        self.stopping: _Serving | None = None  # the last period stopped (its stop may still be in progress)

    @property
    def name(self) -> str:
        return f"ZmqServer.{self.addr}.{self.port}"

    def bind(self, port: int) -> tuple[zmq.Socket[Any], list[zmq.Socket[Any]], SocketGuard] | zmq.ZMQError:
        """PUB on ``port``, REP on ``port + 1`` and ``port + 2``, or the bind error (all closed and released)."""
        guard = SocketGuard(self.security, self.log, f"ZmqServer {self.addr}")
        socks: list[zmq.Socket[Any]] = []
        try:
            for k, kind in enumerate((zmq.PUB, zmq.REP, zmq.REP)):
                sock = make_socket(kind, self.addr, guard.prepare)
                socks.append(sock)
                sock.bind(tcp_url(self.addr, port + k))
        except zmq.ZMQError as exc:
            held = [a for a in (listening_address(s) for s in socks) if a is not None]
            for s in socks:
                s.close(linger=0)
            guard.close()
            wait_free(held)
            self.log.debug("Failed to bind server to %s: %s", tcp_url(self.addr, port + len(socks) - 1), exc)
            return exc
        return socks[0], socks[1:], guard

    def close(self) -> None:
        """Stop serving (``_stop``; also run at interpreter exit for a server left running).

        The lock is held only to take the serving period: a hook that calls
        ``_stop`` while another thread stops the server returns at once
        instead of waiting for the thread that waits for it.
        """
        with self.lock:
            serving, self.serving = self.serving, None
            if serving is None:
                return
            self.stopping = serving  # a _start waits until its ports are released
            serving.running = False
            serving.wake.wake()
        try:
            unregister_closer(self)
            me = threading.current_thread()
            listen = list(serving.listen)
            for t, rep in zip(serving.threads, serving.reps):
                if t is me:  # _stop from inside _doRequest/_doString: that socket closes when the hook returns
                    where = listening_address(rep)
                    listen = [a for a in listen if a != where]
                    continue
                t.join(release_timeout())
                if t.is_alive():
                    self.log.warning("Waiting for the %s thread: still busy in its hook", t.name)
                    t.join()
            with self.pub_lock:
                pub, serving.pub = serving.pub, None
            if pub is not None:
                pub.close(linger=0)
            if me in serving.threads:
                serving.inside_stop = me  # it closes its socket and the wake-up when its hook returns
            else:
                serving.wake.close()
            serving.guard.close()
            self.log.info("Zmq server done. Exiting")
            ensure_released(self.name, listen)
        finally:
            serving.stopped.set()

    def wait_stopped(self) -> None:
        """Wait until a stop in progress in another thread has released the ports (before a new start binds them)."""
        prev = self.stopping
        if prev is not None and threading.current_thread() not in prev.threads:
            prev.stopped.wait()


class ZmqServer:
    """Serves bytes to pyrogue clients on ports P (PUB), P+1 (requests) and P+2 (strings); Rogue's ``rogue.interfaces.ZmqServer``.

    ``ZmqServer(addr, port)`` only stores its arguments; :meth:`_start` binds
    ``addr`` (``'*'``: every interface; ``'127.0.0.1'``: this machine only) on
    ``port`` (0: the first free of 9099, 9103, ..., 9195). Subclasses override
    :meth:`_doRequest` and :meth:`_doString`.

    Who may connect (README, "Serving a pyrogue tree"): requests to a pyrogue server
    are pickles, which run code in the server's process. ``allow`` (IP
    addresses or networks) and CURVE (``serverSecretKey`` with
    ``allowedClientKeys``) restrict it, here or through :meth:`setSecurity`.
    """

    def __init__(self, addr: str, port: int, *, allow: Any = None, serverSecretKey: Any = None,
                 allowedClientKeys: Any = None) -> None:
        base = operator.index(port)
        if not 0 <= base <= 65533:
            raise rogue_error("ZmqServer::ZmqServer", f"bad port {base}: 0 (automatic) or 1..65533 (P, P+1 and "
                               "P+2 are used)")
        addr = str(addr)
        self.__rogue_bridge = _State(addr, base, self.__security(addr, base, allow, serverSecretKey,
                                                                 allowedClientKeys))

    @staticmethod
    def __security(addr: str, port: int, allow: Any, secret: Any, clients: Any) -> BridgeSecurity:
        return BridgeSecurity.for_server(f"ZmqServer.{addr}.{port}", allow=allow, serverSecretKey=secret,
                                         allowedClientKeys=clients)

    def setSecurity(self, *, allow: Any = None, serverSecretKey: Any = None, allowedClientKeys: Any = None) -> None:
        """Who may connect from the next :meth:`_start` on (for a server a subclass such as pyrogue's constructs).

        ``allow``: IP addresses or networks; ``serverSecretKey`` with
        ``allowedClientKeys``: CURVE (Z85 text, raw keys or certificate files).
        Nothing given: anyone who reaches the ports (Rogue's behaviour).
        """
        s = self.__rogue_bridge
        s.security = self.__security(s.addr, s.port, allow, serverSecretKey, allowedClientKeys)

    def _start(self) -> None:
        """Bind the three ports and start serving (nothing if already serving); GeneralError when no port binds."""
        s = self.__rogue_bridge
        s.wait_stopped()
        with s.lock:
            if s.serving is not None:
                return
            last: zmq.ZMQError | None = None
            for port in candidate_ports(s.port):
                bound = s.bind(port)
                if not isinstance(bound, zmq.ZMQError):
                    break
                last = bound
            else:
                raise bind_error(s.addr, s.port) from last
            s.port = port  # a restart binds the same ports again, as Rogue does
            pub, reps, guard = bound
            serving = _Serving(pub, reps, guard)
            for rep, role in zip(reps, _ROLES):
                serving.threads.append(start_io_thread(s.name, role, self.__loop(serving, rep, role)))
            s.serving = serving
            register_closer(s)
            s.log.debug("Started Rogue server on %s at ports %d:%d:%d", s.addr, port, port + 1, port + 2)
            with s.pub_lock:
                pub.send(b"null\n")

    def _stop(self) -> None:
        """Stop serving (idempotent); the ports are free when it returns, a new server may bind them at once.

        Waits for a request being answered. Called from inside ``_doRequest``
        or ``_doString``, that thread's port is released when the hook returns.
        """
        self.__rogue_bridge.close()

    def port(self) -> int:
        """The base port P: the one in use once started (with port 0, the one found), else as given."""
        return self.__rogue_bridge.port

    def _publish(self, buf: Any) -> None:
        """Send ``buf`` (any bytes-like object) as one message on the PUB port; nothing when not serving."""
        s = self.__rogue_bridge
        if s.serving is None:
            return
        try:
            data = memoryview(buf)
        except TypeError as exc:
            raise rogue_error("ZmqServer::publish", "Failed to extract object data") from exc
        with s.pub_lock:
            serving = s.serving
            pub = serving.pub if serving is not None else None
            if pub is None:
                return
            try:
                pub.send(data)
            except zmq.ZMQError as exc:
                raise rogue_error("ZmqServer::publish", "zmq_sendmsg failed") from exc

    def _doRequest(self, data: bytes) -> Any:
        """Answer a request from port P+1: return a bytes-like object (this default: None, an empty reply)."""
        return None

    def _doString(self, data: str) -> str:
        """Answer a request from port P+2 (this default: ``""``)."""
        return ""

    # -- the two serving threads -----------------------------------------------------------------
    def __loop(self, serving: _Serving, sock: zmq.Socket[Any], role: str) -> Any:
        """The body of the thread answering ``sock`` (``role``: ``request`` for P+1, ``string`` for P+2)."""
        answer = self.__answer_request if role == "request" else self.__answer_string
        log = self.__rogue_bridge.log

        def run() -> None:
            poller = zmq.Poller()
            poller.register(sock, zmq.POLLIN)
            poller.register(serving.wake.fd, zmq.POLLIN)
            try:
                while serving.running:
                    try:
                        if sock not in dict(poller.poll()):
                            continue
                        data = recv_one(sock)
                        sock.send(answer(data) if data else b"")  # an empty request: an empty reply
                    except zmq.Again:
                        continue
                    except zmq.ContextTerminated:
                        break
                    except Exception:  # noqa: BLE001 - the thread must outlive anything
                        log.exception("ZmqServer %s thread error (continuing)", role)
            finally:
                sock.close(linger=0)
                if serving.inside_stop is threading.current_thread():
                    serving.wake.close()  # stopped from this thread's hook: the last user of the wake-up

        return run

    def __answer_request(self, data: bytes) -> Any:
        """``_doRequest``'s result as the reply; on an exception or a result that is not bytes-like, b"" and a warning."""
        try:
            result = self._doRequest(data)
            try:
                reply = memoryview(result)
            except TypeError:
                raise TypeError(f"_doRequest returned {type(result).__name__}, not a bytes-like object") from None
            if not reply.contiguous:
                raise TypeError("_doRequest returned a buffer that is not contiguous")
            return reply
        except Exception as exc:  # noqa: BLE001 - one bad request must not wedge the REP socket
            log_hook_error(self.__rogue_bridge.log, "ZmqServer::runThread", "request", exc)
            return b""

    def __answer_string(self, data: bytes) -> bytes:
        """``_doString``'s str, UTF-8; on an exception or a result that is not a str, b"" and a warning."""
        try:
            result = self._doString(data.decode("utf-8"))
            if not isinstance(result, str):
                raise TypeError(f"_doString returned {type(result).__name__}, not str")
            return result.encode("utf-8")
        except Exception as exc:  # noqa: BLE001 - one bad request must not wedge the REP socket
            log_hook_error(self.__rogue_bridge.log, "ZmqServer::strThread", "request", exc)
            return b""
