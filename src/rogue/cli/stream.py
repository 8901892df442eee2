"""Stream subcommands: ``serve-stream``, ``monitor``, ``send``."""

from __future__ import annotations

import argparse
import time
from typing import Any

import rogue.interfaces.stream as ris

from ._common import (
    EXIT_OK,
    CliError,
    Endpoint,
    UsageError,
    argtype,
    parse_count,
    parse_gen_spec,
    parse_rate,
    parse_seconds,
    parse_size,
    stop_of,
)
from ._display import Display, Progress, Status, Traffic
from ._grammar import Deprecated, add_endpoint, add_timeout, listen_endpoint, warn
from ._graph import CheckingSlave, Echo, FrameStats, Generator
from ._peers import stream_clients
from ._prbs import PrbsSender, add_prbs_options, make_prbs, prbs_notes, prbs_row
from ._run import await_stream_peer, close_all, open_bridge, run_until, timeout_text
from ._secure import add_client_options, add_server_options, bridge_options, describe

__all__ = ["COUNT_HELP", "RATE_HELP", "SERVER_HELP", "add_channel_options", "add_parsers", "parse_channel",
           "run_progress"]

_MAX_FRAME = 1 << 30  # a sanity bound for --size (1 GiB)
SERVER_HELP = "listen on HOST:PORT instead of connecting: the far side connects here"
COUNT_HELP = "stop after M frames (default 0: no limit); with --seconds, fewer by then is a failure"
RATE_HELP = "frames per second, e.g. 100 or 2k (default 0: as fast as the far side takes them)"


def parse_channel(text: str) -> int:
    """A stream channel, 0..255."""
    value = parse_count(text, "channel")
    if value > 0xFF:
        raise UsageError(f"bad channel {text!r}: must be 0..255")
    return value


def _frame_size(text: str) -> int:
    value = parse_size(text, "--size")
    if value > _MAX_FRAME:
        raise UsageError(f"bad --size {text!r}: at most {_MAX_FRAME} bytes (1Gi)")
    return value


def add_channel_options(p: argparse.ArgumentParser, *, select: bool = False, send: bool = False) -> None:
    """``--channel C`` (only frames of channel C are received, recorded, played) and/or ``--tx-channel C``."""
    channel = argtype(parse_channel)
    if select:
        p.add_argument("--channel", type=channel, metavar="C",
                       help="only frames of channel C, 0..255 (default: every channel)")
    if send:
        p.add_argument("--tx-channel", type=channel, default=0, metavar="C",
                       help="channel of the frames sent (or generated), 0..255 (default 0)")
        if not select:
            p.add_argument("--channel", dest="tx_channel", type=channel, action=Deprecated,
                           instead="--tx-channel sets the channel of sent frames; --channel selects received ones")


def run_progress(args: argparse.Namespace, done: float, unit: str, elapsed: float) -> Progress | None:
    """The progress of a run bounded by ``--count`` (``done`` of it) or ``--seconds``; None when unbounded."""
    if getattr(args, "count", 0):
        return Progress(done, args.count, unit)
    if getattr(args, "seconds", None):
        return Progress(elapsed, args.seconds, "s")
    return None


def _stream_factory(server: bool) -> Any:
    return ris.TcpServer if server else ris.TcpClient


# -- serve-stream ----------------------------------------------------------------------
def cmd_serve_stream(args: argparse.Namespace) -> int:
    """A stream TcpServer that counts what arrives and echoes it back or generates frames."""
    ep = listen_endpoint(args)
    stop = stop_of(args)
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
            gen = Generator("serve-stream", lambda seq: spec.size, spec.rate, channel=args.tx_channel)
            gen >> server
        mode = "receive"
        if echo is not None:
            mode = "echo"
        elif args.generate is not None:
            rate = f"{args.generate.rate:g}/s" if args.generate.rate else "max rate"
            mode = f"generate {args.generate.size} B frames at {rate}"
        traffic = Traffic()

        def status(final: bool = False) -> Status:
            rows = [traffic.row("received", stats.frames, stats.bytes, final=final)]
            if echo is not None:
                rows.append(traffic.row("echoed", echo.frames, echo.bytes, final=final))
            if gen is not None:
                rows.append(traffic.row("generated", server.getTxFrameCount(), server.getTxByteCount(), final=final))
            return Status(rows, [("connected", "yes" if server.isConnected() else "no")],
                          run_progress(args, 0, "", traffic.elapsed()))

        with Display(f"serve-stream {ep} ({mode}); Ctrl-C to stop", Traffic.COLUMNS) as display:
            display.print(f"serving stream on {ep} (ports {ep.port}, {ep.port + 1}), mode: {mode}{describe(opts)}")
            if gen is not None:
                gen.start()
            run_until(stop, display, status, seconds=args.seconds, until=lambda: gen is not None and gen.done.is_set())
            display.update(status(final=True), force=True)
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
def warn_if_served(ep: Endpoint, cmd: str = "monitor") -> None:
    """Warn on stderr when the server already has a client: this monitor would take every other frame."""
    try:
        n = stream_clients(ep.host, ep.port)
    except Exception:  # noqa: BLE001 - a best-effort look; the monitor works without it
        n = None
    if n is None or n == 0:
        return
    warn(f"rogue-bridge {cmd}", f"the stream server at {ep} already has {n} client{'s' if n > 1 else ''}; a stream "
         f"server sends each frame to one client (round-robin), so this {cmd} takes frames away from "
         f"{'them' if n > 1 else 'it'}")


def silent_peer_text(ep: Endpoint, server: bool) -> str:
    """Why a link can be up with no frame: said when a run ends so."""
    if server:
        return f"a client connected to {ep} but sent no frame"
    return (f"{ep} accepted the connection but sent no frame: an idle stream server, or not a stream server "
            "(a memory server's ports accept a stream client as well)")


def cmd_monitor(args: argparse.Namespace) -> int:
    """Connect (or serve) a stream bridge and show what arrives."""
    ep: Endpoint = args.endpoint
    stop = stop_of(args)
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
    opts = bridge_options(args, server=args.server)
    if not args.server:
        warn_if_served(ep)
    traffic = Traffic()
    t_start = time.monotonic()
    why = linked = "done"
    try:
        bridge = open_bridge(_stream_factory(args.server), ep, server=args.server, **opts)
        src = bridge >> ris.Filter(False, args.channel) if args.channel is not None else bridge
        src >> stats
        if prbs is not None:
            src >> prbs

        def status(final: bool = False) -> Status:
            rows = [traffic.row("received", stats.frames, stats.bytes, final=final)]
            notes = [("size min/avg/max", stats.size_text()), ("errors", str(stats.errors)),
                     ("channels", stats.channel_text()), ("connected", "yes" if bridge.isConnected() else "no")]
            if prbs is not None:
                rows.append(prbs_row(traffic, prbs, final))
                notes += prbs_notes(prbs)
            return Status(rows, notes, run_progress(args, stats.frames, "frames", time.monotonic() - t_start))

        role = "serving" if args.server else "connected to"
        with Display(f"monitor: {role} {ep}{describe(opts)}; Ctrl-C to stop", Traffic.COLUMNS) as display:
            why = linked = await_stream_peer(stop, display, bridge, ep, server=args.server, timeout=args.timeout,
                                             status=status, seconds=args.seconds,
                                             ready=lambda: bridge.isConnected() or stats.frames > 0)
            if why == "ready":
                traffic.start()
                left = None if args.seconds is None else max(0.0, args.seconds - (time.monotonic() - t_start))
                why = run_until(stop, display, status, seconds=left, until=stats.done.is_set)
                display.update(status(final=True), force=True)
    finally:
        close_all(bridge)
    print(f"monitor {ep}: {stats.frames} frames, {stats.bytes} bytes, {stats.errors} with errors, "
          f"channels {stats.channel_text(16)}, sizes {stats.size_text()}")
    if prbs is not None:
        print(f"prbs check: {prbs.getRxCount()} frames ({prbs.getRxBytes()} bytes) passed, "
              f"{prbs.getRxErrors()} errors")
        if prbs.getRxErrors():  # however the monitor ended (Ctrl-C included)
            raise CliError(f"PRBS check failed: {prbs.getRxErrors()} errors in {stats.frames} frames from {ep}")
    silent = linked == "ready" and bridge is not None and bridge.getRxFrameCount() == 0
    if args.count and stats.frames < args.count and why == "time" and args.seconds is not None:
        hint = f" ({silent_peer_text(ep, args.server)})" if silent else ""
        raise CliError(f"received {stats.frames} of {args.count} frames from {ep} {timeout_text(args.seconds)}{hint}")
    if silent:
        warn("rogue-bridge monitor", silent_peer_text(ep, args.server))
    return EXIT_OK


# -- send --------------------------------------------------------------------------------
def cmd_send(args: argparse.Namespace) -> int:
    """Send test frames to a stream bridge; with --expect-echo, check what comes back."""
    ep: Endpoint = args.endpoint
    stop = stop_of(args)
    size = args.size
    bridge = None
    prbs = make_prbs(args, size) if args.prbs else None
    gen: Generator | PrbsSender
    if prbs is not None:  # Rogue's PRBS frames; with --expect-echo the same Prbs checks what comes back
        gen = PrbsSender(prbs, size, args.rate, args.count, channel=args.tx_channel)
    else:
        gen = Generator("send", lambda seq: size, args.rate, args.count, channel=args.tx_channel)
    back = CheckingSlave(lambda seq: size, meta=False)

    def received() -> int:
        return back.checker.frames if prbs is None else prbs.getRxCount() + prbs.getRxErrors()

    def received_bytes() -> int:
        return back.checker.bytes if prbs is None else prbs.getRxBytes()

    opts = bridge_options(args, server=args.server)
    traffic = Traffic()
    why = linked = "signal"
    echo_phase = False
    try:
        bridge = open_bridge(_stream_factory(args.server), ep, server=args.server, **opts)
        bridge >> (back if prbs is None else prbs)
        gen >> bridge

        def status(final: bool = False) -> Status:
            sent = bridge.getTxFrameCount()
            rows = [traffic.row("sent", sent, bridge.getTxByteCount(), final=final)]
            if args.expect_echo or received():
                rows.append(traffic.row("received", received(), received_bytes(), final=final))
            if echo_phase:
                return Status(rows, progress=Progress(received(), sent, "echoes"))
            return Status(rows, progress=Progress(sent, args.count, "frames") if args.count else None)

        with Display(f"send to {ep}{describe(opts)}", Traffic.COLUMNS) as display:
            why = linked = await_stream_peer(stop, display, bridge, ep, server=args.server, timeout=args.timeout,
                                             status=status)
            if why == "ready":
                traffic.start()
                gen.start()
                why = run_until(stop, display, status, until=gen.done.is_set)
            if why == "done" and args.expect_echo and gen.error is None:
                sent = bridge.getTxFrameCount()
                back.set_expect(sent)
                echo_phase = True
                until = back.done.is_set if prbs is None else lambda: received() >= sent
                why = run_until(stop, display, status, seconds=args.timeout or None, until=until)
            if linked == "ready":
                display.update(status(final=True), force=True)
    finally:
        gen.stop()
        close_all(bridge)
        gen.join(2.0)
    if linked != "ready":
        peer = "a stream client to connect" if args.server else "the stream server to accept"
        print(f"send {ep}: stopped while waiting for {peer}; nothing sent")
        return EXIT_OK
    sent, sent_bytes = bridge.getTxFrameCount(), bridge.getTxByteCount()
    took = f" in {traffic.elapsed():.2f} s" if sent else ""
    back_text = f", received {received()} back" if args.expect_echo or received() else ""
    print(f"send {ep}: sent {sent} frames ({sent_bytes} bytes){took}{back_text}")
    if gen.error:
        raise CliError(f"sending to {ep} failed after {sent} frames: {gen.error}")
    if not args.expect_echo or why == "signal":
        return EXIT_OK
    if prbs is not None:
        if received() != sent:
            raise CliError(f"echo from {ep}: {received()} of {sent} frames came back {timeout_text(args.timeout)}")
        if prbs.getRxErrors():
            raise CliError(f"echo from {ep}: PRBS check failed for {prbs.getRxErrors()} of {sent} frames")
        print(f"echo check: all {sent} PRBS frames and {prbs.getRxBytes()} bytes came back intact")
        return EXIT_OK
    c = back.checker
    if c.frames != sent:
        raise CliError(f"echo from {ep}: {c.frames} of {sent} frames came back {timeout_text(args.timeout)}")
    if not c.ok:
        raise CliError(f"echo from {ep}: {c.bad} frames differ, first: {c.problems[0]}")
    print(f"echo check: all {c.frames} frames and {c.bytes} bytes came back intact")
    return EXIT_OK


# -- parsers -------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Register the stream subcommands."""
    seconds, count = argtype(parse_seconds), argtype(parse_count)

    p = sub.add_parser(
        "serve-stream",
        help="run a stream TcpServer that echoes or generates frames",
        description="Run a stream TcpServer at HOST:PORT that counts the frames it receives and, with --echo, "
        "sends each back, or, with --generate, sends test frames (4k@100: 4096-byte frames at 100 frames/s; "
        "SIZE alone: as fast as possible). Runs until Ctrl-C or --seconds.",
    )
    add_endpoint(p, "the server", listen=True)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--echo", action="store_true", help="send every received frame back")
    mode.add_argument(
        "--generate", metavar="SIZE@RATE", type=argtype(parse_gen_spec),
        help="send SIZE-byte test frames at RATE frames/s, e.g. 4k@100 (SIZE alone: as fast as possible; "
        "default: send nothing)",
    )
    add_channel_options(p, send=True)
    p.add_argument("--seconds", type=seconds, metavar="S", help="stop after S seconds (default: run until Ctrl-C)")
    add_server_options(p)
    p.set_defaults(func=cmd_serve_stream)

    p = sub.add_parser(
        "monitor",
        help="show the frames a stream bridge delivers",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and show "
        "frames/s, MB/s, sizes, channels, error counts and link state of the frames that arrive; --hex N prints "
        "each frame's first N bytes. A stream server sends each frame to one of its clients (round-robin): when "
        "the server runs on this machine and already has a client, the monitor warns that it will take frames "
        "away from it. Runs until Ctrl-C, --count or --seconds.",
    )
    add_endpoint(p, "the stream server", server_flag=True)
    p.add_argument("--server", action="store_true", help=SERVER_HELP)
    p.add_argument("--hex", type=count, default=0, metavar="N", help="print each frame's first N bytes (default 0: none)")
    add_channel_options(p, select=True)
    p.add_argument("--count", type=count, default=0, metavar="M", help=COUNT_HELP)
    p.add_argument("--seconds", type=seconds, metavar="S", help="stop after S seconds (default: run until Ctrl-C)")
    add_timeout(p)
    add_prbs_options(p)
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_monitor)

    p = sub.add_parser(
        "send",
        help="send test frames to a stream bridge",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and send "
        "numbered test frames. With --expect-echo (against serve-stream --echo), wait for each to come back and "
        "check every byte.",
    )
    add_endpoint(p, "the stream server", server_flag=True)
    p.add_argument("--size", required=True, type=argtype(_frame_size), metavar="N",
                   help="frame size in bytes, e.g. 1500, 0x400, 4k (= 4096), 1M (required)")
    p.add_argument("--count", type=count, default=1, metavar="M", help="stop after sending M frames (default 1; 0: "
                   "until Ctrl-C)")
    p.add_argument("--rate", type=argtype(parse_rate), default=0.0, metavar="R", help=RATE_HELP)
    add_channel_options(p, send=True)
    p.add_argument("--server", action="store_true", help=SERVER_HELP)
    p.add_argument("--expect-echo", action="store_true", help="wait for every frame to come back and check it")
    add_timeout(p)
    add_prbs_options(p)
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_send)
