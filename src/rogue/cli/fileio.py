"""Data-file subcommands: ``record`` (a stream to a Rogue data file), ``play`` (a file into a stream), ``info``."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

import numpy as np

import rogue.interfaces.stream as ris
from rogue.utilities import fileio

from ._common import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
    Endpoint,
    StopSignal,
    argtype,
    parse_count,
    parse_endpoint,
    parse_rate,
    parse_seconds,
    parse_size,
)
from ._display import Display, RateMeter, fmt_bytes, fmt_count, fmt_rate
from ._run import close_all, open_bridge, run_until
from ._secure import add_client_options, add_server_options, bridge_options, describe
from .stream import _warn_if_served, parse_channel

__all__ = ["add_parsers", "file_summary"]

DEFAULT_BUFFER = 1 << 20  # record's write buffer: one write per MiB (flushed at least every REFRESH)


def _warn(text: str) -> None:
    print(f"rogue-bridge: warning: {text}", file=sys.stderr, flush=True)


class _Gate(ris.Master, ris.Slave):
    """Passes frames on (only those of ``channel``, when given) until ``limit`` passed; then sets ``done``."""

    def __init__(self, channel: int | None, limit: int) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.channel, self.limit = channel, limit
        self.frames = self.bytes = self.empty = 0
        self.done = threading.Event()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if (self.channel is not None and frame.getChannel() != self.channel) or self.done.is_set():
            return
        self.frames += 1
        n = frame.getPayload()
        self.bytes += n
        if not n:
            self.empty += 1
        self._sendFrame(frame)
        if self.limit and self.frames >= self.limit:
            self.done.set()


# -- record ------------------------------------------------------------------------------
def cmd_record(args: argparse.Namespace) -> int:
    """Record what a stream bridge delivers into a Rogue data file."""
    ep: Endpoint = args.endpoint
    path = args.file
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"cannot record to {path}: no directory {folder}")
    writer = fileio.StreamWriter()
    writer.setRaw(args.raw)
    writer.setDropErrors(args.drop_errors)
    writer.setBufferSize(args.buffer_size)
    writer.setMaxSize(args.max_size)
    gate = _Gate(args.channel, args.count)
    opts = bridge_options(args, server=args.server)
    if not args.server:
        _warn_if_served(ep)
    bridge = None
    why = "done"
    fm, bm = RateMeter(), RateMeter()
    try:
        # The bridge reads nothing until a slave is attached, so the file is opened (and
        # truncated) only once the address is known to work.
        bridge = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server, **opts)
        try:
            writer.open(path)
        except Exception as exc:  # noqa: BLE001 - the one line says which file and why
            raise CliError(f"cannot record to {path}: {getattr(exc, 'msg', exc)}") from None
        gate >> writer.getChannel(0)
        bridge >> gate
        link = bridge

        def rows() -> list[list[str]]:
            writer.flush()  # at most one refresh of records is ever only in memory
            frames, nbytes = writer.getFrameCount(), writer.getTotalSize()
            return [[os.path.basename(writer.getCurrentFile()) or path, fmt_count(frames), fmt_rate(fm.sample(frames)),
                     f"{bm.sample(nbytes) / 1e6:.2f}", fmt_bytes(nbytes), str(writer.getFileCount()),
                     str(writer.getErrorCount()), "yes" if link.isConnected() else "no"]]

        role = "serving" if args.server else "connected to"
        with StopSignal() as stop, Display(
            f"record: {role} {ep}{describe(opts)} -> {path}; Ctrl-C to stop",
            ["file", "frames", "frames/s", "MB/s", "written", "files", "errors", "connected"],
        ) as display:
            display.print(f"recording {ep} to {path}" + (f" (files of at most {args.max_size} bytes)"
                                                         if args.max_size else ""))
            why = run_until(stop, display, rows, seconds=args.seconds,
                            until=lambda: gate.done.is_set() or not writer.isOpen())
            close_all(bridge)  # no more frames: the file is complete once closed
            bridge = None
            writer.close()
            display.update(rows(), force=True)
    finally:
        close_all(bridge)
        writer.close()
    frames, total, files = writer.getFrameCount(), writer.getTotalSize(), writer.getFileCount()
    names = path if not args.max_size else (f"{path}.1" if files == 1 else f"{path}.1 .. {path}.{files}")
    skipped = f", {gate.empty} empty frames not recorded" if gate.empty else ""
    print(f"record {ep}: {frames} frames, {total} bytes in {files} file{'s' if files != 1 else ''} "
          f"({names}){skipped}; file complete")
    if writer.getErrorCount():
        raise CliError(f"recording to {writer.getCurrentFile() or path} stopped by a write error after "
                       f"{frames} frames ({writer.getDropCount()} frames not recorded); the file holds every "
                       "record written before it")
    if why == "time" and args.count and gate.frames < args.count:
        raise CliError(f"received {gate.frames} of {args.count} frames from {ep} within {args.seconds:g} s")
    return EXIT_OK


# -- play ------------------------------------------------------------------------------------
class _Pacer(ris.Master, ris.Slave):
    """Forwards frames at ``rate`` frames/s (0: as they come); counts them; stops waiting on ``stop``."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.rate, self._halt = rate, stop  # not ``_stop``: Rogue's Master._stop()
        self.frames = self.bytes = 0
        self._t0 = 0.0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if self._halt.is_set():
            return
        if self.rate:
            if not self.frames:
                self._t0 = time.monotonic()
            delay = self._t0 + self.frames / self.rate - time.monotonic()
            if delay > 0 and self._halt.wait(delay):
                return
        self._sendFrame(frame)
        self.frames += 1
        self.bytes += frame.getPayload()


def cmd_play(args: argparse.Namespace) -> int:
    """Send the records of a data file into a stream bridge."""
    ep: Endpoint = args.endpoint
    files = fileio.stream_reader.series(args.file)
    for fn in files:
        if not os.path.isfile(fn):
            raise CliError(f"cannot play {fn}: no such file")
    summary = [file_summary(fn) for fn in files]
    if not sum(len(s["index"]) for s in summary):
        raise CliError(f"{args.file}: no records to play" + "".join(f" ({s['problem']})" for s in summary
                                                                    if s["problem"]))
    opts = bridge_options(args, server=args.server)
    halt = threading.Event()
    pacer = _Pacer(args.rate, halt)
    reader = fileio.StreamReader()
    bridge = None
    loops = 0
    why = "done"
    fm, bm = RateMeter(), RateMeter()
    try:
        bridge = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server,
                             flushTimeout=args.timeout, **opts)
        reader >> pacer >> bridge
        with StopSignal() as stop, Display(f"play {args.file} -> {ep}{describe(opts)}",
                                           ["", "frames", "frames/s", "MB/s", "loops"]) as display:
            def rows() -> list[list[str]]:
                return [["sent", fmt_count(pacer.frames), fmt_rate(fm.sample(pacer.frames)),
                         f"{bm.sample(pacer.bytes) / 1e6:.2f}", str(loops)]]

            if not bridge.waitReady(args.timeout):
                peer = "no stream client connected" if args.server else "no stream server accepted"
                raise CliError(f"nothing answering at {ep}: {peer} within {args.timeout:g} s")
            while True:
                reader.open(files[0])
                why = run_until(stop, display, rows, until=lambda: not reader.isActive())
                if why != "done":
                    break
                loops += 1
                if not args.loop:
                    break
            halt.set()
            if why != "done":
                close_all(bridge)  # a send blocked on a vanished peer returns; the reader can then stop
            reader.close()
            display.update(rows(), force=True)
        for p in reader.getProblems():
            _warn(p)
    finally:
        halt.set()
        close_all(bridge)  # frames already handed over are still sent, within flushTimeout
        reader.close()
    print(f"play {args.file} -> {ep}: sent {pacer.frames} frames ({pacer.bytes} bytes)"
          + (f" in {loops} loop{'s' if loops != 1 else ''}" if args.loop else ""))
    if why == "signal" and not args.loop:
        return EXIT_INTERRUPTED
    return EXIT_OK


# -- info --------------------------------------------------------------------------------------
def file_summary(path: str) -> dict[str, Any]:
    """Index one file: the :class:`RecordIndex`, its length, and its problem as text ('' when clean)."""
    try:
        buf = fileio.stream_reader.map_file(path)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    idx = fileio.scan(buf, name=path)
    problem = idx.problem.message if idx.problem is not None else ""
    return {"path": path, "index": idx, "length": idx.length, "problem": problem}


def _channel_rows(idx: fileio.RecordIndex) -> list[list[str]]:
    rows = []
    payload = idx.payload_size
    for ch in np.unique(idx.channel).tolist():
        m = idx.channel == ch
        sizes = payload[m]
        errs = idx.error[m]
        err_values = Counter(errs[errs != 0].tolist())
        err_text = str(int((errs != 0).sum()))
        if err_values:
            err_text += " (" + " ".join(f"0x{e:02x}:{n}" for e, n in sorted(err_values.most_common(3))) + ")"
        flags = idx.flags[m]
        nflags = len(np.unique(flags))
        rows.append([str(ch), str(int(m.sum())), str(int(sizes.sum())),
                     f"{int(sizes.min())}/{int(sizes.mean())}/{int(sizes.max())}", err_text,
                     f"{int((flags != 0).sum())} ({nflags} value{'s' if nflags != 1 else ''})"])
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    out += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def cmd_info(args: argparse.Namespace) -> int:
    """Summarise data files: records and bytes per channel, sizes, errors, flags, truncation."""
    paths: list[str] = []
    for f in args.files:
        if not os.path.exists(f):
            raise CliError(f"cannot read {f}: no such file")
        paths += fileio.stream_reader.series(f)
    bad = 0
    for k, path in enumerate(paths):
        s = file_summary(path)
        idx: fileio.RecordIndex = s["index"]
        if k:
            print()
        payload = int(idx.payload_size.sum())
        print(f"{path}: {s['length']} bytes, {len(idx)} record{'s' if len(idx) != 1 else ''}, {payload} payload bytes")
        if len(idx):
            print(_table(["channel", "records", "bytes", "size min/avg/max", "with error", "with flags"],
                         _channel_rows(idx)))
        if idx.skipped:
            _warn(f"{path}: {idx.skipped} record headers with a size below 4 skipped (first at offset "
                  f"{idx.skipped_first})")
        if s["problem"]:
            bad += 1
            end = f"the {idx.length - idx.end} bytes from offset {idx.end} are not records"
            _warn(f"{path}: {s['problem']}; {end}" + ("; not a Rogue data file?" if not len(idx) else ""))
            print(f"end: {s['problem']}")
        elif s["length"] == 0:
            _warn(f"{path} is empty: no records")
            print("end: empty file")
        else:
            print("end: clean (every byte is in a complete record)")
    return EXIT_FAIL if bad else EXIT_OK


# -- parsers ------------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Register ``record``, ``play`` and ``info``."""
    endpoint, seconds, size = argtype(parse_endpoint), argtype(parse_seconds), argtype(parse_size)
    channel = argtype(parse_channel)

    p = sub.add_parser(
        "record", help="record a stream into a Rogue data file",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and write every "
        "frame to FILE in Rogue's data-file format (StreamWriter), readable by Rogue's StreamReader, pyrogue's "
        "FileReader and rogue.utilities.fileio. Ctrl-C ends with a complete file and a summary. Empty frames "
        "are not recorded (as in Rogue). FILE is truncated first.")
    p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint, help="stream server to connect to")
    p.add_argument("file", metavar="FILE", help="data file to write (FILE.1, FILE.2, ... with --max-size)")
    p.add_argument("--server", action="store_true", help="listen on HOST:PORT instead of connecting")
    p.add_argument("--max-size", type=size, default=0, metavar="N",
                   help="split into FILE.1, FILE.2, ... of at most N bytes each (e.g. 1G)")
    p.add_argument("--buffer-size", type=size, default=DEFAULT_BUFFER, metavar="N",
                   help=f"gather N bytes per write (default {DEFAULT_BUFFER // 1024}k; 0: a write per frame); "
                   "the buffer is written at least 4 times a second")
    p.add_argument("--raw", action="store_true", help="payloads only, no record headers (not readable back)")
    p.add_argument("--drop-errors", action="store_true", help="do not record frames whose error field is set")
    p.add_argument("--channel", type=channel, help="record only frames of this channel")
    p.add_argument("--count", type=argtype(parse_count), default=0, metavar="M", help="stop after M frames")
    p.add_argument("--seconds", type=seconds, help="stop after this many seconds")
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "play", help="send a recorded data file into a stream bridge",
        description="Send the records of FILE (FILE.1, FILE.2, ... when FILE ends in .1) as frames, with their "
        "channel, flags and error, through a stream TcpClient to HOST:PORT (or, with --server, to whoever "
        "connects there), so analysis code can be tested without hardware.")
    p.add_argument("file", metavar="FILE", help="data file to play")
    p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint, help="stream server to connect to")
    p.add_argument("--server", action="store_true", help="listen on HOST:PORT and send to the client")
    p.add_argument("--rate", type=argtype(parse_rate), default=0.0, metavar="R",
                   help="frames per second (default: as fast as the far side takes them)")
    p.add_argument("--loop", action="store_true", help="start again at the end, until Ctrl-C")
    p.add_argument("--timeout", type=seconds, default=10.0,
                   help="seconds to wait for the far side, and for the last frames to leave (default 10)")
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_play)

    p = sub.add_parser(
        "info", help="summarise Rogue data files",
        description="Records and payload bytes per channel, payload sizes (min/avg/max; the header.size of "
        "pyrogue's and rogue-bridge's FileReader), records with an error or "
        "flags, and whether the file ends cleanly (a cut last record, a zero size). FILE.1 includes the rest "
        "of its series. Exit code 1 when a file does not end cleanly.")
    p.add_argument("files", metavar="FILE", nargs="+", help="data files")
    p.set_defaults(func=cmd_info)
