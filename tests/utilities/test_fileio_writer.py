"""StreamWriter beyond the vectors: where it is safer than Rogue (truncation, write errors, flush at exit)."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import rogue
import rogue.interfaces.stream as ris
from rogue.utilities import fileio
from rogue.utilities.fileio import _sink


class Source(ris.Master):
    def send(self, payload: bytes, channel: int = 0, flags: int = 0, error: int = 0) -> None:
        frame = self._reqFrame(len(payload), True)
        frame.write(payload)
        frame.setChannel(channel)
        frame.setFlags(flags)
        frame.setError(error)
        self._sendFrame(frame)


class Count(ris.Slave):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.n += 1


def records(path: Path) -> list[tuple[int, bytes]]:
    with fileio.FileReader(str(path)) as r:
        return [(h.channel, bytes(d.view(np.uint8))) for h, d in r.records()]


def test_open_truncates_a_longer_file(tmp_path: Path) -> None:
    path = tmp_path / "run.dat"
    path.write_bytes(b"\x55" * 10_000)  # Rogue would keep these bytes after the new records
    w = fileio.StreamWriter()
    w.open(str(path))
    src = Source()
    src >> w.getChannel(0)
    src.send(b"abc")
    w.close()
    assert path.read_bytes() == fileio.encode_header(3, 0, 0, 0) + b"abc"


def test_series_overwrites_a_longer_earlier_series(tmp_path: Path) -> None:
    base = tmp_path / "run"  # no '.' in the name: fine for writer and reader
    for k in range(1, 6):
        Path(f"{base}.{k}").write_bytes(b"old")
    w = fileio.StreamWriter()
    w.setMaxSize(40)
    w.open(str(base))
    src = Source()
    src >> w.getChannel(0)
    for i in range(4):
        src.send(bytes([i]) * 20)  # 28-byte records: one per file
    w.close()
    assert sorted(os.listdir(tmp_path)) == ["run.1", "run.2", "run.3", "run.4"]
    assert w.getFileCount() == 4 and w.getCurrentFile() == f"{base}.4"
    reader, got = fileio.StreamReader(), Count()
    reader >> got
    reader.open(f"{base}.1")
    reader.closeWait()
    assert got.n == 4 and reader.getProblems() == []


def test_next_file_of_a_series_opens_before_the_last_closes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """isOpen() stays True through a rotation: a recorder polling it from another thread ended at a rotation."""
    w = fileio.StreamWriter()
    w.setMaxSize(100)
    w.open(str(tmp_path / "run"))
    seen: list[bool] = []
    opening = _sink.Sink._open_file

    def open_file(sink: _sink.Sink, path: str) -> None:
        seen.append(w.isOpen())  # what another thread would read at this moment
        opening(sink, path)

    monkeypatch.setattr(_sink.Sink, "_open_file", open_file)
    src = Source()
    src >> w.getChannel(0)
    for i in range(5):
        src.send(bytes([i]) * 60)  # one 68-byte record per file of at most 100 bytes
    assert w.isOpen() and w.getFileCount() == 5
    w.close()
    assert seen == [True] * 4
    assert [records(tmp_path / f"run.{k}") for k in range(1, 6)] == [[(0, bytes([i]) * 60)] for i in range(5)]


def test_reader_accepts_a_name_without_a_dot(tmp_path: Path) -> None:
    w = fileio.StreamWriter()
    w.open(str(tmp_path / "nodot"))
    src = Source()
    src >> w.getChannel(3)
    src.send(b"x" * 9, channel=1)
    w.close()
    reader, got = fileio.StreamReader(), Count()
    reader >> got
    reader.open(str(tmp_path / "nodot"))  # C++ Rogue throws here
    reader.closeWait()
    assert got.n == 1 and records(tmp_path / "nodot") == [(3, b"x" * 9)]


def test_frame_larger_than_max_size(tmp_path: Path) -> None:
    w = fileio.StreamWriter()
    w.setMaxSize(100)
    w.open(str(tmp_path / "a.dat"))
    src = Source()
    src >> w.getChannel(0)
    with pytest.raises(rogue.GeneralError, match="Frame size is larger than file size limit"):
        src.send(b"y" * 93)  # 101 bytes with its header
    src.send(b"y" * 92)
    w.close()
    assert w.getFrameCount() == 1 and (tmp_path / "a.dat.1").stat().st_size == 100


def test_write_error_is_one_error_and_other_slaves_go_on(caplog: pytest.LogCaptureFixture) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    w = fileio.StreamWriter()
    w.open("/dev/full")  # every write fails with ENOSPC
    src, other = Source(), Count()
    src >> w.getChannel(0)
    src >> other
    with caplog.at_level(logging.ERROR):
        for _ in range(50):
            src.send(b"z" * 100)
    assert other.n == 50
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "/dev/full" in errors[0].getMessage()
    assert "No space left on device" in errors[0].getMessage()
    assert not w.isOpen() and w.getErrorCount() == 1 and w.getDropCount() == 50 and w.getFrameCount() == 0
    w.close()


def test_failed_buffered_write_keeps_complete_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "full.dat"
    real = os.writev
    calls = {"n": 0}

    def writev(fd: int, bufs: list) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real(fd, bufs)
        data = b"".join(bytes(b) for b in bufs)
        real(fd, [data[: len(data) // 2 + 3]])  # a disk filling up part-way through a buffer
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(_sink.os, "writev", writev)
    w = fileio.StreamWriter()
    w.setBufferSize(1000)
    w.open(str(path))
    src = Source()
    src >> w.getChannel(0)
    for i in range(40):
        src.send(bytes([i]) * 92)  # 100-byte records, 10 per buffer
    w.close()
    assert w.getErrorCount() == 1 and not w.isOpen()
    assert path.stat().st_size == 1000  # cut back to the records of the first buffer
    assert records(path) == [(0, bytes([i]) * 92) for i in range(10)]
    assert w.getDropCount() == 30 and w.getFrameCount() == 10  # the lost buffer is not counted as written


def test_counters_channels_and_waits(tmp_path: Path) -> None:
    w = fileio.StreamWriter()
    assert not w.isOpen()
    w.setBufferSize(1 << 16)
    w.open(str(tmp_path / "c.dat"))
    ch = w.getChannel(0)
    assert w.getChannel(0) is ch and w.getChannel(5) is not ch
    with pytest.raises(rogue.GeneralError):
        w.getChannel(256)
    src = Source()
    src >> ch
    src.send(b"")  # not written, but received
    src.send(b"q" * 10)
    assert ch.getFrameCount() == 2 and w.getFrameCount() == 1
    assert w.getTotalSize() == w.getCurrentSize() == 18  # buffered bytes count
    assert (tmp_path / "c.dat").stat().st_size == 0
    w.flush()
    assert (tmp_path / "c.dat").stat().st_size == 18
    assert w.getBandwidth() > 0
    assert w.waitFrameCount(1, 1000) and not w.waitFrameCount(5, 20_000)
    assert ch.waitFrameCount(2, 1000) and not ch.waitFrameCount(3, 20_000)
    ch.setFrameCount(7)
    assert ch.getFrameCount() == 7
    t = threading.Timer(0.05, lambda: src.send(b"late"))
    t.start()
    assert w.waitFrameCount(2, 0)  # 0: wait for ever
    t.join()
    w.open(str(tmp_path / "d.dat"))  # open() resets the counters
    assert w.getFrameCount() == 0 and ch.getFrameCount() == 0 and w.getTotalSize() == 0
    w.close()
    assert not w.isOpen() and w.getBandwidth() == 0.0
    src.send(b"after close")  # ignored, as in Rogue
    assert w.getFrameCount() == 0 and w.getDropCount() == 0


def test_concurrent_channels_never_interleave(tmp_path: Path) -> None:
    w = fileio.StreamWriter()
    w.setBufferSize(4096)
    w.open(str(tmp_path / "mt.dat"))

    def run(chan: int) -> None:
        src = Source()
        src >> w.getChannel(chan)
        for i in range(2000):
            src.send(bytes([chan]) * (1 + i % 300))

    threads = [threading.Thread(target=run, args=(c,)) for c in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    recs = records(tmp_path / "mt.dat")
    assert len(recs) == 6000
    assert all(set(d) == {c} for c, d in recs)


def test_buffer_flushed_at_interpreter_exit(tmp_path: Path) -> None:
    path = tmp_path / "exit.dat"
    script = textwrap.dedent(f"""
        import rogue.interfaces.stream as ris
        from rogue.utilities import fileio
        w = fileio.StreamWriter()
        w.setBufferSize(1 << 20)
        w.open({str(path)!r})
        m = ris.Master()
        m >> w.getChannel(0)
        for i in range(1000):
            f = m._reqFrame(64, True)
            f.write(bytes([i & 0xFF]) * 64)
            m._sendFrame(f)
        keep = w  # never closed: the buffer is written at exit
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    recs = records(path)
    assert len(recs) == 1000 and recs[999][1] == bytes([999 & 0xFF]) * 64


def test_buffer_flushed_when_the_writer_is_collected(tmp_path: Path) -> None:
    import gc

    w = fileio.StreamWriter()
    w.setBufferSize(1 << 20)
    w.open(str(tmp_path / "gc.dat"))
    src = Source()
    src >> w.getChannel(0)
    src.send(b"kept")
    del w, src
    gc.collect()
    assert records(tmp_path / "gc.dat") == [(0, b"kept")]


def test_open_errors(tmp_path: Path) -> None:
    w = fileio.StreamWriter()
    with pytest.raises(rogue.GeneralError, match="Failed to open data file"):
        w.open(str(tmp_path / "no" / "such" / "dir.dat"))
    assert not w.isOpen()
    with pytest.raises(rogue.GeneralError):
        w.setBufferSize(-1)
    r = fileio.StreamReader()
    with pytest.raises(rogue.GeneralError, match="Failed to open data file"):
        r.open(str(tmp_path / "missing.dat"))
