"""``rogue-bridge send --prbs`` into ``rogue-bridge monitor --prbs``, as two processes on loopback."""

from __future__ import annotations

import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "rogue.cli"]


def _pair(port: int, monitor_args: list[str], send_args: list[str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run a monitor (serving) and a sender (connecting) at once; the sender's result and the monitor's output."""
    mon = subprocess.Popen([*CLI, "monitor", f"127.0.0.1:{port}", "--server", "--seconds", "20", *monitor_args],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sent = subprocess.run([*CLI, "send", f"127.0.0.1:{port}", "--timeout", "15", *send_args],
                              capture_output=True, text=True, timeout=30)
        out, _ = mon.communicate(timeout=30)
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.communicate()
    return sent, f"rc={mon.returncode}\n{out}"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("opts", [[], ["--prbs-width", "128", "--prbs-taps", "0,3,17,127"]], ids=["default", "w128"])
def test_send_prbs_to_monitor_prbs_no_errors(port: int, opts: list[str]) -> None:
    sent, mon = _pair(port, ["--prbs", "--count", "40", *opts],
                      ["--prbs", "--size", "4k", "--count", "40", "--tx-channel", "3", *opts])
    assert sent.returncode == 0, sent.stderr
    assert "sent 40 frames (163840 bytes)" in sent.stdout
    assert mon.startswith("rc=0\n"), mon
    assert "prbs check: 40 frames (163840 bytes) passed, 0 errors" in mon
    assert "prbs errors=" in mon  # the PRBS columns of the display


@pytest.mark.timeout(60)
def test_monitor_prbs_exit_code_1_on_errors(port: int) -> None:
    # the sender's taps differ from the checker's: every payload is wrong (frame 0's is all zeros and passes)
    sent, mon = _pair(port, ["--prbs", "--count", "6"], ["--prbs", "--size", "64", "--count", "6", "--prbs-taps", "1,5"])
    assert sent.returncode == 0, sent.stderr
    assert mon.startswith("rc=1\n"), mon
    assert "prbs check: 1 frames (64 bytes) passed, 5 errors" in mon
    assert "PRBS check failed: 5 errors in 6 frames" in mon


@pytest.mark.timeout(60)
def test_monitor_prbs_ctrl_c_after_errors_exits_1(port: int) -> None:
    import signal

    mon = subprocess.Popen([*CLI, "monitor", f"127.0.0.1:{port}", "--server", "--prbs"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sent = subprocess.run([*CLI, "send", f"127.0.0.1:{port}", "--size", "64", "--count", "3", "--timeout", "15"],
                              capture_output=True, text=True, timeout=30)  # plain test frames: not PRBS
        assert sent.returncode == 0, sent.stderr
        seen = []
        assert mon.stdout is not None
        for line in mon.stdout:  # the display prints its row every second; bounded by the test's timeout
            seen.append(line)
            if "prbs errors=3" in line:
                break
        mon.send_signal(signal.SIGINT)
        out, _ = mon.communicate(timeout=20)
        out = "".join(seen) + out
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.communicate()
    assert mon.returncode == 1, out
    assert "PRBS check failed: 3 errors in 3 frames" in out


def test_prbs_option_errors(port: int, capsys: pytest.CaptureFixture[str]) -> None:
    from rogue.cli import main

    ep = f"127.0.0.1:{port}"
    assert main(["send", ep, "--prbs", "--size", "14"]) == 2
    assert "rogue-bridge send: error: bad --size 14 for --prbs: must be a multiple of 4 bytes" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["monitor", ep, "--prbs", "--prbs-width", "48"])
    assert exit_.value.code == 2 and "rogue-bridge monitor: error: bad --prbs-width '48'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["monitor", ep, "--prbs", "--prbs-taps", "1,300"])
    assert exit_.value.code == 2 and "taps are bit indices 0..255" in capsys.readouterr().err
