"""The runnable examples in ``examples/``: each seed topology, server and client halves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import free_port_pair, free_port_pairs

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str, *args: str) -> list[str]:
    return [sys.executable, str(EXAMPLES / name), *args]


def start(cmd: list[str]) -> subprocess.Popen[str]:
    """Start a server half; return once it has printed that it listens."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded by the test's timeout
    assert "listening" in line, line + proc.stderr.read()  # type: ignore[union-attr]
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


@pytest.mark.timeout(30)
def test_stream_server_and_client() -> None:
    port = str(free_port_pair())
    server = start(example("stream_server.py", port, "--count", "5", "--seconds", "15"))
    try:
        client = subprocess.run(example("stream_client.py", port, "--count", "5"),
                                capture_output=True, text=True, timeout=20)
        assert client.returncode == 0, client.stderr
        assert "stream client received 5 of 5 answers" in client.stdout
        for i in range(5):
            assert f"client got channel {i % 4}: HELLO {i}" in client.stdout
        code, out, err = finish(server)  # it stops by itself after 5 frames
        assert code == 0, err
        assert "server got channel 0: hello 0" in out and "stream server answered 5 frames" in out
    finally:
        stop(server)


@pytest.mark.timeout(30)
def test_memory_server_and_client() -> None:
    port = str(free_port_pair())
    server = start(example("memory_server.py", port, "--addr", "127.0.0.1", "--seconds", "15"))
    try:
        client = subprocess.run(example("memory_client.py", port), capture_output=True, text=True, timeout=20)
        assert client.returncode == 0, client.stderr
        assert client.stdout.splitlines() == [
            "0x1000 = 0xdeadbeef, 0x1004 = 0x12345678",
            "4096-byte block written and read back",
            "expected error: read at 0x1002 failed: Transaction address 0x1002 is not aligned to min size 4",
        ]
    finally:
        stop(server)


@pytest.mark.timeout(30)
def test_loopback_process_split() -> None:
    mem, data = free_port_pairs(2)
    p = subprocess.run(example("loopback_split.py", str(mem), "--stream-port", str(data), "--frames", "10"),
                       capture_output=True, text=True, timeout=25)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "control: register 0x0 reads back 0xc0ffee" in p.stdout
    assert "control: received 10 data frames, in order: True" in p.stdout
    assert "hardware: sent" in p.stdout and "stopped" in p.stdout  # the child stopped when told


@pytest.mark.timeout(60)
def test_loopback_control_half_uses_a_running_hardware_half() -> None:
    """--hardware started with no terminal on stdin keeps running; the control half uses it (no second one, no
    traceback in its terminal); Ctrl-C stops the hardware half cleanly."""
    import signal

    mem, data = free_port_pairs(2)
    split = ("loopback_split.py", str(mem), "--stream-port", str(data))
    hw = subprocess.Popen(example(*split, "--hardware"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        assert hw.stdout is not None and "hardware: registers on" in hw.stdout.readline()
        p = subprocess.run(example(*split, "--frames", "5"), capture_output=True, text=True, timeout=40)
        assert p.returncode == 0, p.stdout + p.stderr
        assert f"control: using the hardware half already running on 127.0.0.1:{mem}" in p.stdout
        assert "control: received 5 data frames, in order: True" in p.stdout
        assert p.stderr == ""  # no traceback of a second hardware half that could not bind
        assert hw.poll() is None  # still running: stdin is not a terminal, and that is no reason to stop
        hw.send_signal(signal.SIGINT)
        out, err = hw.communicate(timeout=15)
    finally:
        stop(hw)
    assert hw.returncode == 0 and "hardware: sent" in out and "stopped" in out and err == "", (out, err)
    # Run twice, the second hardware half says why it cannot start, in one line.
    hw = subprocess.Popen(example(*split, "--hardware"), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        assert hw.stdout is not None and "hardware: registers on" in hw.stdout.readline()
        second = subprocess.run(example(*split, "--hardware"), capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and second.stderr.count("\n") == 1, second.stderr
        assert second.stderr.startswith(f"hardware: cannot listen on 127.0.0.1:{mem}") and "Traceback" not in second.stderr
    finally:
        stop(hw)


@pytest.mark.timeout(30)
def test_logging_setup() -> None:
    port, mem = free_port_pairs(2)
    p = subprocess.run(example("logging_setup.py", str(port), "--mem-port", str(mem)),
                       capture_output=True, text=True, timeout=25)
    assert p.returncode == 0, p.stderr
    assert "frame received: True; write error: none" in p.stdout
    assert f"pyrogue.stream.TcpCore.127.0.0.1.Server.{port} DEBUG" in p.stderr
    assert f"pyrogue.memory.TcpServer.127.0.0.1.{mem} DEBUG" in p.stderr
    assert "pyrogue.memory.TcpClient" not in p.stderr  # only the filtered prefix logs at debug
