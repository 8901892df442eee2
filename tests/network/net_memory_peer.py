"""One end of a memory bridge for the network tests, run inside a namespace.

``python net_memory_peer.py server ADDR PORT INTERVAL TIMEOUT``: a memory
``TcpServer`` (exclusive, the default) on an ``Emulate``; a transaction at an
address of 0x8000 or more takes 1.5 s (so one can be in flight when the link
dies). ``... client ADDR PORT INTERVAL TIMEOUT``: a memory ``TcpClient`` with
a master (3 s timeout) that runs commands read from stdin, each in its own
thread: ``TAG w ADDR HEX`` (write) or ``TAG r ADDR SIZE`` (read).

Prints ``ready``; ``link UP T`` when ``isConnected()`` changes; ``res TAG
SECONDS DATA|- ERROR`` per command; ``st T CONNECTED LOSSES`` every 50 ms;
``log LEVEL T message`` for the bridge's log lines (INFO and up).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import rogue
import rogue.interfaces.memory as rim


_out = threading.Lock()


def say(*words: object) -> None:
    """Print one line atomically (several threads print)."""
    line = " ".join(str(w) for w in words) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()

TIMEOUT_US = 3_000_000
SLOW_FROM = 0x8000


class SlowEmulate(rim.Emulate):
    """Emulated memory; transactions at SLOW_FROM and above take 1.5 s."""

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        if transaction.address() >= SLOW_FROM:
            say("slow", f"0x{transaction.address():x}")  # the test waits for this: the transaction is in flight
            time.sleep(1.5)
        super()._doTransaction(transaction)


class Mem(rim.Master):
    def run(self, op: str, address: int, arg: str) -> tuple[bytes, str]:
        if op == "w":
            data = bytearray(bytes.fromhex(arg))
            self._reqTransaction(address, data, len(data), 0, rim.Write)
        else:
            data = bytearray(int(arg))
            self._reqTransaction(address, data, len(data), 0, rim.Read)
        self._waitTransaction(0)
        return bytes(data), self._getError()


class Echo(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO or os.environ.get("NET_DEBUG"):
            say("log", record.levelname, f"{time.monotonic():.3f}", record.getMessage())


def main() -> None:
    role, addr, port, ivl, tmo = sys.argv[1:6]
    threading.Timer(50.0, os._exit, (3,)).start()  # never outlive a failed test
    rogue.Logging.setLevel(rogue.Logging.Debug if os.environ.get("NET_DEBUG") else rogue.Logging.Info)
    logging.getLogger("pyrogue").addHandler(Echo())
    opts = {"heartbeatInterval": float(ivl), "heartbeatTimeout": float(tmo)}
    if role == "server":
        bridge: object = rim.TcpServer(addr, int(port), exclusive=os.environ.get("NET_SHARED") is None, **opts)
        bridge >> SlowEmulate(4, 0x10000)  # type: ignore[operator]
    else:
        bridge = rim.TcpClient(addr, int(port), **opts)
        masters = threading.local()

        def command(tag: str, op: str, address: str, arg: str) -> None:
            m = getattr(masters, "m", None)
            if m is None:
                m = masters.m = Mem()
                m._setTimeout(TIMEOUT_US)
                m >> bridge
            t0 = time.monotonic()
            data, err = m.run(op, int(address, 0), arg)
            say("res", tag, f"{time.monotonic() - t0:.3f}", data.hex() if not err else "-", err or "OK")

        def read_stdin() -> None:
            for line in sys.stdin:
                parts = line.split()
                if len(parts) == 4:
                    threading.Thread(target=command, args=parts, daemon=True).start()

        threading.Thread(target=read_stdin, daemon=True).start()
    say("ready")
    up = False
    last_st = 0.0
    while True:
        now = time.monotonic()
        c = bridge.isConnected()  # type: ignore[attr-defined]
        if c != up:
            up = c
            say("link", int(c), f"{now:.3f}")
        if now - last_st >= 0.05:
            last_st = now
            say("st", f"{now:.3f}", int(c), bridge.stats()["linkLosses"])  # type: ignore[attr-defined]
        time.sleep(0.01)


if __name__ == "__main__":
    main()
