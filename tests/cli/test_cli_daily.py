"""The command line as a daily tool (issue 26): Ctrl-C always works, nothing there is never success, honest output.

Every command runs as ``python -m rogue.cli`` in a subprocess against real bridges (the servers here are
rogue-bridge objects in this process), with real signals, several commands at once where a case allows.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from conftest import HANG_S, PipeLines, free_port_pairs
from rogue.cli._graph import Echo, Generator
from rogue.utilities import fileio

CLI = [sys.executable, "-m", "rogue.cli"]
HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>78]")


class Term:
    """A CLI process whose ``stream`` ("stdout" or "stderr") is a pseudo-terminal of ``cols`` columns."""

    def __init__(self, args: list[str], stream: str = "stdout", cols: int = 80) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        env = {**os.environ, "COLUMNS": str(cols), "LINES": "24", "TERM": "xterm-256color"}
        env.pop("NO_COLOR", None)
        ends = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, stream: slave}
        self.p = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, env=env, **ends)  # type: ignore[arg-type]
        os.close(slave)
        self.master = master
        self.raw = bytearray()
        self.pipes = {f: bytearray() for f in (self.p.stdout, self.p.stderr) if f is not None}

    def _pump(self, timeout: float) -> bool:
        """Read what is there (the terminal and the pipes); False once the terminal is closed."""
        fds = [self.master, *self.pipes]
        ready, _, _ = select.select(fds, [], [], timeout)
        for f in ready:
            if f == self.master:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process closed the terminal
                    chunk = b""
                if not chunk:
                    return False
                self.raw += chunk
            else:
                self.pipes[f] += os.read(f.fileno(), 65536)
        return True

    def read_until(self, text: str, timeout: float = HANG_S) -> str:
        """Terminal output until ``text`` appears; the output so far, escapes removed."""
        end = time.monotonic() + timeout
        while text not in self.screen_text():
            left = end - time.monotonic()
            if left <= 0 or not self._pump(left):
                raise AssertionError(f"{text!r} not shown within {timeout} s: {self.screen_text()!r}")
        return self.screen_text()

    def screen_text(self) -> str:
        return _CSI.sub("", self.raw.decode("utf-8", "replace"))

    def lines(self) -> list[str]:
        """Every line the terminal was given (live redraws included), escapes removed."""
        return [ln for ln in re.split(r"[\r\n]+", self.screen_text()) if ln.strip()]

    def finish(self, timeout: float = HANG_S) -> tuple[int, str, str]:
        """Wait for the end; exit code, and the pipe's output (the one that is not the terminal)."""
        end = time.monotonic() + timeout
        while self._pump(max(0.0, end - time.monotonic())):
            if time.monotonic() > end:
                raise AssertionError(f"{self.p.args} still running after {timeout} s")
        self.p.wait(timeout)
        for f in self.pipes:
            self.pipes[f] += f.read()
        os.close(self.master)
        out = self.pipes.get(self.p.stdout, bytearray()).decode()  # type: ignore[call-overload]
        err = self.pipes.get(self.p.stderr, bytearray()).decode()  # type: ignore[call-overload]
        return self.p.returncode, out, err

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen]]:  # type: ignore[type-arg]
    started: list[subprocess.Popen] = []  # type: ignore[type-arg]
    try:
        yield started
    finally:
        for p in started:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=10)


def start(procs: list, *args: str) -> subprocess.Popen:  # type: ignore[type-arg]
    p = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    procs.append(p)
    return p


def until_line(p: subprocess.Popen, text: str, timeout: float = 3 * HANG_S) -> str:  # type: ignore[type-arg]
    """Read ``p``'s stdout until a line with ``text``; that line (what was read past it is not kept)."""
    end = time.monotonic() + timeout
    assert p.stdout is not None
    lines = PipeLines(p.stdout)
    while (line := lines.line(max(0.0, end - time.monotonic()))) is not None:
        if text in line:
            return line
        if not line:
            break
    raise AssertionError(f"{p.args}: no line with {text!r}")


@pytest.mark.timeout(120)  # five processes start at once: a hang guard for a loaded machine
def test_ctrl_c_while_waiting_for_a_server(procs: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """send, play, record, monitor and read wait for a server that is not there: Ctrl-C ends each at once, 130."""
    (dead,) = free_port_pairs(1)
    ep = f"{HOST}:{dead}"
    data = tmp_path / "one.dat"
    data.write_bytes(fileio.encode_header(3, 0, 0, 0) + b"abc")
    reader = Term(["read", ep, "0", "--timeout", "60"], stream="stderr")  # read's data is stdout: it shows on stderr
    waiting = {
        "send": start(procs, "send", ep, "--size", "8", "--timeout", "60"),
        "play": start(procs, "play", str(data), ep, "--timeout", "60"),
        "record": start(procs, "record", ep, str(tmp_path / "rec.dat"), "--timeout", "60"),
        "monitor": start(procs, "monitor", ep, "--count", "5", "--timeout", "60"),
    }
    try:
        for name, p in waiting.items():  # each says what it waits for, and how long it has waited
            line = until_line(p, "waiting for")
            assert f"waiting for the stream server at {ep} to accept: " in line and " of 60 s" in line, (name, line)
        assert f"waiting for the memory server at {ep} to answer:" in reader.read_until("s of 60 s", 3 * HANG_S)
        t0 = time.monotonic()
        for p in [*waiting.values(), reader.p]:
            p.send_signal(signal.SIGINT)
        results = {name: p.communicate(timeout=HANG_S) for name, p in waiting.items()}
        code, _, err = reader.finish()
        took = time.monotonic() - t0
    finally:
        reader.kill()
    assert code == 130 and "Traceback" not in err, err
    assert not [ln for ln in reader.lines() if len(ln) > 80]
    for name, p in waiting.items():
        out, err = results[name]
        assert p.returncode == 130, (name, out, err)
        assert "Traceback" not in err and err == "", (name, err)
        assert out.splitlines()[-1].startswith(f"{name} "), (name, out)  # its summary, after a clean stop
    assert "stopped while waiting for the stream server to accept; nothing sent" in results["send"][0]
    assert "nothing recorded, no file written" in results["record"][0]
    assert not (tmp_path / "rec.dat").exists()
    print(f"five commands stopped by Ctrl-C in {took:.2f} s")


def test_record_max_size_smaller_than_a_frame(procs: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """A frame that cannot fit --max-size ends the recording with one line, exit 1 (was: a traceback per frame)."""
    (port,) = free_port_pairs(1)
    sender = subprocess.Popen([sys.executable, str(HERE / "fileio_sender.py"), str(port), "50"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(sender)
    assert sender.stdout is not None and sender.stdout.readline().startswith("serving")
    out = tmp_path / "ms.dat"
    rec = start(procs, "record", f"{HOST}:{port}", str(out), "--max-size", "100", "--count", "10")
    stdout, stderr = rec.communicate(timeout=HANG_S)
    # Frames 0..3 of the test traffic: 0 bytes (not recorded), 37 and 74 bytes (45- and 82-byte records), 0, 148.
    assert rec.returncode == 1, stdout + stderr
    assert stderr == ("rogue-bridge record: error: a frame of 148 bytes (a 156-byte record) does not fit in files "
                      "of --max-size 100 bytes; recording stopped after 2 frames\n")
    assert f"record {HOST}:{port}: 2 frames, 127 bytes in 2 files ({out}.1 .. {out}.2)" in stdout
    with fileio.FileReader([f"{out}.1", f"{out}.2"]) as r:
        assert [h.size for h, _ in r.records()] == [37, 74]  # payload bytes, as pyrogue


def test_nothing_there_is_never_success(procs: list, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """No server: record and monitor fail (no file); a memory server's port: the monitor says nothing came."""
    dead, mem_port = free_port_pairs(2)
    mem = rim.TcpServer(HOST, mem_port)
    try:
        mem >> rim.Emulate(4, 0x1000)
        rec = start(procs, "record", f"{HOST}:{dead}", str(tmp_path / "x.dat"), "--timeout", "1")
        mon = start(procs, "monitor", f"{HOST}:{dead}", "--count", "5", "--timeout", "1")
        at_mem = start(procs, "monitor", f"{HOST}:{mem_port}", "--seconds", "2")
        out = {name: p.communicate(timeout=HANG_S) for name, p in (("rec", rec), ("mon", mon), ("mem", at_mem))}
    finally:
        mem.stop()
    for name, p in (("rec", rec), ("mon", mon)):
        assert p.returncode == 1, out[name]
        stdout, stderr = out[name]
        assert stderr == (f"rogue-bridge {'record' if name == 'rec' else 'monitor'}: error: nothing answering at "
                          f"{HOST}:{dead}: no stream server accepted within 1 s\n")
        assert "waiting for the stream server" in stdout  # it said what it waited for meanwhile
    assert not (tmp_path / "x.dat").exists()
    assert at_mem.returncode == 0, out["mem"]
    assert out["mem"][1] == (f"rogue-bridge monitor: warning: {HOST}:{mem_port} accepted the connection but sent no "
                             "frame: an idle stream server, or not a stream server (a memory server's ports accept a "
                             "stream client as well)\n")


def _server_with(slave: ris.Slave, port: int) -> ris.TcpServer:
    server = ris.TcpServer(HOST, port)
    server >> slave
    return server


def test_short_runs_show_their_rate_and_no_echo_is_not_zero_back(procs: list) -> None:  # type: ignore[type-arg]
    """A run under a second still shows its frames/s; without --expect-echo nothing is said about echoes."""
    echo_port, sink_port = free_port_pairs(2)
    echo, sink = Echo(), ris.Slave()
    servers = [_server_with(echo, echo_port), _server_with(sink, sink_port)]
    try:
        servers[0] << echo
        with_echo = start(procs, "send", f"{HOST}:{echo_port}", "--size", "3000", "--count", "1000", "--expect-echo")
        without = start(procs, "send", f"{HOST}:{sink_port}", "--size", "10", "--count", "3")
        out1, err1 = with_echo.communicate(timeout=HANG_S)
        out2, err2 = without.communicate(timeout=HANG_S)
    finally:
        for s in servers:
            s.stop()
    assert with_echo.returncode == 0 and without.returncode == 0, err1 + err2
    sent = next(ln for ln in out1.splitlines() if "] sent: frames=1.00k " in ln)
    rate = float(re.search(r"frames/s=([\d.]+)k?/s", sent).group(1))  # type: ignore[union-attr]
    mbs = float(re.search(r"MB/s=([\d.]+)", sent).group(1))  # type: ignore[union-attr]
    assert rate > 0 and mbs > 0, sent
    assert "all 1000 frames and 3000000 bytes came back intact" in out1
    assert f"send {HOST}:{sink_port}: sent 3 frames (30 bytes) in " in out2
    assert "received" not in out2 and "back" not in out2


def test_live_view_fits_80_columns(tmp_path: Path) -> None:
    """On an 80-column terminal nothing of the live view is cut (no '…'), and no line is wider."""
    (port,) = free_port_pairs(1)
    gen = Generator("test", lambda seq: 1000 + seq % 7, 2000.0)
    server = ris.TcpServer(HOST, port)
    gen >> server
    terms: list[Term] = []
    try:
        gen.start()
        long = tmp_path / ("a-rather-long-directory-name-for-a-run-" * 2) / "run.dat"
        long.parent.mkdir()
        terms = [Term(["monitor", f"localhost:{port}", "--count", "300", "--heartbeat-interval", "2"]),
                 Term(["record", f"localhost:{port}", str(long), "--count", "300", "--max-size", "1Mi"])]
        results = [t.finish() for t in terms]
    finally:
        for t in terms:
            t.kill()
        gen.stop()
        server.stop()
        gen.join(5.0)
    for t, (code, out, err) in zip(terms, results):
        assert code == 0, (out, err)
        lines = t.lines()[:-1]  # the last: the summary, a plain line after the live view (the terminal wraps it)
        wide = [ln for ln in lines if len(ln.rstrip()) > 80]
        assert not wide and not any("…" in ln for ln in lines), "\n".join(lines)
    text = "\n".join(terms[0].lines())
    assert "received" in text and "frames/s" in text and "connected" in text and "size min/avg/max" in text
    assert "300/300 frames (100%)" in text
    text = "\n".join(terms[1].lines())
    assert "recorded" in text and "written" in text and "run.dat.1" in text and "300/300 frames (100%)" in text
