"""fileio.json and sample_rogue.dat (from C++ Rogue 6.15): our writer's bytes and names, our readers' frames."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rogue.interfaces.stream as ris
from rogue.utilities import fileio

from conftest import VECTORS as SHARED_VECTORS
from conftest import shared_or_skip

HERE = Path(__file__).parent / "vectors"
VECTORS = json.loads((HERE / "fileio.json").read_text())


@pytest.mark.parametrize("name", ["fileio.json", "sample_rogue.dat"])
def test_vector_copy_matches_shared(name: str) -> None:
    assert (HERE / name).read_bytes() == shared_or_skip(SHARED_VECTORS / name).read_bytes()


class Source(ris.Master):
    """Sends the frames of a vector case."""

    def send(self, fr: dict[str, Any]) -> None:
        payload = bytes.fromhex(fr["payload"])
        frame = self._reqFrame(len(payload), True)
        if payload:
            frame.write(payload)
        frame.setFlags(fr["flags"])
        frame.setChannel(fr["chan"])
        frame.setError(fr["err"])
        self._sendFrame(frame)


class Collect(ris.Slave):
    """Keeps every frame as the vectors write them."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, Any]] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.frames.append({"flags": frame.getFlags(), "channel": frame.getChannel(), "error": frame.getError(),
                            "payload": frame.getBytes().hex()})


def write_case(case: dict[str, Any], folder: Path) -> fileio.StreamWriter:
    opts = case["options"]
    w = fileio.StreamWriter()
    w.setRaw(opts.get("raw", False))
    w.setDropErrors(opts.get("drop_errors", False))
    w.setBufferSize(opts.get("buffer_size", 0))
    w.setMaxSize(opts.get("max_size", 0))
    name = case["files"][0]["name"]
    base = name[: -len(".1")] if opts.get("max_size") else name
    w.open(str(folder / base))
    src = Source()
    src >> w.getChannel(opts.get("via_channel", 0))
    for fr in case["frames"]:
        src.send(fr)
    w.close()
    return w


@pytest.mark.parametrize("case", VECTORS["written"], ids=[c["name"] for c in VECTORS["written"]])
def test_writer_bytes_and_names(case: dict[str, Any], tmp_path: Path) -> None:
    w = write_case(case, tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted(f["name"] for f in case["files"])
    for f in case["files"]:
        assert (tmp_path / f["name"]).read_bytes() == bytes.fromhex(f["data"]), f["name"]
    assert w.getFrameCount() == case["frameCount"]
    assert w.getTotalSize() == sum(len(f["data"]) // 2 for f in case["files"])
    assert w.getCurrentSize() == len(case["files"][-1]["data"]) // 2
    assert w.getFileCount() == len(case["files"])
    assert w.getChannel(case["options"].get("via_channel", 0)).getFrameCount() == len(case["frames"])


@pytest.mark.parametrize("case", VECTORS["read"], ids=[c["name"] for c in VECTORS["read"]])
def test_stream_reader_frames(case: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if "data" in case:
        first = tmp_path / "cut.dat"
        first.write_bytes(bytes.fromhex(case["data"]))
    else:
        written = next(c for c in VECTORS["written"] if c["files"][0]["name"] == case["files"][0])
        write_case(written, tmp_path)
        first = tmp_path / case["files"][0]
    reader, sink = fileio.StreamReader(), Collect()
    reader >> sink
    with caplog.at_level(logging.WARNING, logger="pyrogue.fileio.StreamReader"):
        reader.open(str(first))
        reader.closeWait()
    assert sink.frames == case["frames"]
    assert not reader.isActive() and not reader.isOpen()
    if "data" in case:
        cut = len(bytes.fromhex(case["data"])) - 12  # the cut record's header: 8 bytes + 4 of its 7
        assert reader.getProblems() == [f"{first}: record at offset {cut} is cut: its header says 7 payload "
                                        "bytes, the file holds 4"]
        assert sum(f"offset {cut}" in r.getMessage() for r in caplog.records) == 1
    else:
        assert reader.getProblems() == [] and not caplog.records


@pytest.mark.parametrize("case", [c for c in VECTORS["written"] if not c["options"].get("raw")],
                         ids=[c["name"] for c in VECTORS["written"] if not c["options"].get("raw")])
def test_file_reader_reads_rogue_files(case: dict[str, Any], tmp_path: Path) -> None:
    files = []
    for f in case["files"]:
        (tmp_path / f["name"]).write_bytes(bytes.fromhex(f["data"]))
        files.append(str(tmp_path / f["name"]))
    chan = case["options"].get("via_channel")
    expect = [fr for fr in case["frames"] if fr["payload"] and not (case["options"].get("drop_errors") and fr["err"])]
    with fileio.FileReader(files) as reader:
        got = [(h, bytes(d.view(np.uint8))) for h, d in reader.records()]
        assert reader.totCount == len(expect)
        assert reader.currCount == len(expect) if len(files) == 1 else reader.currCount == 1
    assert [(h.size, h.flags, h.error, h.channel) for h, _ in got] == [
        (len(fr["payload"]) // 2, fr["flags"], fr["err"], fr["chan"] if chan is None else chan) for fr in expect]
    assert [d for _, d in got] == [bytes.fromhex(fr["payload"]) for fr in expect]


def test_file_reader_cut_record(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    case = next(c for c in VECTORS["read"] if "data" in c)
    data = bytes.fromhex(case["data"])
    (tmp_path / "cut.dat").write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="pyrogue.FileReader"):
        with fileio.FileReader(str(tmp_path / "cut.dat")) as reader:
            got = [(h.flags, h.channel, h.error, bytes(d.view(np.uint8)).hex()) for h, d in reader.records()]
    assert got == [(f["flags"], f["channel"], f["error"], f["payload"]) for f in case["frames"][:-1]]
    warn = [r.getMessage() for r in caplog.records]
    assert len(warn) == 1 and f"offset {len(data) - 12}" in warn[0] and "cut" in warn[0]
    idx = fileio.scan(data)
    assert len(idx) == 3 and idx.problem is not None and idx.problem.kind == "truncated record"
    assert idx.problem.offset == idx.end == len(data) - 12


def test_sample_rogue_dat() -> None:
    """frame i: 64+32*i bytes ((i+k)&0xFF), flags=i, channel=i%2, error=1 for i==13."""
    assert VECTORS["sample"]["frames"] == 20
    with fileio.FileReader(str(HERE / "sample_rogue.dat")) as reader:
        recs = list(reader.records())
        assert reader.totCount == 20 and reader.currCount == 20
    assert len(recs) == 20
    for i, (h, d) in enumerate(recs):
        n = 64 + 32 * i
        assert h == fileio.RogueHeader(n, i, 1 if i == 13 else 0, i % 2)
        assert d.dtype == np.int8 and d.shape == (n,)
        assert bytes(d.view(np.uint8)) == bytes((i + k) & 0xFF for k in range(n))
    idx = fileio.scan((HERE / "sample_rogue.dat").read_bytes())
    assert idx.problem is None and idx.end == idx.length == 7520
    assert idx.payload_size.tolist() == [64 + 32 * i for i in range(20)]
    assert idx.flags.tolist() == list(range(20)) and idx.channel.tolist() == [i % 2 for i in range(20)]
    assert np.flatnonzero(idx.error).tolist() == [13]
    # The writer reproduces the file from its frames.
    assert _rewrite(recs) == (HERE / "sample_rogue.dat").read_bytes()


def _rewrite(recs: list[Any]) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        w = fileio.StreamWriter()
        w.open(os.path.join(tmp, "again"))  # a name without a '.'
        src = Source()
        src >> w.getChannel(0)
        for h, d in recs:
            src.send({"payload": bytes(d.view(np.uint8)).hex(), "flags": h.flags, "chan": h.channel, "err": h.error})
        w.close()
        return Path(tmp, "again").read_bytes()
