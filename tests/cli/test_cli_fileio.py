"""``rogue-bridge record / play / info`` as subprocesses, against a stream server in another process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import fileio_traffic as traffic
import numpy as np
import pytest

from conftest import PipeLines, free_port_pair
from rogue.utilities import fileio

CLI = [sys.executable, "-m", "rogue.cli"]
SENDER = [sys.executable, str(Path(__file__).with_name("fileio_sender.py"))]
HERE = "127.0.0.1"


class Proc:
    """A subprocess whose stdout lines are read with a timeout; killed at the end of the test."""

    def __init__(self, args: list[str]) -> None:
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, bufsize=1)
        assert self.p.stdout is not None
        self.lines = PipeLines(self.p.stdout)

    def line(self, timeout: float = 20.0) -> str:
        line = self.lines.line(timeout)
        if line is None:
            raise AssertionError(f"no output from {self.p.args} within {timeout} s")
        return line

    def finish(self, timeout: float = 60.0) -> tuple[int, str, str]:
        out, err = self.p.communicate(timeout=timeout)
        return self.p.returncode, self.lines.rest() + out, err

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.communicate(timeout=10)
        except ValueError:  # already communicated
            pass


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    try:
        yield started
    finally:
        for p in started:
            p.kill()


def start(procs: list[Proc], args: list[str]) -> Proc:
    p = Proc(args)
    procs.append(p)
    return p


def sender(procs: list[Proc], port: int, count: int = traffic.COUNT) -> Proc:
    s = start(procs, [*SENDER, str(port), str(count)])
    assert s.line().startswith("serving")
    return s


def expected(n: int) -> Iterator[tuple[int, int, int, int]]:
    """(frame number, channel, flags, error) of the records frames 0..n-1 give (empty frames are not recorded)."""
    return ((i, *traffic.meta(i % traffic.COUNT)) for i in range(n) if traffic.size(i % traffic.COUNT))


def n_records(n: int) -> int:
    return sum(1 for _ in expected(n))


def check_records(files: list[str], n: int | None = None) -> int:
    """Every record of ``files`` is the next expected non-empty frame, every byte; returns how many."""
    with fileio.FileReader(files) as reader:
        got = 0
        want = iter(expected(n if n is not None else 10 ** 7))
        for h, d in reader.records():
            i, chan, flags, err = next(want)
            assert (h.channel, h.flags, h.error) == (chan, flags, err), i
            assert h.size == traffic.size(i % traffic.COUNT), i
            assert d.view(np.uint8).tobytes() == traffic.payload(i % traffic.COUNT), i
            got += 1
    if n is not None:
        assert got == n_records(n)
    return got


def test_record_every_byte_and_header(procs: list[Proc], tmp_path: Path) -> None:
    port = free_port_pair()
    s = sender(procs, port)
    out = tmp_path / "run.dat"
    rc, stdout, stderr = start(procs, [*CLI, "record", f"{HERE}:{port}", str(out), "--count", "10000"]).finish()
    s.p.stdin.close()  # type: ignore[union-attr]
    assert rc == 0, stdout + stderr
    n = n_records(traffic.COUNT)
    assert f"record {HERE}:{port}: {n} frames" in stdout and "in 1 file" in stdout and "file complete" in stdout
    assert check_records([str(out)], traffic.COUNT) == n
    assert sorted(os.listdir(tmp_path)) == ["run.dat"]
    rc, info, err = start(procs, [*CLI, "info", str(out)]).finish()
    assert rc == 0 and err == "" and f"{n} records" in info and "end: clean" in info
    assert info.count("\n") > 256  # a line per channel: every one of the 256 is there


def test_record_split_by_max_size(procs: list[Proc], tmp_path: Path) -> None:
    port = free_port_pair()
    s = sender(procs, port)
    out = tmp_path / "split"
    rc, stdout, stderr = start(procs, [*CLI, "record", f"{HERE}:{port}", str(out), "--count", "10000",
                                       "--max-size", "3M", "--buffer-size", "64k"]).finish()
    s.p.stdin.close()  # type: ignore[union-attr]
    assert rc == 0, stdout + stderr
    names = sorted(os.listdir(tmp_path), key=lambda x: int(x.rsplit(".", 1)[1]))
    sizes = [(x, (tmp_path / x).stat().st_size) for x in names]
    assert len(names) >= 6 and names == [f"split.{k}" for k in range(1, len(names) + 1)], (sizes, stdout)
    assert all((tmp_path / x).stat().st_size <= 3 << 20 for x in names)
    assert f"in {len(names)} files (split.1 .. split.{len(names)})".replace("split", str(out)) in stdout
    assert check_records([str(tmp_path / x) for x in names], traffic.COUNT) == n_records(traffic.COUNT)


def _wait_size(path: Path, nbytes: int, proc: Proc, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if path.exists() and path.stat().st_size >= nbytes:
            return
        assert proc.p.poll() is None, proc.finish()
        time.sleep(0.02)
    raise AssertionError(f"{path} did not reach {nbytes} bytes")


def test_ctrl_c_leaves_a_complete_file(procs: list[Proc], tmp_path: Path) -> None:
    port = free_port_pair()
    sender(procs, port, count=0)
    out = tmp_path / "int.dat"
    rec = start(procs, [*CLI, "record", f"{HERE}:{port}", str(out)])
    _wait_size(out, 2 << 20, rec)
    rec.p.send_signal(signal.SIGINT)
    rc, stdout, stderr = rec.finish()
    assert rc == 130, stdout + stderr  # Ctrl-C, after a clean stop: the file is complete
    assert "file complete" in stdout and "Traceback" not in stderr
    frames = int(re.search(r"^record \S+: (\d+) frames", stdout, re.M).group(1))  # type: ignore[union-attr]
    idx = fileio.scan(out.read_bytes())
    assert idx.problem is None and len(idx) == frames > 0
    assert check_records([str(out)]) == frames


def test_sigkill_leaves_complete_records(procs: list[Proc], tmp_path: Path) -> None:
    port = free_port_pair()
    sender(procs, port, count=0)
    out = tmp_path / "kill.dat"
    rec = start(procs, [*CLI, "record", f"{HERE}:{port}", str(out), "--buffer-size", "0"])
    _wait_size(out, 3 << 20, rec)
    rec.p.kill()
    rec.finish()
    idx = fileio.scan(out.read_bytes())
    assert len(idx) > 0
    assert idx.problem is None or idx.problem.offset == idx.end  # at most one cut record, at the end
    assert check_records([str(out)]) == len(idx)


def test_play_into_record_gives_the_same_file(procs: list[Proc], tmp_path: Path) -> None:
    port = free_port_pair()
    s = sender(procs, port, count=3000)
    first = tmp_path / "first.dat"
    rc, stdout, stderr = start(procs, [*CLI, "record", f"{HERE}:{port}", str(first), "--count", "3000"]).finish()
    s.p.stdin.close()  # type: ignore[union-attr]
    assert rc == 0, stdout + stderr
    n = len(fileio.scan(first.read_bytes()))
    port2 = free_port_pair()
    second = tmp_path / "second.dat"
    rec = start(procs, [*CLI, "record", "--server", f"{HERE}:{port2}", str(second), "--count", str(n)])
    assert rec.line().startswith("recording")
    rc, stdout, stderr = start(procs, [*CLI, "play", str(first), f"{HERE}:{port2}"]).finish()
    assert rc == 0, stdout + stderr
    assert f"sent {n} frames" in stdout
    rc, stdout, stderr = rec.finish()
    assert rc == 0, stdout + stderr
    assert second.read_bytes() == first.read_bytes()


BAD = {
    "random": bytes((i * 7919 + 13) % 251 for i in range(4096)),
    "past_end": fileio.encode_header(3, 0, 0, 0) + b"abc" + fileio.encode_header(5000, 0, 0, 0) + b"xy",
    "zero_size": fileio.encode_header(3, 0, 0, 0) + b"abc" + bytes(16),
    "empty": b"",
}


def test_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rogue.cli import main  # in this process: the same main() the command runs, without the start-up time

    paths = {}
    for kind, data in BAD.items():
        paths[kind] = tmp_path / f"{kind}.dat"
        paths[kind].write_bytes(data)
    for kind, path in paths.items():  # one at a time: each its own exit code
        rc = main(["info", str(path)])
        out, err = capsys.readouterr()
        assert "Traceback" not in err and err.startswith("rogue-bridge info: warning: ") and str(path) in err
        assert len(err.splitlines()) == 1, err
        if kind == "empty":
            assert rc == 0 and "empty" in err and "end: empty file" in out
        else:
            assert rc == 1 and "offset" in err and "end: " in out
    for kind in ("random", "empty", "zero_size"):
        rc = main(["play", str(paths[kind]), f"{HERE}:{free_port_pair()}", "--timeout", "0.5"])
        out, err = capsys.readouterr()
        assert rc == 1 and "Traceback" not in err and len(err.splitlines()) == 1, err
        if kind == "zero_size":
            assert "nothing answering" in err  # one complete record to play, nobody to play it to
        elif kind == "random":
            assert "not a Rogue data file" in err
        else:
            assert "no records to play" in err


def test_play_warns_of_a_cut_record(procs: list[Proc], tmp_path: Path) -> None:
    path = tmp_path / "cut.dat"
    path.write_bytes(BAD["past_end"])
    port = free_port_pair()
    rec = start(procs, [*CLI, "record", "--server", f"{HERE}:{port}", str(tmp_path / "got.dat"), "--count", "2"])
    assert rec.line().startswith("recording")
    rc, out, err = start(procs, [*CLI, "play", str(path), f"{HERE}:{port}"]).finish()
    assert rc == 0 and "sent 2 frames" in out  # the record, then Rogue's error-0x1 frame for the cut one
    assert err.count("warning") == 1 and "offset 11 is cut" in err
    rc, out, err = rec.finish()
    assert rc == 0, out + err
    with fileio.FileReader(str(tmp_path / "got.dat")) as r:
        assert [(h.error, bytes(d.view(np.uint8))) for h, d in r.records()] == [(0, b"abc")]  # empty: not written


def test_record_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rogue.cli import main

    assert main(["record", f"{HERE}:{free_port_pair()}", str(tmp_path / "no" / "x.dat")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rogue-bridge record: error: bad FILE") and len(err.splitlines()) == 1
    assert main(["info", str(tmp_path / "missing.dat")]) == 1
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err


def test_play_loop_and_rate(procs: list[Proc], tmp_path: Path) -> None:
    path = tmp_path / "five.dat"
    path.write_bytes(b"".join(fileio.encode_header(10, i, 0, i) + bytes([i]) * 10 for i in range(5)))
    port = free_port_pair()
    got = tmp_path / "got.dat"
    rec = start(procs, [*CLI, "record", "--server", f"{HERE}:{port}", str(got), "--count", "12"])
    assert rec.line().startswith("recording")
    play = start(procs, [*CLI, "play", str(path), f"{HERE}:{port}", "--loop", "--rate", "200"])
    rc, out, err = rec.finish()
    assert rc == 0, out + err
    play.p.send_signal(signal.SIGINT)  # Ctrl-C is how a loop ends
    rc, out, err = play.finish()
    assert rc == 130 and "Traceback" not in err, out + err
    loops = int(re.search(r"in (\d+) loops?", out).group(1))  # type: ignore[union-attr]
    assert loops >= 2
    with fileio.FileReader(str(got)) as r:
        assert [h.channel for h, _ in r.records()] == [0, 1, 2, 3, 4] * 2 + [0, 1]


def test_record_write_error(procs: list[Proc]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    port = free_port_pair()
    sender(procs, port, count=0)
    rc, out, err = start(procs, [*CLI, "record", f"{HERE}:{port}", "/dev/full", "--seconds", "20"]).finish()
    assert rc == 1 and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 2, err  # the writer's one logged error, and the command's own line
    assert "No space left on device" in lines[0] and "stopped by a write error" in lines[1]
    assert "record 127.0.0.1" in out and " 0 frames, 0 bytes" in out


def test_info_does_not_invent_records_from_a_raw_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --raw recording's payloads are not records: info says so, without a table of invented ones."""
    from rogue.cli import main
    from rogue.cli._pattern import payload

    raw = tmp_path / "raw.dat"  # what record --raw writes of send's frames 100..104: the first 4 bytes read as size 100
    raw.write_bytes(b"".join(payload(100 + i, 1000) for i in range(5)))
    assert main(["info", str(raw)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == f"{raw}: 5000 bytes, not a Rogue data file"
    rest = out.replace(str(raw), "<file>")  # the run's temporary path may itself hold "107" (pytest-107)
    assert "channel" not in rest and "107" not in rest  # byte 7 of the payload would have been "channel 107"
    assert err.count("\n") == 1 and err.startswith(f"rogue-bridge info: warning: {raw}: not a Rogue data file (its first "
                                                   "104 bytes would read as 1 record, then record at offset 104")
    assert "a --raw recording (payloads only)" in err
    assert main(["play", str(raw), f"{HERE}:{free_port_pair()}"]) == 1
    assert "cannot play" in capsys.readouterr().err


def test_readme_recording_example_reads_what_it_records(procs: list[Proc], tmp_path: Path) -> None:
    """The README's `rogue-bridge record ...` then its FileReader snippet, as written (only the port differs)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    command = re.search(r"`(rogue-bridge record 127\.0\.0\.1:8000 run\.dat[^`]*)`", readme)
    snippet = re.search(r"```python\n(from rogue\.utilities\.fileio import FileReader.*?)```", readme, re.S)
    assert command and snippet, "the README's recording section has changed shape"
    port = free_port_pair()
    s = sender(procs, port, count=300)
    args = command.group(1).replace("127.0.0.1:8000", f"{HERE}:{port}").split()[1:]
    rec = subprocess.run([*CLI, *args, "--count", "300"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    s.p.stdin.close()  # type: ignore[union-attr]
    assert rec.returncode == 0, rec.stdout + rec.stderr
    read = subprocess.run([sys.executable, "-c", snippet.group(1)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert read.returncode == 0, read.stderr
    assert len(read.stdout.splitlines()) == n_records(300)
