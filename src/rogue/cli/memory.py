"""Memory subcommands: ``serve-memory``, ``read``, ``write``, ``dump``."""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any, Callable

import rogue.interfaces.memory as rim

from ._common import (
    EXIT_OK,
    CliError,
    Endpoint,
    StopSignal,
    UsageError,
    argtype,
    parse_count,
    parse_hex,
    parse_seconds,
    parse_size,
    stop_of,
)
from ._display import Display, Progress, RateMeter, Status, fmt_count, fmt_rate
from ._grammar import add_endpoint, add_timeout, listen_endpoint
from ._run import close_all, open_bridge, run_until, timeout_text, wait_for, wait_in_thread
from ._secure import add_client_options, add_server_options, bridge_options, describe
from ._words import WORD_SIZES, format_dump, format_read, from_words

__all__ = ["Registers", "add_parsers", "connect_memory"]

CHUNK = 4096  # bytes per transaction: SRPv3's maximum, so any Rogue target takes it
WINDOW = 16  # transactions in flight at once for reads and writes longer than CHUNK
NO_LIMIT_S = 10.0 * 365 * 86400  # a transaction timeout standing for --timeout 0 (no limit)


class Interrupted(Exception):
    """The command was stopped (Ctrl-C) between two windows of transactions."""


class Registers(rim.Master):
    """Blocking register reads and writes through the memory bus, failing with the transaction's error text.

    ``tick(done_bytes)``, if given, is called after each window of transactions
    (for a progress display); ``stop`` (an event) set ends the work there.
    """

    def __init__(self, timeout: float, stop: Any = None, tick: Callable[[int], None] | None = None) -> None:
        super().__init__()
        self._setTimeout(max(1, int((timeout or NO_LIMIT_S) * 1e6)))
        self.transactions = 0
        self.bytes = 0
        self._halt = stop
        self._tick = tick

    def _run(self, what: str, address: int, buf: Any, size: int, type_: int) -> None:
        self._clearError()
        offsets = range(0, size, CHUNK)
        for i, off in enumerate(offsets):
            self._reqTransaction(address + off, buf, min(CHUNK, size - off), off, type_)
            if i % WINDOW == WINDOW - 1:
                self._waitTransaction(0)
                if self._getError():
                    break
                if self._tick is not None:
                    self._tick(off + CHUNK)
                if self._halt is not None and self._halt.is_set():
                    raise Interrupted
        self._waitTransaction(0)
        self.transactions += len(offsets)
        self.bytes += size
        err = self._getError()
        if err:
            raise CliError(f"{what} of {size} bytes at 0x{address:x} failed: {err}")

    def read(self, address: int, size: int) -> bytes:
        """Read ``size`` bytes at ``address`` (in CHUNK-byte transactions)."""
        buf = bytearray(size)
        self._run("read", address, buf, size, rim.Read)
        return bytes(buf)

    def write(self, address: int, data: bytes) -> None:
        """Write ``data`` at ``address`` and wait for the acknowledgements."""
        self._run("write", address, data, len(data), rim.Write)


def _cli_words(refusal: str) -> str:
    """A client's refusal text in the command line's words (the options, not the Python keywords)."""
    return re.sub(r": set manyClients alike on both sides\)$", "): use --many-clients on both sides or neither",
                  refusal)


def connect_memory(ep: Endpoint, timeout: float, display: Display | None = None, stop: StopSignal | None = None,
                   **options: Any) -> tuple[Any, Registers] | None:
    """A memory TcpClient to ``ep`` (``options``: its keyword options) that has answered a probe, and a Registers
    master on it; None when ``stop`` ended the wait. ``display`` shows what is awaited."""
    client = open_bridge(rim.TcpClient, ep, server=False, **options)
    try:
        probe = wait_in_thread(lambda: client.waitReady(timeout or NO_LIMIT_S), "rogue-bridge:cli:probe")
        if stop is not None and display is not None:
            why = wait_for(stop, display, probe.done, f"the memory server at {ep} to answer", timeout)
            if why == "signal":
                close_all(client)
                probe.join(5.0)
                return None
        probe.join()
        if not probe.result:
            refusal = client.getRefusal()  # e.g. the server already serves another client
            if refusal:
                raise CliError(f"{ep} refused the connection: {_cli_words(refusal)}")
            raise CliError(f"nothing answering at {ep}: no memory server replied {timeout_text(timeout)}")
        regs = Registers(timeout, stop.event if stop is not None else None)
        regs >> client
    except BaseException:
        close_all(client)
        raise
    return client, regs


class _CountingHub(rim.Hub):
    """Passes transactions on unchanged, counting them (for serve-memory's display)."""

    def __init__(self) -> None:
        super().__init__(0, 0, 0)
        self.transactions = 0
        self.bytes = 0

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        """Count and forward one transaction."""
        self.transactions += 1
        self.bytes += transaction.size()
        super()._doTransaction(transaction)


# -- serve-memory --------------------------------------------------------------------------
def cmd_serve_memory(args: argparse.Namespace) -> int:
    """A memory TcpServer backed by emulated memory (or SrpV3 + SrpV3Emulation)."""
    ep = listen_endpoint(args)
    stop = stop_of(args)
    opts = bridge_options(args, server=True)
    if args.shared:
        opts["exclusive"] = False
    if args.many_clients:
        opts["manyClients"] = True
    mode = " [many clients]" if args.many_clients else " [shared: responses round-robin]" if args.shared else ""
    server = srp = emu = None
    hub = _CountingHub()
    try:
        if args.srp:
            import rogue.protocols.srp as rps

            srp, emu = rps.SrpV3(), rps.SrpV3Emulation()
            srp == emu
            hub >> srp
            target = "SrpV3 + SrpV3Emulation"
        else:
            hub >> rim.Emulate(4, 0xFFFFFFFF)
            target = "Emulate (sparse memory)"
        server = open_bridge(rim.TcpServer, ep, server=True, **opts)
        server >> hub
        tm, bm = RateMeter(), RateMeter()
        t0 = time.monotonic()

        def status(final: bool = False) -> Status:
            rate = tm.average(hub.transactions) if final else tm.sample(hub.transactions)
            mbs = bm.average(hub.bytes) if final else bm.sample(hub.bytes)
            progress = Progress(time.monotonic() - t0, args.seconds, "s") if args.seconds else None
            return Status([["transactions", fmt_count(hub.transactions), fmt_rate(rate), f"{mbs / 1e6:.2f}"]],
                          progress=progress)

        with Display(f"serve-memory {ep} -> {target}; Ctrl-C to stop", ["", "count", "per s", "MB/s"],
                     interval=5.0) as display:
            display.print(f"serving memory on {ep} (ports {ep.port}, {ep.port + 1}) -> {target}{mode}{describe(opts)}")
            run_until(stop, display, status, seconds=args.seconds)
            display.update(status(final=True), force=True)
    finally:
        close_all(server, srp, emu)
    print(f"serve-memory {ep}: {hub.transactions} transactions ({hub.bytes} bytes); stopped")
    return EXIT_OK


# -- read / write / dump ------------------------------------------------------------------------
def _client_options(args: argparse.Namespace) -> dict[str, Any]:
    opts = bridge_options(args, server=False)
    if args.many_clients:
        opts["manyClients"] = True
    return opts


def _check_span(size: int, word_size: int, what: str) -> None:
    if size <= 0:
        raise UsageError(f"bad {what} {size}: must be at least one byte")
    if size % word_size:
        raise UsageError(f"bad {what} {size}: not a multiple of the {word_size}-byte word size (see --word-size)")


def _access(args: argparse.Namespace, what: str, size: int, work: Callable[[Registers], Any]) -> Any:
    """Connect, run ``work(regs)`` and close; None when stopped (Ctrl-C).

    What is awaited (the server, the transactions of a long read) is shown live
    on stderr when it is a terminal, and erased at the end: stdout is the data.
    """
    stop = stop_of(args)
    done = [0]
    t0 = time.monotonic()

    def status() -> Status:
        return Status(progress=Progress(done[0], size, "bytes"), waiting="") if size > CHUNK * WINDOW else Status()

    with Display(f"{what} {args.endpoint}", [], stream=sys.stderr, live=sys.stderr.isatty(), quiet=True,
                 transient=True) as display:
        got = connect_memory(args.endpoint, args.timeout, display, stop, **_client_options(args))
        if got is None:
            return None
        client, regs = got

        def tick(n: int) -> None:
            done[0] = n
            if time.monotonic() - t0 > 0.2:
                display.update(status())

        regs._tick = tick
        try:
            return work(regs)
        except Interrupted:
            return None
        finally:
            close_all(client)


def cmd_read(args: argparse.Namespace) -> int:
    """Read registers and print them, one word per line."""
    size = args.size if args.size is not None else args.word_size
    _check_span(size, args.word_size, "--size")
    data = _access(args, "read", size, lambda regs: regs.read(args.address, size))
    if data is not None:
        print("\n".join(format_read(args.address, data, args.word_size)))
    return EXIT_OK


def cmd_write(args: argparse.Namespace) -> int:
    """Write register words (and optionally read them back)."""
    data = from_words(args.values, args.word_size)

    def work(regs: Registers) -> tuple[bool, bytes | None]:
        regs.write(args.address, data)
        return True, regs.read(args.address, len(data)) if args.verify else None

    result = _access(args, "write", len(data), work)
    if result is None:
        return EXIT_OK
    back = result[1]
    if back is not None and back != data:
        got = " ".join(format_read(args.address, back, args.word_size))
        raise CliError(f"verify at 0x{args.address:x} failed: read back {got}")
    print(f"wrote {len(data)} bytes at 0x{args.address:08x}" + (" (verified)" if back is not None else ""))
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    """Hex dump of a memory range."""
    _check_span(args.length, args.word_size, "LENGTH")
    data = _access(args, "dump", args.length, lambda regs: regs.read(args.address, args.length))
    if data is not None:
        print("\n".join(format_dump(args.address, data, args.word_size)))
    return EXIT_OK


def _word_size(text: str) -> int:
    value = parse_count(text, "--word-size")
    if value not in WORD_SIZES:
        raise UsageError(f"bad --word-size {text!r}: must be 1, 2, 4 or 8 (bytes)")
    return value


# -- parsers ---------------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Register the memory subcommands."""
    seconds = argtype(parse_seconds)
    address = argtype(lambda t: parse_hex(t, "address"))
    value = argtype(lambda t: parse_hex(t, "value"))
    size = argtype(parse_size)

    p = sub.add_parser(
        "serve-memory",
        help="run a memory TcpServer backed by emulated memory",
        description="Run a memory TcpServer at HOST:PORT backed by a sparse emulated memory, or with --srp by "
        "SrpV3 talking to an SrpV3Emulation (with SrpV3's alignment and size rules). Any Rogue memory client can "
        "use it as a test target. Shows transactions/s. Runs until Ctrl-C or --seconds.",
    )
    add_endpoint(p, "the server", listen=True)
    p.add_argument("--srp", action="store_true", help="serve SrpV3 + SrpV3Emulation instead of plain memory")
    p.add_argument("--seconds", type=seconds, metavar="S", help="stop after S seconds (default: run until Ctrl-C)")
    clients = p.add_argument_group("clients").add_mutually_exclusive_group()
    clients.add_argument("--shared", action="store_true",
                         help="let several clients connect, as C++ Rogue does: responses then go round-robin "
                         "and can reach the wrong client (default: one client at a time, others refused)")
    clients.add_argument("--many-clients", action="store_true",
                         help="serve many rogue-bridge clients, each response to its sender (clients need "
                         "--many-clients too; C++ Rogue clients cannot connect)")
    add_server_options(p)
    p.set_defaults(func=cmd_serve_memory)

    def common(p: argparse.ArgumentParser) -> None:
        add_endpoint(p, "the memory server")
        p.add_argument("address", metavar="ADDR", type=address, help="byte address, hex (0x optional)")

    def options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--word-size", type=argtype(_word_size), default=4, metavar="BYTES",
                       help="register word size in bytes: 1, 2, 4 or 8 (default 4)")
        add_timeout(p)
        p.add_argument("--many-clients", action="store_true",
                       help="talk to a server started with --many-clients (rogue-bridge servers only)")
        add_client_options(p)

    p = sub.add_parser(
        "read", help="read registers",
        description="Read registers through a memory TcpClient and print them as hex words, one per line "
        "(little-endian words, 32-bit by default).",
    )
    common(p)
    p.add_argument("--size", type=size, metavar="N",
                   help="bytes to read, e.g. 64, 0x40, 4k (default: one word)")
    options(p)
    p.set_defaults(func=cmd_read)

    p = sub.add_parser(
        "write", help="write registers",
        description="Write hex words (32-bit by default, little-endian) at ADDR, ADDR+4, ... through a "
        "memory TcpClient.",
    )
    common(p)
    p.add_argument("values", metavar="VALUE", nargs="+", type=value, help="word values, hex (0x optional)")
    p.add_argument("--verify", action="store_true", help="read the words back and compare")
    options(p)
    p.set_defaults(func=cmd_write)

    p = sub.add_parser(
        "dump", help="hex dump of a memory range",
        description="Read LENGTH bytes at ADDR through a memory TcpClient and print a hex dump, 16 bytes "
        "per line as words (32-bit by default).",
    )
    common(p)
    p.add_argument("length", metavar="LENGTH", type=size, help="bytes to read, e.g. 256, 0x100, 4k")
    options(p)
    p.set_defaults(func=cmd_dump)
