"""Smoke test of ``python -m benchmarks --quick``: it runs and writes the expected JSON (no speed asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import pyrogue_present

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(90)
def test_quick_run_writes_the_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("ROGUE_PEER_PYTHON", None)  # rogue-bridge only: C++ Rogue's runs would triple the registers part
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=80)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Targets" in proc.stdout
    data = json.loads(out.read_text())
    assert {"machine", "quick", "stream", "memory", "targets", "load_before", "load_after", "registers"} <= data.keys()
    assert data["quick"] is True
    assert {"cpu_count", "python", "pyzmq", "libzmq", "numpy"} <= data["machine"].keys()
    assert {(r["impl"], r["size"]) for r in data["stream"]} == {
        (impl, size) for impl in ("raw-copy", "raw-zerocopy", "bridge", "bridge-fill") for size in (64, 4096, 65536, 1 << 20)}
    for r in data["stream"]:
        assert {"frames_per_s", "MB_per_s", "ratio", "tx_cpu_s_per_GB", "rx_cpu_s_per_GB",
                "tx_peak_rss_MiB", "rx_peak_rss_MiB"} <= r.keys()
    assert {r["impl"] for r in data["memory"]} == {"raw", "bridge", "srp"}
    assert {r["in_flight"] for r in data["memory"]} == {1, 64, 1000}
    for r in data["memory"]:
        assert {"tx_per_s", "ratio", "client_cpu_us_per_tx", "server_cpu_us_per_tx",
                "client_peak_rss_MiB", "server_peak_rss_MiB"} <= r.keys()
    # Issue 16's targets: the stream at each of its 4 sizes, memory reads at 1, 64 and 1000 in flight.
    assert [t["goal"] for t in data["targets"]] == [0.90] * 4 + [0.90, 1.0, 0.95]
    assert all({"target", "measured", "goal", "met"} <= t.keys() for t in data["targets"])
    prbs = data["prbs"]
    assert {(r["mode"], r["width"], r["size"]) for r in prbs["rows"]} == {
        (mode, width, size) for mode in ("generate", "check", "generate+check")
        for width, size in ((32, 16), (32, 4096), (32, 1 << 20), (128, 1 << 20), (512, 1 << 20))}
    assert all(r["frames_per_s"] > 0 and r["rx_errors"] == 0 for r in prbs["rows"])
    assert len(prbs["ceilings"]) == 2 and len(prbs["targets"]) == 4
    assert "PRBS targets" in proc.stdout
    # Each file I/O step says so as it starts (the section ran a minute and more without a word).
    steps = [ln for ln in proc.stderr.splitlines() if ln.startswith("fileio: [")]
    assert steps and steps[0].startswith("fileio: [1/") and "recording" in steps[0], proc.stderr[-2000:]
    total = steps[0].split("/")[1].split("]")[0]
    assert steps[-1].startswith(f"fileio: [{total}/{total}] ") and len(steps) == int(total)
    # pyrogue's register access (issue 24), rogue-bridge only here; skipped with the reason where pyrogue is absent.
    reg = data["registers"]
    if not pyrogue_present():
        assert list(reg) == ["skipped"] and reg["skipped"].startswith("pyrogue not present at ")
        assert f"Registers: skipped ({reg['skipped']})" in proc.stdout
        return
    assert {(r["section"], r["case"]) for r in reg["rows"]} == {
        (section, f"{var} {op}") for var in ("u32", "list16") for section, ops in (
            ("local", ("get(read=True)", "set(write=True)")), ("bridge", ("get(read=True)", "set(write=True)")),
            ("engine", ("_set", "_get"))) for op in ops}
    assert all(r["rogue_bridge_per_s"] > 0 and r["cpp_rogue_per_s"] is None for r in reg["rows"])
    assert reg["targets"] == [] and "ROGUE_PEER_PYTHON" in reg["note"] and "### Registers" in proc.stdout
    assert reg["pairs"]["rogue-bridge"]["server_core"] == "rogue-bridge" and reg["repetitions"] == 1


@pytest.mark.timeout(60)
def test_memory_server_cpu_runs(tmp_path: Path) -> None:
    """``python -m benchmarks.cpu_memory``: every server answers, and a row with its CPU per read comes out."""
    out = tmp_path / "cpu.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("ROGUE_PEER_PYTHON", None)
    proc = subprocess.run([sys.executable, "-m", "benchmarks.cpu_memory", "--rounds", "2", "--burst", "20",
                           "--json", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=50)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r["server"]: r for r in json.loads(out.read_text())}
    assert rows.keys() == {"rogue-bridge", "pyzmq loop"}
    assert rows["rogue-bridge"]["server_cpu_us_per_read"] > 0 and "cpu_vs_pyzmq loop" in rows["rogue-bridge"]
    assert "| rogue-bridge |" in proc.stdout


@pytest.mark.timeout(60)
def test_registers_pyzmq_loop_server_is_a_memory() -> None:
    """``registers.py --core pyzmq --serve PORT`` (the bridge's ceiling row) is a real memory to a ``rim.TcpClient``:
    it answers the readiness probe, keeps what is written and reads it back, at any address of its image."""
    import rogue.interfaces.memory as rim

    from conftest import PipeLines, free_port_pair

    port = free_port_pair()
    with subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "registers.py"), "--core", "pyzmq", "--serve",
                           str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        client = None
        try:
            assert proc.stdout is not None
            assert PipeLines(proc.stdout).line(30) == "ready pyzmq loop\n"
            client = rim.TcpClient("127.0.0.1", port)
            assert client.waitReady(10.0)
            mst = rim.Master()
            mst._setSlave(client)
            mst._setTimeout(5_000_000)
            data = bytearray(range(1, 65))
            for addr in (0x0, 0x1000, 0xFFC0):
                mst._clearError()
                mst._reqTransaction(addr, data, 0, 0, rim.Write)
                mst._waitTransaction(0)
                back = bytearray(64)
                mst._reqTransaction(addr, back, 0, 0, rim.Read)
                mst._waitTransaction(0)
                assert mst._getError() == "" and back == data
                data.reverse()
        finally:
            if client is not None:
                client._stop()
            assert proc.stdin is not None
            proc.stdin.close()  # end of input: the loop stops and the process exits
            proc.wait(20)
    assert proc.returncode == 0


def test_registers_client_core_is_never_the_pyzmq_loop() -> None:
    """``--core pyzmq`` names a server only: a client asked to be one is refused with a clear message."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "registers.py"), "--core", "pyzmq"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "--core pyzmq is a server only" in proc.stderr
