"""``rogue-bridge demo``: stream and memory bridges on loopback, traffic both ways, every byte checked.

The graph (all in this process, over real TCP on 127.0.0.1, free ports)::

    stream:  Generator >> TcpServer(P)  ~~~  TcpClient(P) >> CheckingSlave     (server -> client)
             CheckingSlave << TcpServer(P) ~~~ TcpClient(P) << Generator       (client -> server)
    memory:  MemoryTester >> rim.TcpClient(Q) ~~~ rim.TcpServer(Q) >> SrpV3 == SrpV3Emulation

Stream frames are numbered test frames of sizes from 0 bytes up to 256 KiB
with varying channel and flags; the receivers check order, size, metadata and
every payload byte. The memory tester writes random data at random aligned
addresses of a 64 KiB region, reads it back, and at the end reads the whole
region and compares it with its own copy.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from typing import Any

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps

from ._common import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    Endpoint,
    argtype,
    free_port_pair,
    parse_seconds,
    stop_of,
)
from ._display import Display, Progress, RateMeter, Status, fmt_count, fmt_rate
from ._graph import CheckingSlave, Generator
from ._run import close_all, open_bridge, run_until

__all__ = ["MemoryTester", "add_parsers"]

#: Stream frame sizes, cycled: the empty frame, odd sizes, an MTU, jumbo, large.
SIZES = (0, 1, 7, 64, 1500, 9000, 65536, 262144)
WINDOW = 64  # stream frames in flight per direction (bounds the memory the demo uses)
REGION = 64 * 1024  # bytes of emulated memory the tester works on
BASE = 0x0001_0000  # its address
MEM_SIZES = (4, 8, 64, 256, 1024, 4096)
BATCH = 8  # writes, then as many reads, in flight together
DRAIN_S = 10.0  # the longest wait for frames still travelling at the end


def size_of(seq: int) -> int:
    """Size of demo stream frame ``seq``."""
    return SIZES[seq % len(SIZES)]


class MemoryTester(rim.Master):
    """Random writes and read-backs on a memory region from its own thread, checked against a copy."""

    def __init__(self, timeout: float = 2.0, seed: int | None = None) -> None:
        super().__init__()
        self._setTimeout(int(timeout * 1e6))
        self.shadow = bytearray(REGION)  # never-written memory reads as zeros
        self.transactions = 0
        self.bytes = 0
        self.errors = 0
        self.mismatches = 0
        self.problems: list[str] = []
        self._rng = random.Random(seed)
        self._halt = threading.Event()  # not _stop: Master._stop() is a method
        self._thread = threading.Thread(target=self._run, name="rogue-bridge:cli.demo:memory", daemon=True)

    def _problem(self, text: str) -> None:
        if len(self.problems) < 5:
            self.problems.append(text)

    def start(self) -> None:
        """Start the traffic thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the traffic thread after its current batch."""
        self._halt.set()
        if self._thread.ident is not None:
            self._thread.join(10.0)

    def _span(self) -> tuple[int, int]:
        size = self._rng.choice(MEM_SIZES)
        return self._rng.randrange(0, REGION - size + 1, 4), size

    def _run(self) -> None:
        try:
            while not self._halt.is_set():
                self.batch()
        except Exception as exc:  # noqa: BLE001 - counted and reported as a failed check
            self.errors += 1
            self._problem(f"memory traffic stopped: {exc}")

    def batch(self) -> None:
        """Issue BATCH writes and BATCH reads, wait for them, and check the reads."""
        self._clearError()
        reads = []
        for _ in range(BATCH):
            off, size = self._span()
            data = self._rng.randbytes(size)
            self.shadow[off:off + size] = data
            self._reqTransaction(BASE + off, data, size, 0, rim.Write)
            self.bytes += size
        for _ in range(BATCH):
            off, size = self._span()
            buf = bytearray(size)
            # Responses come back in request order, so a read sees every write issued before it.
            reads.append((off, buf, bytes(self.shadow[off:off + size])))
            self._reqTransaction(BASE + off, buf, size, 0, rim.Read)
            self.bytes += size
        self._waitTransaction(0)
        self.transactions += 2 * BATCH
        err = self._getError()
        if err:
            self.errors += 1
            self._problem(f"transaction failed: {err}")
            return
        for off, buf, want in reads:
            if buf != want:
                self.mismatches += 1
                self._problem(f"read of {len(want)} bytes at 0x{BASE + off:x} differs from what was written")

    def verify_region(self) -> bool:
        """Read the whole region back and compare it with the copy; True if identical."""
        self._clearError()
        buf = bytearray(REGION)
        for off in range(0, REGION, 4096):
            self._reqTransaction(BASE + off, buf, 4096, off, rim.Read)
        self._waitTransaction(0)
        self.transactions += REGION // 4096
        err = self._getError()
        if err:
            self._problem(f"final read-back failed: {err}")
            return False
        if buf != self.shadow:
            first = next(i for i in range(REGION) if buf[i] != self.shadow[i])
            self._problem(f"final read-back differs, first at 0x{BASE + first:x}")
            return False
        return True


def _open_pair(factory_server: Any, factory_client: Any) -> tuple[Any, Any, int]:
    """A server and a client on a free loopback port pair (retried if the port is taken meanwhile)."""
    last: Exception | None = None
    for _ in range(5):
        port = free_port_pair()
        ep = Endpoint("127.0.0.1", port)
        try:
            server = open_bridge(factory_server, ep, server=True)
        except CliError as exc:
            last = exc
            continue
        try:
            client = open_bridge(factory_client, ep, server=False)
        except BaseException:
            close_all(server)
            raise
        return server, client, port
    raise CliError(f"could not open a bridge on a free loopback port: {last}")


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the loopback demo; exit 0 only if every check passed."""
    stop = stop_of(args)
    objs: list[Any] = []  # closed in reverse order
    gens: list[Generator] = []
    tester: MemoryTester | None = None
    try:
        s_srv, s_cli, sport = _open_pair(ris.TcpServer, ris.TcpClient)
        objs += [s_srv, s_cli]
        down, up = Generator("demo.down", size_of), Generator("demo.up", size_of)
        at_client, at_server = CheckingSlave(size_of), CheckingSlave(size_of)
        for gen, chk in ((down, at_client), (up, at_server)):
            gen.credit = chk.credit = threading.Semaphore(WINDOW)
        gens += [down, up]
        down >> s_srv >> at_server
        up >> s_cli >> at_client

        m_srv, m_cli, mport = _open_pair(rim.TcpServer, rim.TcpClient)
        srp, emu = rps.SrpV3(), rps.SrpV3Emulation()
        objs += [emu, srp, m_srv, m_cli]
        srp == emu
        m_srv >> srp
        tester = MemoryTester(timeout=2.0)
        tester >> m_cli

        print(f"rogue-bridge demo on 127.0.0.1: stream bridge on ports {sport},{sport + 1}; "
              f"memory bridge on ports {mport},{mport + 1} -> SrpV3 -> SrpV3Emulation")
        if not m_cli.waitReady(5.0):
            raise CliError(f"the memory bridge on 127.0.0.1:{mport} did not answer its readiness probe")
        if not s_cli.waitReady(5.0):
            raise CliError(f"the stream bridge on 127.0.0.1:{sport} did not connect")

        meters: dict[str, tuple[RateMeter, RateMeter]] = {}

        def row(label: str, n: int, nbytes: int, bad: int, final: bool) -> list[str]:
            a, b = meters.setdefault(label, (RateMeter(), RateMeter()))
            rate, mbs = (a.average(n), b.average(nbytes)) if final else (a.sample(n), b.sample(nbytes))
            return [label, fmt_count(n), fmt_rate(rate), f"{mbs / 1e6:.2f}", str(bad)]

        t0 = [0.0]

        def rows(final: bool = False) -> Status:
            assert tester is not None
            return Status([
                row("stream server->client", at_client.checker.frames, at_client.checker.bytes, at_client.checker.bad,
                    final),
                row("stream client->server", at_server.checker.frames, at_server.checker.bytes, at_server.checker.bad,
                    final),
                row("memory (SRPv3 transactions)", tester.transactions, tester.bytes, tester.errors + tester.mismatches,
                    final),
            ], progress=Progress(min(args.seconds, time.monotonic() - t0[0]), args.seconds, "s"))

        with Display(
            f"rogue-bridge demo: {args.seconds:g} s of traffic on loopback",
            ["traffic", "count", "per s", "MB/s", "bad"],
        ) as display:
            for gen in gens:
                gen.start()
            tester.start()
            t0[0] = time.monotonic()
            why = run_until(stop, display, rows, seconds=args.seconds)
            for gen in gens:
                gen.stop()
            tester.stop()
            for gen in gens:
                gen.join(DRAIN_S)
            for gen, chk in ((down, at_client), (up, at_server)):
                chk.set_expect(gen.frames)
            if why != "signal":
                run_until(stop, display, rows, seconds=DRAIN_S,
                          until=lambda: at_client.done.is_set() and at_server.done.is_set())
            display.update(rows(final=True), force=True)
        if why == "signal" or stop.stopped:
            print("demo interrupted")
            return EXIT_OK  # main() turns a stop by a signal into 130 (Ctrl-C) or 143
        region_ok = tester.verify_region()
    finally:
        for gen in gens:
            gen.stop()
        if tester is not None:
            tester.stop()
        close_all(*reversed(objs))
        for gen in gens:
            gen.join(2.0)

    checks = []
    for label, gen, chk in (("server->client", down, at_client), ("client->server", up, at_server)):
        c = chk.checker
        ok = gen.error is None and c.frames == gen.frames and c.ok and c.frames > 0
        detail = f"{gen.frames} frames sent, {c.frames} received, {c.bytes} bytes, every byte verified"
        if gen.error:
            detail += f"; sender failed: {gen.error}"
        if c.frames != gen.frames:
            detail += f"; {gen.frames - c.frames} frames missing"
        if c.problems:
            detail += f"; {c.bad} bad, first: {c.problems[0]}"
        checks.append((f"stream {label}", ok, detail))
    ok = tester.errors == 0 and tester.mismatches == 0 and region_ok and tester.transactions > 0
    detail = (f"{tester.transactions} transactions, {tester.errors} failed, {tester.mismatches} reads differed; "
              f"{REGION // 1024} KiB region read back and compared")
    if tester.problems:
        detail += f"; first problem: {tester.problems[0]}"
    checks.append(("memory TcpClient -> TcpServer -> SrpV3 -> SrpV3Emulation", ok, detail))

    for label, ok, detail in checks:
        print(f"check {label}: {'OK' if ok else 'FAILED'} ({detail})")
    passed = all(ok for _, ok, _ in checks)
    print(f"demo {'passed' if passed else 'FAILED'}: {sum(ok for _, ok, _ in checks)} of {len(checks)} checks OK")
    return EXIT_OK if passed else EXIT_FAIL


def add_parsers(sub: Any) -> None:
    """Register the demo subcommand."""
    p = sub.add_parser(
        "demo",
        help="loopback demo: stream and memory bridges with traffic both ways, every byte checked",
        description="On 127.0.0.1 with free ports and no hardware: a stream TcpServer/TcpClient pair with "
        "test frames flowing both ways, and a memory TcpClient -> TcpServer -> SrpV3 == SrpV3Emulation "
        "chain doing random writes and read-backs. Shows live frame rate, MB/s and transactions/s, then "
        "checks every byte. Exits 0 only if every check passed.",
    )
    p.add_argument("--seconds", type=argtype(parse_seconds), default=3.0, metavar="S",
                   help="seconds of traffic (default 3)")
    p.set_defaults(func=cmd_demo)
