"""FileReader (pyrogue's API), the vectorised index, StreamReader, and files that are not clean."""

from __future__ import annotations

import logging
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rogue
import rogue.interfaces.stream as ris
from rogue.utilities import fileio


def rec(payload: bytes, flags: int = 0, error: int = 0, channel: int = 0) -> bytes:
    return fileio.encode_header(len(payload), flags, error, channel) + payload


class Collect(ris.Slave):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[tuple[int, int, int, bytes]] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.frames.append((frame.getChannel(), frame.getFlags(), frame.getError(), frame.getBytes()))


def replay(path: Path) -> tuple[Collect, fileio.StreamReader]:
    reader, sink = fileio.StreamReader(), Collect()
    reader >> sink
    reader.open(str(path))
    reader.closeWait()
    return sink, reader


def test_records_are_views_of_the_mapped_file(tmp_path: Path) -> None:
    path = tmp_path / "v.dat"
    path.write_bytes(rec(b"\x01\x02\xff", 1, 0, 2) + rec(b"", 0, 0, 3) + rec(bytes(range(200)), 7, 2, 4))
    with fileio.FileReader(path) as reader:  # a path-like is fine too
        out = list(reader.records())
        base = np.frombuffer(out[0][1].base, dtype=np.uint8)  # the whole mapped file, no copy made
    assert [h for h, _ in out] == [(3, 1, 0, 2), (0, 0, 0, 3), (200, 7, 2, 4)]  # size: payload bytes, as pyrogue
    h, d = out[0]
    assert d.dtype == np.int8 and d.tolist() == [1, 2, -1]  # int8, as pyrogue
    assert not d.flags.writeable and not d.flags.owndata
    assert base.nbytes == path.stat().st_size and np.shares_memory(base, out[2][1])
    assert out[1][1].size == 0
    assert bytes(out[2][1].view(np.uint8)) == bytes(range(200))
    with fileio.FileReader(str(path), dtype=np.uint8) as reader:
        assert [d.dtype for _, d in reader.records()] == [np.uint8] * 3


def test_several_files_counts_and_channel_filter(tmp_path: Path) -> None:
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_bytes(b"".join(rec(bytes([i]) * 8, i, 0, i % 3) for i in range(9)))
    b.write_bytes(b"".join(rec(bytes([i]) * 4, i, 0, i % 3) for i in range(6)))
    reader = fileio.FileReader([str(a), str(b)])
    seen = []
    for h, _ in reader.records():
        seen.append((reader.currCount, reader.totCount))
    assert seen[8] == (9, 9) and seen[9] == (1, 10) and seen[-1] == (6, 15)
    assert [h.flags for h, _ in reader.records(channel=1)] == [1, 4, 7, 1, 4]
    assert [h.flags for h, _ in reader.records(channel=[0, 2])] == [0, 2, 3, 5, 6, 8, 0, 2, 3, 5]
    assert reader.totCount == 10


def test_index_arrays_and_select(tmp_path: Path) -> None:
    path = tmp_path / "i.dat"
    data = b"".join(rec(bytes(i % 50), i & 0xFFFF, i % 4, i % 5) for i in range(1000))
    path.write_bytes(data)
    with fileio.FileReader(str(path)) as reader:
        idx = reader.index()
        whole = reader.data()
    assert len(idx) == 1000 and idx.problem is None and idx.end == idx.length == len(data)
    assert idx.offset.dtype == np.int64 and idx.size.dtype == np.uint32
    assert idx.payload_size.tolist() == [i % 50 for i in range(1000)]
    assert idx.flags.tolist() == list(range(1000)) and idx.channel.tolist() == [i % 5 for i in range(1000)]
    o = int(idx.payload_offset[7])
    assert whole[o:o + 7].tolist() == [0] * 7
    three = idx.select(channel=3)
    assert len(three) == 200 and set(three.channel.tolist()) == {3}
    assert len(idx.select(error=True)) == 750 and len(idx.select([1, 2], error=False)) == 100


def test_config_channel(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "cfg.dat"
    path.write_bytes(rec(b"Root:\n  Run: 1\n  Cfg: {A: 5}\n", channel=9) + rec(b"data", channel=0)
                     + rec(b"Root.Run: 2\nRoot.New.X: 3\n", channel=9) + rec(b"more", channel=0))
    with fileio.FileReader(str(path), configChan=9) as reader:
        runs = []
        for _h, _d in reader.records():
            runs.append(reader.configValue("Root.Run"))
        assert runs == [1, 2]
        assert reader.configDict == {"Root": {"Run": 2, "Cfg": {"A": 5}, "New": {"X": 3}}}
        assert reader.totCount == 2
        with pytest.raises(fileio.FileReaderException, match="Failed to find path Root.Nope"):
            reader.configValue("Root.Nope")


def test_config_without_pyyaml_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cfg.dat"
    path.write_bytes(rec(b"data", channel=0) + rec(b"A: 1\n", channel=9))
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml now fails
    with fileio.FileReader(str(path), configChan=9) as reader:
        it = reader.records()
        assert bytes(next(it)[1].view(np.uint8)) == b"data"  # no config record met yet: fine
        with pytest.raises(fileio.FileReaderException, match="needs PyYAML"):
            next(it)
    with fileio.FileReader(str(path)) as reader:  # no configChan: channel 9 is data
        assert reader.totCount == 0 and len(list(reader.records())) == 2


def test_missing_file_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(fileio.FileReaderException, match="no such file"):
        fileio.FileReader([str(tmp_path / "nope.dat")])
    with pytest.raises(rogue.GeneralError):  # also a rogue.GeneralError
        fileio.FileReader(str(tmp_path))


BAD = {
    "random": bytes((i * 7919 + 13) % 251 for i in range(4096)),
    "size past end": rec(b"ok" * 4) + struct.pack("<IHBB", 1000, 0, 0, 0) + b"short",
    "zero size": rec(b"first") + bytes(8) + rec(b"never read"),
    "empty": b"",
    "cut header": rec(b"whole") + b"\x09\x00\x00\x00\x00",
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_files_warn_and_end(kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / f"{kind.replace(' ', '_')}.dat"
    path.write_bytes(BAD[kind])
    with caplog.at_level(logging.WARNING):
        with fileio.FileReader(str(path)) as reader:
            got = [bytes(d.view(np.uint8)) for _, d in reader.records()]
    warnings = [r.getMessage() for r in caplog.records if r.name == "pyrogue.FileReader"]
    expect = {"random": [], "size past end": [b"ok" * 4], "zero size": [b"first"], "empty": [],
              "cut header": [b"whole"]}[kind]
    assert got == expect
    assert len(warnings) == 1, warnings
    if kind == "empty":
        assert "empty" in warnings[0]
    else:
        idx = fileio.scan(BAD[kind])
        assert idx.problem is not None and f"offset {idx.problem.offset}" in warnings[0]
    sink, reader = replay(path)  # the stream reader ends too, never hangs
    assert [f[3] for f in sink.frames if f[2] == 0] == expect
    if kind in ("size past end",):
        assert sink.frames[-1][2] == 1 and sink.frames[-1][3] == b""  # Rogue's cut-record frame


def test_a_text_file_gives_no_frame_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Not one complete record: StreamReader sends nothing (no invented error frame), as FileReader gives nothing."""
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello, this is a text file and not a Rogue data file\n" * 3)
    reader, sink = fileio.StreamReader(), Collect()  # made first: a library logger gets its level when made
    reader >> sink
    with caplog.at_level(logging.WARNING, logger="pyrogue.fileio.StreamReader"):
        reader.open(str(path))
        reader.closeWait()
    assert sink.frames == []
    assert reader.getProblems() == [f"{path}: not a Rogue data file (record at offset 0 is cut: its header says "
                                    f"{int.from_bytes(b'hell', 'little') - 4} payload bytes, the file holds "
                                    f"{path.stat().st_size - 8}); nothing sent"]
    assert [r.getMessage() for r in caplog.records] == reader.getProblems()
    with caplog.at_level(logging.WARNING, logger="pyrogue.FileReader"):
        with fileio.FileReader(str(path)) as r:
            assert list(r.records()) == []


def test_small_sizes_are_skipped_as_rogue_does(tmp_path: Path) -> None:
    path = tmp_path / "s.dat"
    path.write_bytes(rec(b"a") + struct.pack("<IHBB", 2, 0, 0, 0) + rec(b"", channel=4) + rec(b"b"))
    idx = fileio.scan(path.read_bytes())
    assert idx.skipped == 1 and idx.skipped_first == 9 and len(idx) == 3 and idx.problem is None
    sink, _ = replay(path)
    assert [f[3] for f in sink.frames] == [b"a", b"b"]  # an empty record is no frame


def test_stream_reader_close_stops_early(tmp_path: Path) -> None:
    path = tmp_path / "long.dat"
    path.write_bytes(rec(b"x" * 100) * 20000)

    class Slow(ris.Slave):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0

        def _acceptFrame(self, frame: ris.Frame) -> None:
            self.n += 1
            if self.n == 10:
                reader.close()  # from the reader's own thread: must not deadlock

    reader, slow = fileio.StreamReader(), Slow()
    reader >> slow
    reader.open(str(path))
    reader.closeWait()
    assert slow.n == 10 and not reader.isActive()


def _reference(buf: bytes) -> list[tuple[int, int]]:
    """A plain parser: (offset, payload size) of every complete record, as Rogue's reader walks the file."""
    pos, out = 0, []
    while len(buf) - pos >= 8:
        size = struct.unpack_from("<I", buf, pos)[0]
        if size == 0:
            break
        if size < 4:
            pos += 8
            continue
        if pos + 4 + size > len(buf):
            break
        out.append((pos, size - 4))
        pos += 4 + size
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 70), max_size=300), st.sampled_from(["random", "fixed", "pattern"]),
       st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_index_matches_a_plain_parser(sizes: list[int], kind: str, cut: int, seed: int) -> None:
    if kind == "fixed":
        sizes = [sizes[0] if sizes else 8] * (len(sizes) * 10)
    elif kind == "pattern":
        sizes = [[5, 60, 0, 17][i % 4] for i in range(len(sizes) * 10)]
    rng = np.random.default_rng(seed)
    buf = b"".join(rec(rng.bytes(s), int(rng.integers(0, 65536)), int(rng.integers(0, 256)), int(rng.integers(0, 256)))
                   for s in sizes)
    if rng.random() < 0.1 and len(buf) > 40:  # a damaged size word somewhere
        k = int(rng.integers(0, len(buf) - 4))
        buf = buf[:k] + struct.pack("<I", int(rng.integers(0, 9))) + buf[k + 4:]
    buf = buf[:max(0, len(buf) - cut)]
    idx = fileio.scan(buf)
    ref = _reference(buf)
    assert list(zip(idx.offset.tolist(), idx.size.tolist())) == ref
    for o, f, e, c in zip(idx.offset.tolist(), idx.flags.tolist(), idx.error.tolist(), idx.channel.tolist()):
        assert fileio.decode_header(buf, o)[1:] == (f, e, c)
    parts = list(fileio.scan_chunks(buf, chunk=7))  # in pieces: the same records, the same end
    assert np.concatenate([q.offset for q in parts]).tolist() == idx.offset.tolist()
    assert parts[-1].problem == idx.problem and parts[-1].end == idx.end
    assert sum(q.skipped for q in parts) == idx.skipped
