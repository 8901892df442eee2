"""Stream subcommands: ``serve-stream``, ``monitor``, ``send``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import rogue.interfaces.stream as ris

from ._common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    Endpoint,
    StopSignal,
    argtype,
    parse_count,
    parse_endpoint,
    parse_gen_spec,
    parse_port,
    parse_rate,
    parse_seconds,
    parse_size,
)
from ._display import Display, RateMeter, fmt_count, fmt_rate
from ._graph import CheckingSlave, Echo, FrameStats, Generator
from ._peers import stream_clients
from ._prbs import PRBS_COLUMNS, PrbsSender, add_prbs_options, make_prbs, prbs_cells
from ._run import close_all, open_bridge, run_until
from ._secure import add_client_options, add_server_options, bridge_options, describe

__all__ = ["add_parsers"]

_MAX_FRAME = 1 << 30  # a sanity bound for --size (1 GiB)


def parse_channel(text: str) -> int:
    """A stream channel, 0..255."""
    value = parse_count(text, "channel")
    if value > 0xFF:
        raise CliError(f"bad channel {text!r}: must be 0..255")
    return value


def _frame_size(text: str) -> int:
    value = parse_size(text, "frame size")
    if value > _MAX_FRAME:
        raise CliError(f"bad frame size {text!r}: at most {_MAX_FRAME} bytes")
    return value


def wait_stream_peer(bridge: Any, timeout: float) -> bool:
    """Wait until the stream bridge has a peer; True if it has one within ``timeout`` seconds."""
    return bool(bridge.waitReady(timeout))


class _Traffic:
    """Frame and byte counters with their rates, as display rows."""

    def __init__(self) -> None:
        self._meters: dict[str, tuple[RateMeter, RateMeter]] = {}

    def row(self, label: str, frames: int, nbytes: int, *extra: str) -> list[str]:
        fm, bm = self._meters.setdefault(label, (RateMeter(), RateMeter()))
        return [label, fmt_count(frames), fmt_rate(fm.sample(frames)), f"{bm.sample(nbytes) / 1e6:.2f}", *extra]


# -- serve-stream ----------------------------------------------------------------------
def cmd_serve_stream(args: argparse.Namespace) -> int:
    """A stream TcpServer that counts what arrives and echoes it back or generates frames."""
    ep = Endpoint(args.addr, args.port)
    opts = bridge_options(args, server=True)
    server = gen = None
    stats = FrameStats()
    echo = Echo() if args.echo else None
    try:
        server = open_bridge(ris.TcpServer, ep, server=True, **opts)
        server >> stats
        if echo is not None:
            server == echo
        if args.generate is not None:
            spec = args.generate
            gen = Generator("serve-stream", lambda seq: spec.size, spec.rate, channel=args.channel)
            gen >> server
        mode = "receive"
        if echo is not None:
            mode = "echo"
        elif args.generate is not None:
            rate = f"{args.generate.rate:g}/s" if args.generate.rate else "max rate"
            mode = f"generate {args.generate.size} B frames at {rate}"
        traffic = _Traffic()

        def rows() -> list[list[str]]:
            out = [traffic.row("received", stats.frames, stats.bytes)]
            if echo is not None:
                out.append(traffic.row("echoed", echo.frames, echo.bytes))
            if gen is not None:
                out.append(traffic.row("generated", server.getTxFrameCount(), server.getTxByteCount()))
            return out

        with StopSignal() as stop, Display(
            f"serve-stream {ep} ({mode}); Ctrl-C to stop", ["", "frames", "frames/s", "MB/s"]
        ) as display:
            display.print(f"serving stream on {ep} (ports {ep.port}, {ep.port + 1}), mode: {mode}{describe(opts)}")
            if gen is not None:
                gen.start()
            run_until(stop, display, rows, seconds=args.seconds, until=lambda: gen is not None and gen.done.is_set())
            display.update(rows(), force=True)
        if gen is not None and gen.error:
            raise CliError(f"generator stopped: {gen.error}")
    finally:
        if gen is not None:
            gen.stop()
        close_all(server)
        if gen is not None:
            gen.join(2.0)
    sent = f", echoed {echo.frames}" if echo else (f", generated {server.getTxFrameCount()}" if gen else "")
    print(f"serve-stream {ep}: received {stats.frames} frames ({stats.bytes} bytes){sent}; stopped")
    return EXIT_OK


# -- monitor -----------------------------------------------------------------------------
def _warn_if_served(ep: Endpoint) -> None:
    """Warn on stderr when the server already has a client: this monitor would take every other frame."""
    try:
        n = stream_clients(ep.host, ep.port)
    except Exception:  # noqa: BLE001 - a best-effort look; the monitor works without it
        n = None
    if n is None or n == 0:
        return
    print(f"rogue-bridge: warning: the stream server at {ep} already has {n} client{'s' if n > 1 else ''}; "
          "a stream server sends each frame to one client (round-robin), so this monitor takes "
          f"frames away from {'them' if n > 1 else 'it'}", file=sys.stderr, flush=True)


def cmd_monitor(args: argparse.Namespace) -> int:
    """Connect (or serve) a stream bridge and show what arrives."""
    ep: Endpoint = args.endpoint
    bridge = None
    display: Display | None = None

    def show_hex(frame: ris.Frame) -> None:
        n = min(args.hex, frame.getPayload())
        data = frame.getBa(0, n) if n else b""
        text = data.hex(" ") if data else "(empty)"
        line = (f"frame size={frame.getPayload()} ch={frame.getChannel()} err={frame.getError()} "
                f"flags=0x{frame.getFlags():04x}: {text}")
        if display is not None:
            display.print(line)
        else:  # a frame that arrived before the display was up
            print(line, flush=True)

    stats = FrameStats(show_hex if args.hex else None, limit=args.count)
    prbs = make_prbs(args) if args.prbs else None
    link = {"ever": False}
    opts = bridge_options(args, server=args.server)
    if not args.server:
        _warn_if_served(ep)
    try:
        bridge = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server, **opts)
        src = bridge >> ris.Filter(False, args.channel) if args.channel is not None else bridge
        src >> stats
        if prbs is not None:
            src >> prbs
        traffic = _Traffic()

        def rows() -> list[list[str]]:
            link["ever"] = link["ever"] or bridge.isConnected()
            return [traffic.row(str(ep), stats.frames, stats.bytes, stats.size_text(), str(stats.errors),
                                stats.channel_text(), "yes" if bridge.isConnected() else "no",
                                *(prbs_cells(prbs) if prbs is not None else []))]

        role = "serving" if args.server else "connected to"
        with StopSignal() as stop, Display(
            f"monitor: {role} {ep}{describe(opts)}; Ctrl-C to stop",
            ["stream", "frames", "frames/s", "MB/s", "size min/avg/max", "errors", "channels", "connected",
             *(PRBS_COLUMNS if prbs is not None else [])],
        ) as display:
            why = run_until(stop, display, rows, seconds=args.seconds, until=stats.done.is_set)
            display.update(rows(), force=True)
    finally:
        close_all(bridge)
    print(
        f"monitor {ep}: {stats.frames} frames, {stats.bytes} bytes, {stats.errors} with errors, "
        f"channels {stats.channel_text(16)}, sizes {stats.size_text()}"
    )
    if prbs is not None:
        print(f"prbs check: {prbs.getRxCount()} frames ({prbs.getRxBytes()} bytes) passed, "
              f"{prbs.getRxErrors()} errors")
        if prbs.getRxErrors():  # however the monitor ended (Ctrl-C included)
            raise CliError(f"PRBS check failed: {prbs.getRxErrors()} errors in {stats.frames} frames from {ep}")
    if why == "signal":
        return EXIT_OK
    if not link["ever"] and not stats.frames:
        peer = "no stream client connected" if args.server else "no stream server connected"
        raise CliError(f"nothing answering at {ep}: {peer} within {args.seconds:g} s")
    if args.count and stats.frames < args.count:
        raise CliError(f"received {stats.frames} of {args.count} frames from {ep} within {args.seconds:g} s")
    return EXIT_OK


# -- send --------------------------------------------------------------------------------
def cmd_send(args: argparse.Namespace) -> int:
    """Send test frames to a stream bridge; with --expect-echo, check what comes back."""
    ep: Endpoint = args.endpoint
    size = args.size
    bridge = None
    prbs = make_prbs(args, size) if args.prbs else None
    gen: Generator | PrbsSender
    if prbs is not None:  # Rogue's PRBS frames; with --expect-echo the same Prbs checks what comes back
        gen = PrbsSender(prbs, size, args.rate, args.count, channel=args.channel)
    else:
        gen = Generator("send", lambda seq: size, args.rate, args.count, channel=args.channel)
    back = CheckingSlave(lambda seq: size, meta=False)

    def received() -> int:
        return back.checker.frames if prbs is None else prbs.getRxCount() + prbs.getRxErrors()
    interrupted = False
    opts = bridge_options(args, server=args.server)
    try:
        bridge = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server, **opts)
        bridge >> (back if prbs is None else prbs)
        gen >> bridge
        traffic = _Traffic()

        def rows() -> list[list[str]]:
            return [traffic.row("sent", bridge.getTxFrameCount(), bridge.getTxByteCount()),
                    traffic.row("received", received(), back.checker.bytes if prbs is None else prbs.getRxBytes())]

        with StopSignal() as stop, Display(f"send to {ep}{describe(opts)}", ["", "frames", "frames/s", "MB/s"]) as display:
            if not args.server and not wait_stream_peer(bridge, args.timeout):
                raise CliError(f"nothing answering at {ep}: no stream server accepted within {args.timeout:g} s")
            gen.start()
            why = run_until(stop, display, rows, until=gen.done.is_set)
            if why == "done" and args.expect_echo and gen.error is None:
                sent = bridge.getTxFrameCount()
                back.set_expect(sent)
                until = back.done.is_set if prbs is None else lambda: received() >= sent
                why = run_until(stop, display, rows, seconds=args.timeout, until=until)
            interrupted = why == "signal"
            display.update(rows(), force=True)
    finally:
        gen.stop()
        close_all(bridge)
        gen.join(2.0)
    sent, sent_bytes = bridge.getTxFrameCount(), bridge.getTxByteCount()
    print(f"send {ep}: sent {sent} frames ({sent_bytes} bytes), received {received()} back")
    if gen.error:
        raise CliError(f"sending to {ep} failed after {sent} frames: {gen.error}")
    if args.expect_echo and not interrupted and prbs is not None:
        if received() != sent:
            raise CliError(f"echo from {ep}: {received()} of {sent} frames came back within {args.timeout:g} s")
        if prbs.getRxErrors():
            raise CliError(f"echo from {ep}: PRBS check failed for {prbs.getRxErrors()} of {sent} frames")
        print(f"echo check: all {sent} PRBS frames and {prbs.getRxBytes()} bytes came back intact")
    elif args.expect_echo and not interrupted:
        c = back.checker
        if c.frames != sent:
            raise CliError(f"echo from {ep}: {c.frames} of {sent} frames came back within {args.timeout:g} s")
        if not c.ok:
            raise CliError(f"echo from {ep}: {c.bad} frames differ, first: {c.problems[0]}")
        print(f"echo check: all {c.frames} frames and {c.bytes} bytes came back intact")
    # Ctrl-C is how "--count 0" (until stopped) ends, so it is a success there.
    return EXIT_INTERRUPTED if interrupted and args.count else EXIT_OK


# -- parsers -------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Register the stream subcommands."""
    endpoint, port, seconds = argtype(parse_endpoint), argtype(parse_port), argtype(parse_seconds)
    channel = argtype(parse_channel)

    p = sub.add_parser(
        "serve-stream",
        help="run a stream TcpServer that echoes or generates frames",
        description="Run a stream TcpServer (ports P and P+1) that counts the frames it receives and, "
        "with --echo, sends each back, or, with --generate, sends test frames. Runs until Ctrl-C.",
    )
    p.add_argument("--addr", default="127.0.0.1", help="interface to listen on, '*' for all (default 127.0.0.1)")
    p.add_argument("--port", required=True, type=port, help="base port P (P and P+1 are used)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--echo", action="store_true", help="send every received frame back")
    mode.add_argument(
        "--generate", metavar="SIZE@RATE", type=argtype(parse_gen_spec),
        help="send SIZE-byte test frames at RATE frames/s, e.g. 4k@100 (SIZE alone: as fast as possible)",
    )
    p.add_argument("--channel", type=channel, default=0, help="channel of generated frames (default 0)")
    p.add_argument("--seconds", type=seconds, help="stop after this many seconds (default: run until Ctrl-C)")
    add_server_options(p)
    p.set_defaults(func=cmd_serve_stream)

    p = sub.add_parser(
        "monitor",
        help="show the frames a stream bridge delivers",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and show "
        "frames/s, MB/s, sizes, channels and error counts of the frames that arrive. A stream server sends "
        "each frame to one of its clients (round-robin): when the server runs on this machine and already "
        "has a client, the monitor warns that it will take frames away from it.",
    )
    p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint, help="stream server to connect to")
    p.add_argument("--server", action="store_true", help="listen on HOST:PORT instead of connecting")
    p.add_argument("--hex", type=argtype(parse_count), default=0, metavar="N", help="print each frame's first N bytes")
    p.add_argument("--channel", type=channel, help="count only frames of this channel")
    p.add_argument("--count", type=argtype(parse_count), default=0, metavar="M",
                   help="stop after M frames (fails if fewer arrive before --seconds)")
    p.add_argument("--seconds", type=seconds, help="stop after this many seconds")
    add_prbs_options(p, "check every frame as Rogue's PRBS checker does (errors, good frames, bytes, rate; "
                        "exit code 1 if any error)")
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_monitor)

    p = sub.add_parser(
        "send",
        help="send test frames to a stream bridge",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and send "
        "numbered test frames. With --expect-echo, wait for each to come back and check every byte.",
    )
    p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint, help="stream server to connect to")
    p.add_argument("--size", required=True, type=argtype(_frame_size), metavar="N", help="frame size in bytes (4k = 4096)")
    p.add_argument("--count", type=argtype(parse_count), default=1, metavar="M", help="frames to send (default 1, 0: until Ctrl-C)")
    p.add_argument("--rate", type=argtype(parse_rate), default=0.0, metavar="R", help="frames per second (default: as fast as possible)")
    p.add_argument("--channel", type=channel, default=0, help="channel of the frames (default 0)")
    p.add_argument("--server", action="store_true", help="listen on HOST:PORT instead of connecting")
    p.add_argument("--expect-echo", action="store_true", help="wait for every frame to come back and check it")
    p.add_argument("--timeout", type=seconds, default=5.0, help="seconds to wait for the server and for echoes (default 5)")
    add_prbs_options(p, "send Rogue's PRBS frames (what rogue.utilities.Prbs and firmware PRBS checkers verify)")
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_send)
