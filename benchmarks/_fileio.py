"""Data files: recording from a stream bridge, FileReader.records(), the vectorised index.

Recording: a sender process (``_stream.bridge_sender``) and a receiver process,
either the stream bridge alone (``_stream.bridge_receiver``, the ceiling) or the
bridge feeding a ``StreamWriter`` (``rogue-bridge record``'s default 1 MiB
buffer) writing to a file in a temporary directory (the page cache), measured
back to back. Reading: a child process reads a file written beforehand, with
``FileReader.records()``, with a pyrogue-style loop (header read + ``numpy.fromfile``
per record, what pyrogue's reader does), and with ``scan`` (the index).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from typing import Any, Callable

from . import _stream
from ._procs import _CTX, run_pair

RECORD_COUNT = {64: 200_000, 1 << 20: 2_000}
# Files go to a tmpfs when there is one: the page cache alone, never throttled by write-back to a
# (shared, virtual) disk, which is what "to the page cache" means here.
TMP = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
READ_COUNT = {64: 1_000_000, 1 << 20: 400}


# -- recording: TcpServer >> StreamWriter, in the receiving process ---------------------------------
def record_receiver(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.stream as ris
    from rogue.utilities import fileio

    warm, total = args["warmup"], args["warmup"] + args["count"]
    span = _stream._Span()
    done = threading.Event()
    folder = tempfile.mkdtemp(prefix="rogue-bench-", dir=TMP)
    writer = fileio.StreamWriter()
    writer.setBufferSize(args["buffer"])
    writer.open(os.path.join(folder, "bench.dat"))

    class Counter(ris.Slave):
        """Counts frames after the writer has written them; times the measured ones."""

        def __init__(self) -> None:
            super().__init__()
            self.frames = 0
            self.bytes = 0

        def _acceptFrame(self, frame: Any) -> None:
            n = self.frames = self.frames + 1
            if n > warm:
                self.bytes += frame.getPayload()
                if n == total:
                    writer.close()  # the last buffer is written inside the measured span
                    span.end()
                    done.set()
            elif n == warm:
                span.start()

    counter = Counter()
    tcp = ris.TcpServer("127.0.0.1", port)
    tcp >> counter  # the primary slave: called last, after the writer
    tcp >> writer.getChannel(0)
    ready.set()
    try:
        if not done.wait(120):
            raise RuntimeError(f"received {counter.frames} of {total} frames")
        size = os.path.getsize(os.path.join(folder, "bench.dat"))
        expect = total * (args["size"] + 8)
        if size != expect:
            raise RuntimeError(f"file has {size} bytes, expected {expect}")
    finally:
        tcp.close()
        shutil.rmtree(folder, ignore_errors=True)
    return span.result(frames=total - warm, bytes=counter.bytes)


def raw_record_receiver(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    """The ceiling: a raw pyzmq PULL writing each message as a record, gathered in a 1 MiB buffer."""
    import struct

    import zmq

    pack = struct.Struct("<IHBB").pack
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    ready.set()
    warm, total, limit = args["warmup"], args["warmup"] + args["count"], args["buffer"]
    folder = tempfile.mkdtemp(prefix="rogue-bench-", dir=TMP)
    fd = os.open(os.path.join(folder, "raw.dat"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    buf = bytearray()
    recv = pull.recv_multipart
    span = _stream._Span()
    nbytes = 0
    try:
        for k in range(total):
            if k == warm:
                span.start()
            parts = recv(copy=False)
            data = parts[3].buffer
            n = len(data)
            hdr = pack(n + 4, 0, 0, 0)
            if len(buf) + n + 8 > limit:
                os.write(fd, buf)
                buf.clear()
            if n + 8 > limit:
                os.writev(fd, [hdr, data])
            else:
                buf += hdr
                buf += data
            if k >= warm:
                nbytes += n
        os.write(fd, buf)
        os.close(fd)
        span.end()
    finally:
        pull.close(0)
        ctx.term()
        shutil.rmtree(folder, ignore_errors=True)
    return span.result(frames=total - warm, bytes=nbytes)


_ROLES = {"bridge": (_stream.bridge_receiver, _stream.bridge_sender),
          "record": (record_receiver, _stream.bridge_sender),
          "raw-record": (raw_record_receiver, _stream.raw_sender)}


def _record_row(impl: str, size: int, count: int) -> dict[str, Any]:
    args = {"size": size, "count": count, "warmup": max(50, count // 20), "copy": True, "fill": False,
            "buffer": 1 << 20}
    rx, _tx = run_pair(*_ROLES[impl], args, stop_after="server")
    return {"impl": impl, "size": size, "frames": count, "frames_per_s": round(count / rx["seconds"], 1),
            "MB_per_s": round(rx["bytes"] / rx["seconds"] / 1e6, 1),
            "rx_cpu_s_per_GB": round(rx["cpu_seconds"] / (rx["bytes"] / 1e9), 3)}


def write_ceiling(size: int, count: int, reps: int) -> dict[str, Any]:
    """The page cache's own speed: ``os.write`` of ``size``-byte buffers to a fresh file, no network, no Python framing.

    For 64 B frames the buffers are gathered into 1 MiB writes, as the recorder's buffer does.
    """
    per_write = max(1, (1 << 20) // (size + 8)) if size < 4096 else 1
    block = bytes((size + 8) * per_write)
    writes = max(1, count // per_write)
    best = float("inf")
    for _ in range(reps):
        folder = tempfile.mkdtemp(prefix="rogue-bench-", dir=TMP)
        try:
            fd = os.open(os.path.join(folder, "ceiling.dat"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            t = time.perf_counter()
            for _ in range(writes):
                os.write(fd, block)
            os.close(fd)
            best = min(best, time.perf_counter() - t)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    frames = writes * per_write
    return {"impl": "page-cache write", "size": size, "frames": frames, "frames_per_s": round(frames / best, 1),
            "MB_per_s": round(frames * size / best / 1e6, 1), "rx_cpu_s_per_GB": None}


# -- reading, in a child process ----------------------------------------------------------------------
def _child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    q = _CTX.Queue()

    def run() -> None:
        try:
            q.put(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            q.put({"error": repr(exc)})

    p = _CTX.Process(target=run, daemon=True)
    p.start()
    res = q.get(timeout=600)
    p.join(30)
    if "error" in res:
        raise RuntimeError(res["error"])
    return res


def _write_file(path: str, sizes: Any) -> None:
    """A data file of records of ``sizes`` (written with numpy: fast, and independent of StreamWriter)."""
    import numpy as np

    sizes = np.asarray(sizes, dtype=np.int64)
    with open(path, "wb") as fh:
        step = 1 << 16
        for k in range(0, len(sizes), step):
            chunk = sizes[k:k + step]
            buf = bytearray()
            hdr = np.zeros((len(chunk), 2), dtype="<u4")
            hdr[:, 0] = chunk + 4
            hdr[:, 1] = (np.arange(k, k + len(chunk)) & 0xFF) << 24
            hb = hdr.tobytes()
            for j, s in enumerate(chunk.tolist()):
                buf += hb[8 * j:8 * j + 8]
                buf += bytes(s) if s < 4096 else np.full(s, j & 0xFF, dtype=np.uint8).tobytes()
            fh.write(buf)


def _pyrogue_style(path: str) -> int:
    """pyrogue's reading loop: an 8-byte header read, then numpy.fromfile of the payload, per record."""
    import struct

    import numpy as np

    unpack = struct.Struct("<IHBB").unpack
    total = os.path.getsize(path)
    n = 0
    with open(path, "rb") as f:
        while f.tell() < total:
            size, _flags, _err, _chan = unpack(f.read(8))
            np.fromfile(f, dtype=np.int8, count=size - 4)
            n += 1
    return n


def read_measure(size: int, count: int, reps: int) -> dict[str, Any]:
    """records() (views), records() reading every byte, pyrogue-style, and the index, on one file."""
    import numpy as np

    from rogue.utilities import fileio

    folder = tempfile.mkdtemp(prefix="rogue-bench-", dir=TMP)
    path = os.path.join(folder, "read.dat")
    try:
        _write_file(path, np.full(count, size))
        payload = count * size
        out: dict[str, Any] = {"size": size, "records": count, "file_MB": round(os.path.getsize(path) / 1e6, 1)}

        def best(fn: Callable[[], Any]) -> float:
            times = []
            for _ in range(reps):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            return min(times)

        def views() -> None:
            with fileio.FileReader(path) as r:
                for _h, _d in r.records():
                    pass

        def touch() -> None:
            with fileio.FileReader(path) as r:
                for _h, d in r.records():
                    np.bitwise_xor.reduce(d.view(np.uint64) if d.nbytes % 8 == 0 else d)

        def ceiling_touch() -> None:  # the same reduction over the whole file in one call: memory-bound
            with open(path, "rb") as fh:
                data = np.fromfile(fh, dtype=np.uint8)
            np.bitwise_xor.reduce(data[: data.nbytes // 8 * 8].view(np.uint64))

        def index() -> None:
            with fileio.FileReader(path) as r:
                r.index()

        for name, fn in (("records", views), ("records_touch", touch), ("numpy_read_touch", ceiling_touch),
                         ("pyrogue_style", lambda: _pyrogue_style(path)), ("index", index)):
            secs = best(fn)
            out[f"{name}_per_s"] = round(count / secs, 1)
            out[f"{name}_GB_per_s"] = round(payload / secs / 1e9, 3)
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def index_variable(count: int, reps: int) -> dict[str, Any]:
    """The index over records of random sizes (0..2 KiB: no period to guess, one by one)."""
    import numpy as np

    from rogue.utilities import fileio

    folder = tempfile.mkdtemp(prefix="rogue-bench-", dir=TMP)
    path = os.path.join(folder, "var.dat")
    try:
        _write_file(path, np.random.default_rng(1).integers(0, 2049, count))
        best = min(_timed(lambda: fileio.FileReader(path).index()) for _ in range(reps))
        return {"records": count, "index_per_s": round(count / best, 1)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


# -- the section ---------------------------------------------------------------------------------------
def _bytes(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} B"


def _say(text: str) -> None:
    print(f"fileio: {text}", file=sys.stderr, flush=True)


def run(div: int, reps: int, progress: Callable[[str], None] = _say) -> dict[str, Any]:
    """Every file I/O measurement; ``div`` divides the counts (--quick), ``reps`` repetitions (best kept).

    ``progress(text)`` is told each step as it starts (by default a line on stderr), so a run of a minute
    or more shows where it is.
    """
    record = []
    steps = len(RECORD_COUNT) * (reps * 3 + 1) + len(READ_COUNT) + 1
    done = 0

    def step(text: str) -> None:
        nonlocal done
        done += 1
        progress(f"[{done}/{steps}] {text}")

    for size, n in RECORD_COUNT.items():
        n = max(20, n // div)
        runs: dict[str, list[dict[str, Any]]] = {"bridge": [], "record": [], "raw-record": []}
        for rep in range(reps):  # alternated, so a load that comes and goes hits both alike
            for impl in runs:
                step(f"recording {n} frames of {_bytes(size)}, {impl}, run {rep + 1} of {reps}")
                runs[impl].append(_record_row(impl, size, n))
        for rows in runs.values():
            row = max(rows, key=lambda r: r["frames_per_s"])
            row["runs"] = [r["frames_per_s"] for r in rows]
            record.append(row)
        step(f"write ceiling, {_bytes(size)} records")
        record.append(_child(write_ceiling, size, n, reps))
    read = []
    for size, n in READ_COUNT.items():
        step(f"reading {max(20, n // div)} records of {_bytes(size)}")
        read.append(_child(read_measure, size, max(20, n // div), reps))
    step("indexing records of random sizes")
    var = _child(index_variable, max(1000, 300_000 // div), reps)
    return {"record": record, "read": read, "index_variable": var}


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's file I/O targets, as measured in this run."""
    rec = {(r["impl"], r["size"]): r["frames_per_s"] for r in res["record"]}
    read = {r["size"]: r for r in res["read"]}
    out = [
        ("record 64 B frames/s vs bridge receive", rec[("record", 64)] / rec[("bridge", 64)], 0.8),
        ("record 1 MiB frames/s vs bridge receive", rec[("record", 1 << 20)] / rec[("bridge", 1 << 20)], 0.8),
        ("record 64 B vs raw pyzmq recorder", rec[("record", 64)] / rec[("raw-record", 64)], 0.8),
        ("record 1 MiB vs raw pyzmq recorder", rec[("record", 1 << 20)] / rec[("raw-record", 1 << 20)], 0.8),
        ("FileReader.records() 64 B records/s", read[64]["records_per_s"], 200_000),
        ("FileReader.records() 1 MiB GB/s", read[1 << 20]["records_GB_per_s"], 5.0),
        ("index 64 B records/s", read[64]["index_per_s"], 5e6),
    ]
    return [{"target": t, "measured": round(v, 3), "goal": g, "met": v >= g} for t, v, g in out]
