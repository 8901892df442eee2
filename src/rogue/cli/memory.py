"""Memory subcommands: ``serve-memory``, ``read``, ``write``, ``dump``."""

from __future__ import annotations

import argparse
from typing import Any

import rogue.interfaces.memory as rim

from ._common import (
    EXIT_OK,
    CliError,
    Endpoint,
    StopSignal,
    argtype,
    parse_endpoint,
    parse_hex,
    parse_port,
    parse_seconds,
    parse_size,
)
from ._display import Display, RateMeter, fmt_count, fmt_rate
from ._run import close_all, open_bridge, run_until
from ._secure import add_client_options, add_server_options, bridge_options, describe
from ._words import WORD_SIZES, format_dump, format_read, from_words

__all__ = ["Registers", "add_parsers", "connect_memory"]

CHUNK = 4096  # bytes per transaction: SRPv3's maximum, so any Rogue target takes it
WINDOW = 16  # transactions in flight at once for reads and writes longer than CHUNK


class Registers(rim.Master):
    """Blocking register reads and writes through the memory bus, failing with the transaction's error text."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._setTimeout(max(1, int(timeout * 1e6)))
        self.transactions = 0
        self.bytes = 0

    def _run(self, what: str, address: int, buf: Any, size: int, type_: int) -> None:
        self._clearError()
        offsets = range(0, size, CHUNK)
        for i, off in enumerate(offsets):
            self._reqTransaction(address + off, buf, min(CHUNK, size - off), off, type_)
            if i % WINDOW == WINDOW - 1:
                self._waitTransaction(0)
                if self._getError():
                    break
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


def connect_memory(ep: Endpoint, timeout: float, **options: Any) -> tuple[Any, Registers]:
    """A memory TcpClient to ``ep`` (``options``: its keyword options) that has answered a probe, and a Registers master on it."""
    client = open_bridge(rim.TcpClient, ep, server=False, **options)
    try:
        if not client.waitReady(timeout):
            refusal = client.getRefusal()  # e.g. the server already serves another client
            if refusal:
                raise CliError(f"{ep} refused the connection: {refusal}")
            raise CliError(f"nothing answering at {ep}: no memory server replied within {timeout:g} s")
        regs = Registers(timeout)
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
    ep = Endpoint(args.addr, args.port)
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

        def rows() -> list[list[str]]:
            return [["transactions", fmt_count(hub.transactions), fmt_rate(tm.sample(hub.transactions)),
                     f"{bm.sample(hub.bytes) / 1e6:.2f}"]]

        with StopSignal() as stop, Display(
            f"serve-memory {ep} -> {target}; Ctrl-C to stop", ["", "count", "per s", "MB/s"], interval=5.0
        ) as display:
            display.print(f"serving memory on {ep} (ports {ep.port}, {ep.port + 1}) -> {target}{mode}{describe(opts)}")
            run_until(stop, display, rows, seconds=args.seconds)
            display.update(rows(), force=True)
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
        raise CliError(f"bad {what} {size}: must be at least one byte")
    if size % word_size:
        raise CliError(f"bad {what} {size}: not a multiple of the {word_size}-byte word size (see --word-size)")


def cmd_read(args: argparse.Namespace) -> int:
    """Read registers and print them, one word per line."""
    size = args.size if args.size is not None else args.word_size
    _check_span(size, args.word_size, "--size")
    client, regs = connect_memory(args.endpoint, args.timeout, **_client_options(args))
    try:
        data = regs.read(args.address, size)
    finally:
        close_all(client)
    print("\n".join(format_read(args.address, data, args.word_size)))
    return EXIT_OK


def cmd_write(args: argparse.Namespace) -> int:
    """Write register words (and optionally read them back)."""
    data = from_words(args.values, args.word_size)
    client, regs = connect_memory(args.endpoint, args.timeout, **_client_options(args))
    try:
        regs.write(args.address, data)
        back = regs.read(args.address, len(data)) if args.verify else None
    finally:
        close_all(client)
    if back is not None and back != data:
        got = " ".join(format_read(args.address, back, args.word_size))
        raise CliError(f"verify at 0x{args.address:x} failed: read back {got}")
    print(f"wrote {len(data)} bytes at 0x{args.address:08x}" + (" (verified)" if back is not None else ""))
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    """Hex dump of a memory range."""
    _check_span(args.length, args.word_size, "LENGTH")
    client, regs = connect_memory(args.endpoint, args.timeout, **_client_options(args))
    try:
        data = regs.read(args.address, args.length)
    finally:
        close_all(client)
    print("\n".join(format_dump(args.address, data, args.word_size)))
    return EXIT_OK


# -- parsers ---------------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Register the memory subcommands."""
    endpoint, seconds = argtype(parse_endpoint), argtype(parse_seconds)
    address = argtype(lambda t: parse_hex(t, "address"))
    value = argtype(lambda t: parse_hex(t, "value"))
    size = argtype(parse_size)

    p = sub.add_parser(
        "serve-memory",
        help="run a memory TcpServer backed by emulated memory",
        description="Run a memory TcpServer (ports P and P+1) backed by a sparse emulated memory, or with "
        "--srp by SrpV3 talking to an SrpV3Emulation. Any Rogue memory client can use it as a test target. "
        "Runs until Ctrl-C.",
    )
    p.add_argument("--addr", default="127.0.0.1", help="interface to listen on, '*' for all (default 127.0.0.1)")
    p.add_argument("--port", required=True, type=argtype(parse_port), help="base port P (P and P+1 are used)")
    p.add_argument("--srp", action="store_true", help="serve SrpV3 + SrpV3Emulation instead of plain memory")
    p.add_argument("--seconds", type=seconds, help="stop after this many seconds (default: run until Ctrl-C)")
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
        p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint, help="memory server to connect to")
        p.add_argument("address", metavar="ADDR", type=address, help="byte address, hex (0x optional)")

    def options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--word-size", type=int, choices=WORD_SIZES, default=4, metavar="BYTES",
                       help="register word size in bytes: 1, 2, 4 or 8 (default 4)")
        p.add_argument("--timeout", type=seconds, default=1.0,
                       help="seconds to wait for the server and for each transaction (default 1)")
        p.add_argument("--many-clients", action="store_true",
                       help="talk to a server started with --many-clients (rogue-bridge servers only)")
        add_client_options(p)

    p = sub.add_parser(
        "read", help="read registers",
        description="Read registers through a memory TcpClient and print them as hex words, one per line "
        "(little-endian words, 32-bit by default).",
    )
    common(p)
    p.add_argument("--size", type=size, metavar="N", help="bytes to read (default: one word)")
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
    p.add_argument("length", metavar="LENGTH", type=size, help="bytes to read (decimal, 0x hex, or 4k)")
    options(p)
    p.set_defaults(func=cmd_dump)
