"""PRBS section: ``rogue.utilities.Prbs`` generating, checking and both, in one process.

Every figure is taken in a forked child (the parent never imports rogue or zmq),
as wall-clock rates and per CPU second of the process (``time.process_time``;
on a shared machine the wall-clock rates fall with other jobs' load, the CPU
figures much less).
Rows: generate-only (``Prbs`` -> a slave that drops frames), check-only (frames
generated beforehand, replayed into a checking ``Prbs``), generate+check
(``Prbs >> Prbs``), for 16 B, 4 KiB and 1 MiB frames at width 32 (1 MiB also at
width 128 and 512). Ceilings in the same run: numpy copying and comparing 1 MiB
buffers (what any generate-and-check must at least touch) and a bare stream
hop (``_reqFrame`` + ``write`` + ``_sendFrame`` into a counting slave) for
16 B frames.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from typing import Any

SIZES = (16, 4096, 1 << 20)
WIDE = (128, 512)  # extra widths measured at 1 MiB
SECONDS = 0.6  # measured time per case (full run); --quick divides it
QUICK_DIV = 6
CPP_ROGUE_MB_S = 61  # C++ Rogue 6.15, 1 MiB generate+check, this machine class (issue 14)


def _time_loop(fn: Any, seconds: float) -> tuple[int, float, float]:
    """Call ``fn()`` until ``seconds`` have passed (after a short warm-up); calls, elapsed and CPU seconds."""
    for _ in range(3):
        fn()
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    end = t0 + seconds
    while True:
        for _ in range(16):
            fn()
        n += 16
        now = time.perf_counter()
        if now >= end:
            return n, now - t0, max(1e-9, time.process_time() - c0)


def _row(mode: str, width: int, size: int, n: int, secs: float, cpu: float, errors: int = 0) -> dict[str, Any]:
    # CPU time is what the process itself spent: on a shared machine it moves less than the wall-clock rate.
    return {"mode": mode, "width": width, "size": size, "frames": n, "frames_per_s": round(n / secs, 1),
            "MB_per_s": round(n * size / secs / 1e6, 1), "cpu_us_per_frame": round(cpu / n * 1e6, 2),
            "MB_per_cpu_s": round(n * size / cpu / 1e6, 1), "rx_errors": errors}


def _measure(seconds: float) -> dict[str, Any]:
    import numpy as np

    import rogue.interfaces.stream as ris
    from rogue.utilities import Prbs

    class Drop(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            pass

    class Keep(ris.Slave):
        def __init__(self) -> None:
            super().__init__()
            self.frames: list[ris.Frame] = []

        def _acceptFrame(self, frame: ris.Frame) -> None:
            self.frames.append(frame)

    class Replay(ris.Master):
        def send(self, frame: ris.Frame) -> None:
            self._sendFrame(frame)

    rows: list[dict[str, Any]] = []
    cases = [(32, s) for s in SIZES] + [(w, 1 << 20) for w in WIDE]
    for width, size in cases:
        # generate only
        tx = Prbs()
        tx.setWidth(width)
        tx._tx_seq = 100_000  # white box: start at a sequence number with several bits set
        tx >> Drop()
        rows.append(_row("generate", width, size, *_time_loop(lambda: tx.genFrame(size), seconds)))

        # check only: 64 frames (8 of 1 MiB) made beforehand, replayed in order
        src, keep, rx = Prbs(), Keep(), Prbs()
        for p in (src, rx):
            p.setWidth(width)
        src._tx_seq = 100_000
        src >> keep
        for _ in range(8 if size >= 1 << 20 else 64):
            src.genFrame(size)
        replay = Replay()
        replay >> rx
        frames, state = keep.frames, {"i": 0}

        def check_one() -> None:
            i = state["i"]
            if i == len(frames):
                i = 0
                rx._rx_seq = 0  # white box: the replay starts over; 0 accepts any sequence
            replay.send(frames[i])
            state["i"] = i + 1

        rows.append(_row("check", width, size, *_time_loop(check_one, seconds), rx.getRxErrors()))

        # generate + check in one process
        tx, rx = Prbs(), Prbs()
        for p in (tx, rx):
            p.setWidth(width)
        tx._tx_seq = 100_000
        tx >> rx
        rows.append(_row("generate+check", width, size, *_time_loop(lambda: tx.genFrame(size), seconds),
                         rx.getRxErrors()))

    # ceilings
    a = np.frombuffer(np.random.default_rng(1).bytes(1 << 20), dtype=np.uint8)
    b = np.empty_like(a)

    def copy_compare() -> None:
        np.copyto(b, a)
        if not np.array_equal(a, b):
            raise AssertionError("copy differs")

    n, secs, cpu = _time_loop(copy_compare, seconds)
    ceilings = [{"ceiling": "numpy copy + compare, 1 MiB", "size": 1 << 20, "frames_per_s": round(n / secs, 1),
                 "MB_per_s": round(n * (1 << 20) / secs / 1e6, 1), "cpu_us_per_frame": round(cpu / n * 1e6, 2),
                 "MB_per_cpu_s": round(n * (1 << 20) / cpu / 1e6, 1)}]

    class Bare(ris.Master):
        def hop(self) -> None:
            frame = self._reqFrame(16, True)
            frame.write(data16)
            self._sendFrame(frame)

    data16 = bytes(16)
    bare = Bare()
    bare >> ris.Slave()
    n, secs, cpu = _time_loop(bare.hop, seconds)
    ceilings.append({"ceiling": "bare stream hop (reqFrame+write+sendFrame), 16 B", "size": 16,
                     "frames_per_s": round(n / secs, 1), "MB_per_s": round(n * 16 / secs / 1e6, 1),
                     "MB_per_cpu_s": round(n * 16 / cpu / 1e6, 1), "cpu_us_per_frame": round(cpu / n * 1e6, 2)})
    return {"rows": rows, "ceilings": ceilings}


def _child(q: Any, seconds: float) -> None:
    try:
        q.put(_measure(seconds))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        q.put({"error": f"{type(exc).__name__}: {exc}"})


def run(quick: bool = False, reps: int = 1) -> dict[str, Any]:
    """Measure every case ``reps`` times in a forked child each; keep each case's fastest run; add targets."""
    ctx = mp.get_context("fork")
    seconds = SECONDS / (QUICK_DIV if quick else 1)
    runs = []
    for _ in range(reps):
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(q, seconds))
        p.start()
        res = q.get(timeout=600)
        p.join()
        if "error" in res:
            raise RuntimeError(f"PRBS benchmark failed: {res['error']}")
        runs.append(res)
    best = runs[0]
    for other in runs[1:]:
        for key in ("rows", "ceilings"):
            for i, r in enumerate(other[key]):
                if r["frames_per_s"] > best[key][i]["frames_per_s"]:
                    best[key][i] = r
    rows, ceilings = best["rows"], best["ceilings"]
    # Ratios per CPU second (both sides of a ratio measured the same way, and robust to other jobs).
    mem_mb = ceilings[0]["MB_per_cpu_s"]
    hop_us = ceilings[1]["cpu_us_per_frame"]
    for r in rows:
        r["ratio"] = round(r["MB_per_cpu_s"] / mem_mb, 3) if r["size"] >= 1 << 20 else \
            round(hop_us / r["cpu_us_per_frame"], 3) if r["size"] == 16 else None
    return {"rows": rows, "ceilings": ceilings, "targets": targets(rows)}


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 14's targets, measured in this run."""
    def get(size: int, key: str) -> float:
        return next(r[key] for r in rows if r["mode"] == "generate+check" and r["width"] == 32 and r["size"] == size)

    out = [("PRBS 1 MiB generate+check MB/s", get(1 << 20, "MB_per_s"), 200.0),
           ("PRBS 16 B generate+check frames/s", get(16, "frames_per_s"), 50_000.0),
           ("  the same per CPU second: 1 MiB MB/s", get(1 << 20, "MB_per_cpu_s"), 200.0),
           ("  the same per CPU second: 16 B frames/s", round(1e6 / get(16, "cpu_us_per_frame"), 1), 50_000.0)]
    return [{"target": t, "measured": v, "goal": g, "met": v >= g} for t, v, g in out]


def report(result: dict[str, Any], table: Any) -> str:
    """The section's tables (``table`` is ``benchmarks.__main__.table``)."""
    return "\n\n".join([
        table("PRBS (rogue.utilities.Prbs, one process; ratio per CPU second: 1 MiB vs numpy copy+compare, "
              "16 B vs a bare stream hop)", result["rows"],
              ["mode", "width", "size", "frames_per_s", "MB_per_s", "ratio", "cpu_us_per_frame", "MB_per_cpu_s",
               "rx_errors"]),
        table("PRBS ceilings (same run)", result["ceilings"],
              ["ceiling", "size", "frames_per_s", "MB_per_s", "cpu_us_per_frame", "MB_per_cpu_s"]),
        table(f"PRBS targets (C++ Rogue 6.15: {CPP_ROGUE_MB_S} MB/s at 1 MiB)", result["targets"],
              ["target", "measured", "goal", "met"]),
    ]) + "\n"
