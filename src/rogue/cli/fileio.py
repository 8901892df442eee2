"""Data-file subcommands: ``record`` (a stream to a Rogue data file), ``play`` (a file into a stream), ``info``."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import rogue.interfaces.stream as ris

from ._common import (
    EXIT_FAIL,
    EXIT_OK,
    CliError,
    Endpoint,
    UsageError,
    argtype,
    parse_count,
    parse_rate,
    parse_seconds,
    parse_size,
    stop_of,
)
from ._display import Display, Progress, Status, Traffic, fmt_bytes
from ._filegraph import Pacer, Recorder
from ._grammar import add_endpoint, add_timeout, warn
from ._run import await_stream_peer, close_all, open_bridge, run_until, timeout_text
from ._secure import add_client_options, add_server_options, bridge_options, describe
from .stream import COUNT_HELP, RATE_HELP, SERVER_HELP, add_channel_options, run_progress, silent_peer_text, warn_if_served

if TYPE_CHECKING:
    from rogue.utilities import fileio

__all__ = ["add_parsers", "file_summary", "not_records"]

DEFAULT_BUFFER = 1 << 20  # record's write buffer: one write per MiB (flushed at least every REFRESH)


def _warn(text: str, cmd: str = "info") -> None:
    warn(f"rogue-bridge {cmd}", text)


def _max_size(text: str) -> int:
    from rogue.utilities.fileio import HEADER_SIZE

    value = parse_size(text, "--max-size")
    if value and value <= HEADER_SIZE:
        raise UsageError(f"bad --max-size {text!r}: a record needs {HEADER_SIZE} header bytes and at least 1 payload "
                         f"byte (0: no limit)")
    return value


# -- record ------------------------------------------------------------------------------
def cmd_record(args: argparse.Namespace) -> int:
    """Record what a stream bridge delivers into a Rogue data file."""
    from rogue.utilities import fileio  # on use: the parser of every command does not load it

    ep: Endpoint = args.endpoint
    stop = stop_of(args)
    path = args.file
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"bad FILE {path!r}: no directory {folder}")
    writer = fileio.StreamWriter()
    writer.setRaw(args.raw)
    writer.setDropErrors(args.drop_errors)
    writer.setBufferSize(args.buffer_size)
    writer.setMaxSize(args.max_size)
    rec = Recorder(writer, path, args.channel, args.count, args.max_size, args.raw)
    opts = bridge_options(args, server=args.server)
    if not args.server:
        warn_if_served(ep, "record")
    bridge = None
    why = "done"
    traffic = Traffic()
    t_start = time.monotonic()
    link = {"up": False}
    rx = {"frames": 0}
    linked = "signal"
    try:
        bridge = tcp = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server, **opts)
        rec >> writer.getChannel(0)
        bridge >> rec

        def status(final: bool = False) -> Status:
            if writer.isOpen():
                writer.flush()  # at most one refresh of records is ever only in memory
            frames, nbytes = writer.getFrameCount(), writer.getTotalSize()
            if bridge is not None:
                link["up"] = bridge.isConnected()
            notes = [("file", os.path.basename(writer.getCurrentFile()) or path), ("written", fmt_bytes(nbytes)),
                     ("files", str(writer.getFileCount())), ("errors", str(writer.getErrorCount())),
                     ("connected", "yes" if link["up"] else "no")]
            return Status([traffic.row("recorded", frames, nbytes, final=final)], notes,
                          run_progress(args, rec.frames, "frames", time.monotonic() - t_start))

        role = "serving" if args.server else "connected to"
        with Display(f"record: {role} {ep}{describe(opts)} -> {path}; Ctrl-C to stop", Traffic.COLUMNS) as display:
            display.print(f"recording {ep} to {path}" + (f" (files of at most {args.max_size} bytes)"
                                                         if args.max_size else ""))
            why = await_stream_peer(stop, display, bridge, ep, server=args.server, timeout=args.timeout,
                                    status=status, seconds=args.seconds,
                                    ready=lambda: tcp.isConnected() or rec.frames > 0 or rec.done.is_set())
            linked = why
            if why == "ready":
                rec.open()
                traffic.start()
                left = None if args.seconds is None else max(0.0, args.seconds - (time.monotonic() - t_start))
                why = run_until(stop, display, status, seconds=left,
                                until=lambda: rec.done.is_set() or (rec.opened and not writer.isOpen()))
            rx["frames"] = bridge.getRxFrameCount()
            close_all(bridge)  # no more frames: the file is complete once closed
            bridge = None
            writer.close()
            if linked == "ready":
                display.update(status(final=True), force=True)
    finally:
        close_all(bridge)
        writer.close()
    frames, total, files = writer.getFrameCount(), writer.getTotalSize(), writer.getFileCount()
    skipped = f", {rec.empty} empty frames not recorded" if rec.empty else ""
    if rec.opened:
        names = path if not args.max_size else (f"{path}.1" if files == 1 else f"{path}.1 .. {path}.{files}")
        print(f"record {ep}: {frames} frames, {total} bytes in {files} file{'s' if files != 1 else ''} "
              f"({names}){skipped}; file complete")
    else:
        print(f"record {ep}: nothing recorded, no file written")
    if rec.failure:
        raise CliError(rec.failure)
    if writer.getErrorCount():
        raise CliError(f"recording to {writer.getCurrentFile() or path} stopped by a write error after "
                       f"{frames} frames ({writer.getDropCount()} frames not recorded); the file holds every "
                       "record written before it")
    if why == "time" and args.count and rec.frames < args.count:
        raise CliError(f"received {rec.frames} of {args.count} frames from {ep} {timeout_text(args.seconds)}")
    if linked == "ready" and not rx["frames"]:
        warn("rogue-bridge record", silent_peer_text(ep, args.server))
    return EXIT_OK


# -- play ------------------------------------------------------------------------------------
def cmd_play(args: argparse.Namespace) -> int:
    """Send the records of a data file into a stream bridge."""
    from rogue.utilities import fileio  # on use: the parser of every command does not load it

    ep: Endpoint = args.endpoint
    stop = stop_of(args)
    files = fileio.stream_reader.series(args.file)
    for fn in files:
        if not os.path.isfile(fn):
            raise CliError(f"cannot play {fn}: no such file")
    summary = [file_summary(fn) for fn in files]
    for s in summary:
        if not_records(s["index"]):
            raise CliError(f"cannot play {s['path']}: {not_records_text(s['index'])}")
    idx_all = [s["index"] for s in summary]
    if args.channel is not None:
        idx_all = [i.select(channel=args.channel) for i in idx_all]
    total = sum(int((i.payload_size > 0).sum()) for i in idx_all)
    if not total:
        what = f" of channel {args.channel}" if args.channel is not None else ""
        raise CliError(f"{args.file}: no records{what} to play" + "".join(f" ({s['problem']})" for s in summary
                                                                         if s["problem"]))
    opts = bridge_options(args, server=args.server)
    halt = threading.Event()
    pacer = Pacer(args.rate, halt, args.channel)
    reader = fileio.StreamReader()
    bridge = None
    loops = 0
    why = linked = "signal"
    traffic = Traffic()
    first = [0]
    try:
        bridge = open_bridge(ris.TcpServer if args.server else ris.TcpClient, ep, server=args.server,
                             flushTimeout=args.timeout or 3600.0, **opts)
        reader >> pacer >> bridge

        def status(final: bool = False) -> Status:
            return Status([traffic.row("sent", pacer.frames, pacer.bytes, final=final)],
                          [("loops", str(loops))] if args.loop else [],
                          Progress(pacer.frames - first[0], total, "frames"))

        with Display(f"play {args.file} -> {ep}{describe(opts)}", Traffic.COLUMNS) as display:
            why = linked = await_stream_peer(stop, display, bridge, ep, server=args.server, timeout=args.timeout,
                                             status=status)
            traffic.start()
            while why == "ready" or why == "done":
                first[0] = pacer.frames
                reader.open(files[0])
                why = run_until(stop, display, status, until=lambda: not reader.isActive())
                if why != "done":
                    break
                loops += 1
                if not args.loop:
                    break
            halt.set()
            if why != "done":
                close_all(bridge)  # a send blocked on a vanished peer returns; the reader can then stop
            reader.close()
            if linked == "ready":
                display.update(status(final=True), force=True)
        for p in reader.getProblems():
            _warn(p, "play")
    finally:
        halt.set()
        close_all(bridge)  # frames already handed over are still sent, within flushTimeout
        reader.close()
    if linked != "ready":
        peer = "a stream client to connect" if args.server else "the stream server to accept"
        print(f"play {args.file} -> {ep}: stopped while waiting for {peer}; nothing sent")
        return EXIT_OK
    print(f"play {args.file} -> {ep}: sent {pacer.frames} frames ({pacer.bytes} bytes)"
          + (f" in {loops} loop{'s' if loops != 1 else ''}" if args.loop else ""))
    return EXIT_OK


# -- info --------------------------------------------------------------------------------------
def file_summary(path: str) -> dict[str, Any]:
    """Index one file: the :class:`RecordIndex`, its length, and its problem as text ('' when clean)."""
    from rogue.utilities import fileio  # on use: the parser of every command does not load it

    try:
        buf = fileio.stream_reader.map_file(path)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    idx = fileio.scan(buf, name=path)
    problem = idx.problem.message if idx.problem is not None else ""
    return {"path": path, "index": idx, "length": idx.length, "problem": problem}


def not_records(idx: fileio.RecordIndex) -> bool:
    """True when a file does not read as Rogue records (a ``--raw`` recording, a text file, another format).

    Either no complete record before the scan stopped, or a record cut before
    half of the file: a recording is cut at most in its last record, while a
    file of payloads read as headers soon claims a size past its end. A
    zero-filled tail after records (a preallocated or crash-damaged file) is
    still a data file.
    """
    p = idx.problem
    if p is None:
        return False
    return not len(idx) or (p.kind == "truncated record" and idx.end * 2 < idx.length)


def not_records_text(idx: fileio.RecordIndex) -> str:
    """Why :func:`not_records` said so, in one line."""
    k = len(idx)
    first = f"its first {idx.end} bytes would read as {k} record{'s' if k != 1 else ''}, then " if k else ""
    why = idx.problem.message if idx.problem is not None else ""
    return (f"not a Rogue data file ({first}{why}); a --raw recording (payloads only) or another format has no "
            "record headers")


def _channel_rows(idx: fileio.RecordIndex) -> list[list[str]]:
    import numpy as np  # on use: the parser of every command does not load it

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
    from rogue.utilities import fileio  # on use: the parser of every command does not load it

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
        if not_records(idx):  # no invented records: the table would show payload bytes read as headers
            bad += 1
            print(f"{path}: {s['length']} bytes, not a Rogue data file")
            _warn(f"{path}: {not_records_text(idx)}")
            print(f"end: {idx.problem.message if idx.problem is not None else ''}")
            continue
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
            _warn(f"{path}: {s['problem']}; {end}")
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
    seconds, size, count = argtype(parse_seconds), argtype(parse_size), argtype(parse_count)

    p = sub.add_parser(
        "record", help="record a stream into a Rogue data file",
        description="Connect a stream TcpClient to HOST:PORT (or, with --server, listen there) and write every "
        "frame to FILE in Rogue's data-file format (StreamWriter), readable by Rogue's StreamReader, pyrogue's "
        "FileReader and rogue.utilities.fileio; shows frames/s, MB/s, bytes written, the current file and the "
        "number of files. FILE is created (truncated) once the far side is there. Ctrl-C ends with a complete "
        "file and a summary. Empty frames are not recorded (as in Rogue).")
    add_endpoint(p, "the stream server", server_flag=True)
    p.add_argument("file", metavar="FILE", help="data file to write (FILE.1, FILE.2, ... with --max-size)")
    p.add_argument("--server", action="store_true", help=SERVER_HELP)
    p.add_argument("--max-size", type=argtype(_max_size), default=0, metavar="N",
                   help="split into FILE.1, FILE.2, ... of at most N bytes each, e.g. 1G (default 0: one file, "
                   "FILE); a frame larger than N stops the recording")
    p.add_argument("--buffer-size", type=size, default=DEFAULT_BUFFER, metavar="N",
                   help=f"gather N bytes per write (default {DEFAULT_BUFFER >> 20}M; 0: a write per frame); "
                   "the buffer is written at least 4 times a second")
    p.add_argument("--raw", action="store_true", help="payloads only, no record headers (not readable back)")
    p.add_argument("--drop-errors", action="store_true", help="do not record frames whose error field is set")
    add_channel_options(p, select=True)
    p.add_argument("--count", type=count, default=0, metavar="M", help=COUNT_HELP)
    p.add_argument("--seconds", type=seconds, metavar="S", help="stop after S seconds (default: run until Ctrl-C)")
    add_timeout(p)
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_record)

    p = sub.add_parser(
        "play", help="send a recorded data file into a stream bridge",
        description="Send the records of FILE (FILE.1, FILE.2, ... when FILE ends in .1) as frames, with their "
        "channel, flags and error, through a stream TcpClient to HOST:PORT (or, with --server, to whoever "
        "connects there), as fast as the far side takes them or at R frames/s, so analysis code can be tested "
        "without hardware.")
    p.add_argument("file", metavar="FILE", help="data file to play")
    add_endpoint(p, "the stream server", server_flag=True)
    p.add_argument("--server", action="store_true", help=SERVER_HELP)
    p.add_argument("--rate", type=argtype(parse_rate), default=0.0, metavar="R", help=RATE_HELP)
    p.add_argument("--loop", action="store_true", help="start again at the end, until Ctrl-C")
    add_channel_options(p, select=True)
    add_timeout(p)
    add_client_options(p, with_server_flag=True)
    add_server_options(p, with_server_flag=True)
    p.set_defaults(func=cmd_play)

    p = sub.add_parser(
        "info", help="summarise Rogue data files",
        description="Records and payload bytes per channel, payload sizes (min/avg/max; the header.size of "
        "pyrogue's and rogue-bridge's FileReader), records with an error or flags, and whether the file ends "
        "cleanly (a cut last record with its offset, a zero size). FILE.1 includes the rest of its series. Exit "
        "code 1 when a file does not end cleanly or is not a Rogue data file (e.g. a --raw recording).")
    p.add_argument("files", metavar="FILE", nargs="+", help="data files")
    p.set_defaults(func=cmd_info)
