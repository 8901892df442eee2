"""Our ``FileReader`` against pyrogue's own, on the same files: same records, header fields, data and configDict.

pyrogue's reader comes from ``shared/peers`` (see ``peer_file_reader``); the
tests skip, saying why, where it is absent. The files: every file of the
C++ Rogue vectors (``sample_rogue.dat`` and those of ``fileio.json``, the
copies in ``vectors/`` that ``test_fileio_vectors`` checks against
``shared/``), and files written here with configuration records and with
batched records, which the vectors do not have.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import peer_file_reader
import rogue.interfaces.stream as ris
from rogue.utilities import fileio

HERE = Path(__file__).parent / "vectors"
VECTORS = json.loads((HERE / "fileio.json").read_text())


def _vector_sets() -> list[tuple[str, dict[str, bytes], list[str]]]:
    """(id, files to write, names to read in one FileReader) for every file of the vectors."""
    sets: list[tuple[str, dict[str, bytes], list[str]]] = [
        ("sample_rogue.dat", {"sample_rogue.dat": (HERE / "sample_rogue.dat").read_bytes()}, ["sample_rogue.dat"])]
    for case in VECTORS["written"]:
        files = {f["name"]: bytes.fromhex(f["data"]) for f in case["files"]}
        for name in files:
            sets.append((f"{case['name']}: {name}", {name: files[name]}, [name]))
        if len(files) > 1:
            sets.append((f"{case['name']}: the series", files, list(files)))
    for case in VECTORS["read"]:
        if "data" in case:
            sets.append((case["name"], {"cut.dat": bytes.fromhex(case["data"])}, ["cut.dat"]))
    return sets


SETS = _vector_sets()


def _plain(obj: Any) -> Any:
    """Mappings as lists of items (so key order counts too), recursively."""
    if isinstance(obj, dict):
        return [(k, _plain(v)) for k, v in obj.items()]
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def _read(reader: Any, batched: bool = False) -> tuple[list[tuple[Any, ...]], int, int, Any]:
    """Every record of ``reader`` as plain values, then currCount, totCount and configDict."""
    out: list[tuple[Any, ...]] = []
    with reader:
        for rec in reader.records():
            h, data = rec[0], rec[-1]
            item: tuple[Any, ...] = ((h.size, h.flags, h.error, h.channel),)
            if batched:
                b = rec[1]
                item += ((b.size, b.tdest, b.fUser, b.lUser, b.width),)
            out.append(item + (data.dtype.str, bytes(data.view(np.uint8))))
        return out, reader.currCount, reader.totCount, _plain(reader.configDict)


def _both(paths: list[str], caplog: pytest.LogCaptureFixture, **kw: Any) -> tuple[Any, Any]:
    peer = peer_file_reader.load()
    with caplog.at_level(logging.WARNING, logger="pyrogue.FileReader"):
        theirs = _read(peer.FileReader(list(paths), **kw), kw.get("batched", False))
        warned_theirs = bool(caplog.records)
        caplog.clear()
        ours = _read(fileio.FileReader(list(paths), **kw), kw.get("batched", False))
        warned_ours = bool(caplog.records)
    assert warned_ours == warned_theirs  # a cut file is reported by both
    return ours, theirs


@pytest.mark.parametrize(("files", "read"), [s[1:] for s in SETS], ids=[s[0] for s in SETS])
def test_vector_files_read_as_pyrogue_reads_them(files: dict[str, bytes], read: list[str], tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / n) for n in read]
    ours, theirs = _both(paths, caplog)
    assert ours == theirs
    # The index of each file agrees with the headers: size is the payload, as in the records.
    sizes = [fileio.FileReader(p).index().size.tolist() for p in paths]
    assert sum(sizes, []) == [r[0][0] for r in theirs[0]]


class _Source(ris.Master):
    def send(self, payload: bytes, channel: int, flags: int = 0, error: int = 0) -> None:
        frame = self._reqFrame(len(payload), True)
        frame.write(payload)
        frame.setChannel(channel)
        frame.setFlags(flags)
        frame.setError(error)
        self._sendFrame(frame)


def _write(path: Path, frames: list[tuple[bytes, int]]) -> str:
    writer, src = fileio.StreamWriter(), _Source()
    src >> writer.getChannel(0)
    writer.open(str(path))
    for i, (payload, channel) in enumerate(frames):
        src.send(payload, channel, flags=i, error=int(i % 3 == 2))
    writer.close()
    return str(path)


CONFIG = [
    b"Root:\n  Dev:\n    A: 1\n    B: text\n    List: [1, 2, 3]\n  Time: 1.5\nOther: {x: 1}\n",  # a full tree
    b"Root.Dev.A: 2\nRoot.Time: 3.0\n",  # status updates: dotted keys
    b"Root.New.Deep.Leaf: true\n",  # a dotted key into branches not there yet
    b"Other: {y: 2}\n",  # a top-level mapping merged into the one there
]


def test_config_records_as_pyrogue(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frames: list[tuple[bytes, int]] = []
    for i, text in enumerate(CONFIG):
        frames.append((text, 6))
        frames += [(bytes(range(i, i + 17 * (k + 1))), k % 2) for k in range(3)]
    path = _write(tmp_path / "config.dat", frames)
    ours, theirs = _both([path], caplog, configChan=6)
    assert ours == theirs
    assert len(ours[0]) == 12 and ours[1] == ours[2] == 12
    assert ours[3] == _plain({"Root": {"Dev": {"A": 2, "B": "text", "List": [1, 2, 3]}, "Time": 3.0,
                                       "New": {"Deep": {"Leaf": True}}}, "Other": {"x": 1, "y": 2}})
    peer = peer_file_reader.load()
    with fileio.FileReader(path, 6) as mine, peer.FileReader(path, 6) as other:
        list(mine.records()), list(other.records())
        for key in ("Root.Dev.A", "Root.Time", "Root.New.Deep.Leaf", "Other.y"):
            assert mine.configValue(key) == other.configValue(key)
    # Without configChan, the config records are data like any other, for both.
    ours, theirs = _both([path], caplog)
    assert ours == theirs and len(ours[0]) == 16 and ours[3] == []


def _sub(data: bytes, tdest: int, fuser: int, luser: int, code: int) -> bytes:
    """One sub-frame: the 8-byte header pyrogue's batched reader expects, then the data."""
    pad = bytes(8) if code == 3 else b""  # a 16-byte header
    return struct.pack("<IBBBB", len(data), tdest, fuser, luser, code) + pad + data


def test_batched_records_as_pyrogue(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frames: list[tuple[bytes, int]] = [(CONFIG[0], 6)]
    for i in range(8):
        subs = b"".join(_sub(bytes([i, k]) * (k + i), k, i, 255 - i, (i + k) % 3) for k in range(1 + i % 4))
        frames.append((subs, i % 2))
    frames.append((CONFIG[1], 6))
    frames.append((_sub(b"", 1, 2, 3, 0), 0))  # a sub-frame with no data
    path = _write(tmp_path / "batched.dat", frames)
    ours, theirs = _both([path], caplog, configChan=6, batched=True)
    assert ours == theirs
    assert len(ours[0]) == sum(1 + i % 4 for i in range(8)) + 1
    assert {r[1][4] for r in ours[0]} == {2, 4, 8}  # widths in bytes, as pyrogue gives them
    assert ours[1] == ours[2] == 9  # records counted, not sub-frames
    record_sizes = {r[0][0] for r in ours[0]}
    assert record_sizes == {len(p) for p, c in frames if c != 6}  # header.size: the record's whole payload


@pytest.mark.parametrize("fault", ["cut header", "cut data"])
def test_batched_faults_as_pyrogue(fault: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = _sub(b"abcd", 1, 0, 0, 1) + _sub(b"efgh", 2, 0, 0, 2)
    bad = good + (b"\x01\x02\x03" if fault == "cut header" else _sub(b"ijkl", 3, 0, 0, 0)[:-2])
    path = _write(tmp_path / "bad.dat", [(good, 0), (bad, 1), (good, 0)])
    peer = peer_file_reader.load()
    got: dict[str, list[Any]] = {}
    for who, reader in (("ours", fileio.FileReader(path, batched=True)), ("theirs", peer.FileReader(path, batched=True))):
        got[who] = []
        with pytest.raises(Exception, match="underrun|cut") as info:
            for h, b, d in reader.records():
                got[who].append((h.size, h.channel, b.size, b.tdest, b.width, bytes(d.view(np.uint8))))
        assert type(info.value).__name__ == "FileReaderException"
    assert got["ours"] == got["theirs"] and len(got["ours"]) == 4  # both stop after the same sub-frames
    with pytest.raises(fileio.FileReaderException, match="record at offset"):
        list(fileio.FileReader(path, batched=True).records())


def test_batched_16_byte_headers(tmp_path: Path) -> None:
    """Width code 3: 16-byte sub-frame headers, the 8 bytes past the first 8 skipped.

    Not compared with pyrogue: its reader seeks to an absolute offset there
    (``seek(width - 8)``) and reads from the wrong place.
    """
    payload = _sub(b"0123456789", 9, 1, 2, 3) + _sub(b"xy", 4, 0, 0, 0) + _sub(b"z" * 20, 5, 3, 4, 3)
    path = _write(tmp_path / "wide.dat", [(payload, 2)])
    with fileio.FileReader(path, batched=True) as reader:
        got = [(b, bytes(d.view(np.uint8))) for _, b, d in reader.records()]
    assert got == [(fileio.BatchHeader(10, 9, 1, 2, 16), b"0123456789"), (fileio.BatchHeader(2, 4, 0, 0, 2), b"xy"),
                   (fileio.BatchHeader(20, 5, 3, 4, 16), b"z" * 20)]
    bad = struct.pack("<IBBBB", 1, 0, 0, 0, 7) + b"q"
    path = _write(tmp_path / "badwidth.dat", [(bad, 0)])
    with pytest.raises(fileio.FileReaderException, match="width code 7"):
        list(fileio.FileReader(path, batched=True).records())


def test_header_types_have_pyrogues_fields() -> None:
    import dataclasses

    peer = peer_file_reader.load()
    assert fileio.RogueHeader._fields == tuple(f.name for f in dataclasses.fields(peer.RogueHeader))
    assert fileio.BatchHeader._fields == tuple(f.name for f in dataclasses.fields(peer.BatchHeader))


def test_info_sizes_are_pyrogues_header_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    """``rogue-bridge info``: per channel, payload bytes and size min/avg/max as pyrogue's ``header.size``."""
    from rogue.cli import main

    path = str(HERE / "sample_rogue.dat")
    peer = peer_file_reader.load()
    with peer.FileReader(path) as reader:
        sizes: dict[int, list[int]] = {}
        for h, _ in reader.records():
            sizes.setdefault(h.channel, []).append(h.size)
    assert main(["info", path]) == 0
    out = capsys.readouterr().out
    total = sum(sum(v) for v in sizes.values())
    assert f"{total} payload bytes" in out
    rows = {int(line.split()[0]): line.split() for line in out.splitlines() if line.split()[:1] in (["0"], ["1"])}
    for ch, v in sizes.items():
        assert rows[ch][1:4] == [str(len(v)), str(sum(v)), f"{min(v)}/{sum(v) // len(v)}/{max(v)}"]
