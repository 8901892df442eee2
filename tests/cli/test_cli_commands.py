"""Every ``rogue-bridge`` subcommand, run as a subprocess on loopback."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

import rogue.interfaces.memory as rim
from conftest import PipeLines, free_port_pair

CLI = [sys.executable, "-m", "rogue.cli"]
HOST = "127.0.0.1"


def run(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str]:
    """Run one CLI command to completion."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


class Server:
    """A CLI server subprocess, started and waited for until it says it is serving."""

    def __init__(self, *args: str, serving: bool = True) -> None:
        """Start ``rogue-bridge *args``; with ``serving``, wait for its first line, which must say it serves."""
        self.proc = subprocess.Popen(
            [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        assert self.proc.stdout is not None
        self.lines = PipeLines(self.proc.stdout)
        if serving:
            self.first = self._readline(10.0)
            assert self.first.startswith("serving"), self.first + self.proc.stderr.read() if self.proc.stderr else ""

    def _readline(self, timeout: float) -> str:
        line = self.lines.line(timeout)
        if line is None:
            raise AssertionError(f"no output from {self.proc.args} within {timeout} s")
        return line

    def interrupt(self, sig: int = signal.SIGINT) -> tuple[int, str, str]:
        """Stop it as Ctrl-C (or SIGTERM) would; its exit code and output (what was not read as lines yet)."""
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, self.lines.rest() + out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers a test starts; every one is killed at the end, whatever happened."""
    started: list[Server] = []
    try:
        yield started
    finally:
        for s in started:
            s.kill()


def one_error_line(p: subprocess.CompletedProcess[str]) -> str:
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


@pytest.mark.timeout(30)
def test_demo_passes() -> None:
    p = run("demo", "--seconds", "1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo passed: 3 of 3 checks OK" in p.stdout
    assert p.stdout.count(": OK (") == 3 and "every byte verified" in p.stdout
    assert p.stderr == ""


@pytest.mark.timeout(30)
def test_serve_memory_srp_read_write_dump(servers: list[Server]) -> None:
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    srv = Server("serve-memory", ep, "--srp")
    servers.append(srv)
    assert "SrpV3" in srv.first

    p = run("write", ep, "0x1000", "deadbeef", "0x12345678", "1", "--verify")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "wrote 12 bytes at 0x00001000 (verified)"

    p = run("read", ep, "1004")
    assert (p.returncode, p.stdout) == (0, "0x00001004: 0x12345678\n")
    p = run("read", ep, "0x1000", "--size", "8", "--word-size", "2")
    assert p.stdout.split() == ["0x00001000:", "0xbeef", "0x00001002:", "0xdead",
                                "0x00001004:", "0x5678", "0x00001006:", "0x1234"]

    p = run("dump", ep, "0xff8", "24")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "0x00000ff8: 00000000 00000000 deadbeef 12345678",
        "0x00001008: 00000001 00000000",
    ]

    # A transaction error: SrpV3's own text, one line, non-zero exit.
    p = run("read", ep, "0x1002")
    assert p.returncode == 1
    assert one_error_line(p) == (
        "rogue-bridge read: error: read of 4 bytes at 0x1002 failed: Transaction address 0x1002 is not aligned to min size 4"
    )

    code, out, err = srv.interrupt(signal.SIGINT)
    assert code == 130, err  # Ctrl-C, after a clean stop and its summary
    assert "transactions" in out and "stopped" in out and "Traceback" not in err


@pytest.mark.timeout(30)
def test_serve_memory_plain_and_port_in_use(servers: list[Server]) -> None:
    port = free_port_pair()
    srv = Server("serve-memory", f"{HOST}:{port}")
    servers.append(srv)
    p = run("write", f"{HOST}:{port}", "20", "a5a5a5a5")
    assert p.returncode == 0, p.stderr
    assert run("read", f"{HOST}:{port}", "20").stdout == "0x00000020: 0xa5a5a5a5\n"

    p = run("serve-memory", f"{HOST}:{port}")
    assert p.returncode == 1
    assert "port in use" in one_error_line(p)

    # One client per memory port pair: while another client holds it, read says so in one line.
    holder = rim.TcpClient(HOST, port)
    try:
        assert holder.waitReady(5.0)
        p = run("read", f"{HOST}:{port}", "20")
        assert p.returncode == 1
        assert "refused the connection" in one_error_line(p) and "already serves another client" in p.stderr
    finally:
        holder.stop()

    code, out, _ = srv.interrupt(signal.SIGTERM)
    assert code == 143 and "2 transactions" in out  # 128 + SIGTERM, after a clean stop


@pytest.mark.timeout(30)
def test_serve_stream_echo_send_and_monitor(servers: list[Server]) -> None:
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    srv = Server("serve-stream", ep, "--echo")
    servers.append(srv)

    p = run("send", ep, "--size", "3000", "--count", "40", "--tx-channel", "5", "--expect-echo")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"send {ep}: sent 40 frames (120000 bytes) in " in p.stdout and ", received 40 back" in p.stdout
    assert "all 40 frames and 120000 bytes came back intact" in p.stdout

    code, out, err = srv.interrupt()
    assert code == 130, err
    assert "received 40 frames (120000 bytes), echoed 40" in out

    # monitor as the server end, send connecting to it: the monitor counts exactly what was sent.
    mon = subprocess.Popen(
        [*CLI, "monitor", ep, "--server", "--count", "25", "--seconds", "15", "--hex", "6"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        p = run("send", ep, "--size", "100", "--count", "25", "--tx-channel", "7", "--timeout", "10")
        assert p.returncode == 0, p.stderr
        out, err = mon.communicate(timeout=15)
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.communicate()
    assert mon.returncode == 0, err
    assert f"monitor {ep}: 25 frames, 2500 bytes, 0 with errors, channels 7:25, sizes 100/100/100" in out
    # --hex 6: the frame number (little-endian) then the pattern.
    assert "frame size=100 ch=7 err=0 flags=0x0000: 00 00 00 00 04 05" in out
    assert out.count("frame size=100") == 25


@pytest.mark.timeout(30)
def test_serve_stream_generate_and_monitor_channel(servers: list[Server]) -> None:
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    srv = Server("serve-stream", ep, "--generate", "256@400", "--tx-channel", "3")
    servers.append(srv)
    p = run("monitor", ep, "--count", "20", "--seconds", "10", "--channel", "3")
    assert p.returncode == 0, p.stderr
    assert "20 frames, 5120 bytes, 0 with errors, channels 3:20" in p.stdout
    # Frames of another channel are filtered out, so none arrive within the time.
    p = run("monitor", ep, "--count", "1", "--seconds", "0.5", "--channel", "4")
    assert p.returncode == 1
    assert one_error_line(p) == f"rogue-bridge monitor: error: received 0 of 1 frames from {ep} within 0.5 s"
    # Without --count/--seconds the monitor runs until Ctrl-C, then exits 130 with its summary.
    mon = Server("monitor", ep, serving=False)
    servers.append(mon)
    assert "frames=" in mon._readline(10.0)  # its first status line: it is running
    code, out, err = mon.interrupt()
    assert code == 130, err
    assert f"monitor {ep}: " in out and "channels 3:" in out
    code, out, _ = srv.interrupt()
    assert code == 130 and "generated" in out


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "args, code, words",
    [
        (["read", "127.0.0.1", "0"], 2, "bad address '127.0.0.1': expected HOST:PORT"),
        (["send", "127.0.0.1:99999", "--size", "4"], 2, "the port must be 1..65534"),
        (["dump", "no-such-host.invalid:8000", "0", "16"], 1, "unknown host 'no-such-host.invalid'"),
        (["write", "127.0.0.1:8000", "zz", "1"], 2, "bad address 'zz'"),
        (["serve-stream", "127.0.0.1:8000", "--generate", "big@fast"], 2, "bad --generate size"),
    ],
)
def test_usage_errors(args: list[str], code: int, words: str) -> None:
    p = run(*args)
    assert p.returncode == code
    line = one_error_line(p)
    assert line.startswith("rogue-bridge") and words in line
    assert p.stdout == ""


@pytest.mark.timeout(30)
def test_dead_port_errors() -> None:
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    p = run("read", ep, "0", "--timeout", "0.3")
    assert p.returncode == 1 and p.stdout == ""  # stdout is data: nothing else goes there
    assert one_error_line(p) == f"rogue-bridge read: error: nothing answering at {ep}: no memory server replied within 0.3 s"
    p = run("send", ep, "--size", "8", "--timeout", "0.3")
    assert p.returncode == 1
    assert one_error_line(p) == f"rogue-bridge send: error: nothing answering at {ep}: no stream server accepted within 0.3 s"
    p = run("monitor", ep, "--seconds", "0.3")
    assert p.returncode == 1
    assert one_error_line(p) == f"rogue-bridge monitor: error: nothing answering at {ep}: no stream server accepted within 0.3 s"


def test_console_script_and_module_help() -> None:
    p = run("--help")
    assert p.returncode == 0 and "demo" in p.stdout and "serve-memory" in p.stdout
    exe = shutil.which("rogue-bridge")
    if exe is None:
        pytest.skip("rogue-bridge is not on PATH (package not installed)")
    p = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and p.stdout.startswith("rogue-bridge ")


def test_monitor_warns_when_the_server_already_has_a_client(port: int) -> None:
    """A monitor joining a served stream server says it takes frames from the real consumer."""
    import rogue.interfaces.stream as ris

    ep = f"{HOST}:{port}"
    server = ris.TcpServer(HOST, port)
    try:
        p = run("monitor", ep, "--seconds", "0.3")
        assert "already has" not in p.stderr, p.stderr  # the only client: nothing to say about others
        consumer = ris.TcpClient(HOST, port)
        try:
            assert consumer.waitReady(5.0)
            p = run("monitor", ep, "--seconds", "0.3")
            assert p.returncode == 0, p.stderr
            assert "already has 1 client" in p.stderr and "round-robin" in p.stderr, p.stderr
        finally:
            consumer.close()
    finally:
        server.close()


@pytest.fixture
def keys(tmp_path):  # type: ignore[no-untyped-def]
    """Certificates written by ``rogue-bridge keygen``: server, client (listed) and other (not listed)."""
    for name in ("server", "client", "other"):
        p = run("keygen", str(tmp_path), name)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("public key: ") and len(p.stdout.split()[2]) == 40
    return tmp_path


def test_keygen_never_overwrites(keys) -> None:  # type: ignore[no-untyped-def]
    before = (keys / "server.key_secret").read_bytes()
    p = run("keygen", str(keys), "server")
    assert p.returncode == 1 and "exists already" in one_error_line(p)
    assert (keys / "server.key_secret").read_bytes() == before
    assert (keys / "server.key_secret").stat().st_mode & 0o077 == 0  # the secret is its owner's only


@pytest.mark.timeout(40)
def test_serve_memory_curve_admits_only_listed_clients(servers: list[Server], keys) -> None:  # type: ignore[no-untyped-def]
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    srv = Server("serve-memory", ep, "--curve-secret", str(keys / "server.key_secret"),
                 "--curve-client", str(keys / "client.key"))
    servers.append(srv)
    assert "[CURVE, 1 client key]" in srv.first
    listed = ("--curve-secret", str(keys / "client.key_secret"), "--curve-server", str(keys / "server.key"))
    p = run("write", ep, "0x40", "cafef00d", "--verify", *listed)
    assert p.returncode == 0, p.stderr

    p = run("write", ep, "0x40", "0bad0bad")  # no keys
    assert p.returncode == 1 and "refused the connection" in one_error_line(p)
    unlisted = ("--curve-secret", str(keys / "other.key_secret"), "--curve-server", str(keys / "server.key"))
    p = run("write", ep, "0x40", "0bad0bad", *unlisted)
    assert p.returncode == 1 and "is not allowed" in one_error_line(p)
    assert run("read", ep, "0x40", *listed).stdout == "0x00000040: 0xcafef00d\n"  # unchanged

    p = run("read", ep, "0x40", "--curve-secret", "not-a-key", "--curve-server", str(keys / "server.key"))
    assert p.returncode == 2 and one_error_line(p) == (
        "rogue-bridge read: error: --curve-secret: the client secret key is not a CURVE key "
        "(expected 40 Z85 characters, 32 bytes, or a certificate file)")
    p = run("read", ep, "0x40", "--curve-secret", str(keys / "client.key_secret"))
    assert p.returncode == 2 and "needs both" in one_error_line(p)
    code, out, err = srv.interrupt()
    assert code == 130 and "Traceback" not in err


@pytest.mark.timeout(30)
def test_serve_memory_allow_list_refuses_other_addresses(servers: list[Server]) -> None:
    port = free_port_pair()
    srv = Server("serve-memory", f"{HOST}:{port}", "--allow", "10.9.8.0/24")
    servers.append(srv)
    assert "[allow 10.9.8.0/24]" in srv.first
    p = run("read", f"{HOST}:{port}", "0")
    assert p.returncode == 1 and "is not allowed" in one_error_line(p)
    p = run("serve-memory", f"{HOST}:{free_port_pair()}", "--allow", "10.9.8.0/33")
    assert p.returncode == 2 and one_error_line(p) == (
        "rogue-bridge serve-memory: error: --allow: allow-list entry '10.9.8.0/33' is not an IP address or network")


@pytest.mark.timeout(30)
def test_serve_memory_shared_and_many_clients(servers: list[Server]) -> None:
    port = free_port_pair()
    srv = Server("serve-memory", f"{HOST}:{port}", "--shared")
    servers.append(srv)
    assert "[shared: responses round-robin]" in srv.first
    holder = rim.TcpClient(HOST, port)
    try:
        assert holder.waitReady(5.0)
        # A second client is not refused; its responses go round-robin (to it or to the holder),
        # as with C++ Rogue, so its own acknowledgement may go to the holder (then it times out).
        p = run("write", f"{HOST}:{port}", "8", "1234", "--timeout", "3")
        assert "refused" not in p.stderr and "Traceback" not in p.stderr, p.stderr
    finally:
        holder.stop()
    # Either way the server served the second client's write: read back alone, it is there.
    p2 = run("read", f"{HOST}:{port}", "8")
    assert p2.returncode == 0 and "0x00001234" in p2.stdout, (p.stderr, p2.stdout, p2.stderr)

    port = free_port_pair()
    srv = Server("serve-memory", f"{HOST}:{port}", "--many-clients")
    servers.append(srv)
    assert "[many clients]" in srv.first
    holder = rim.TcpClient(HOST, port, manyClients=True)
    try:
        assert holder.waitReady(5.0)
        p = run("write", f"{HOST}:{port}", "8", "5678", "--verify", "--many-clients")
        assert p.returncode == 0 and "(verified)" in p.stdout, p.stderr
        p = run("read", f"{HOST}:{port}", "8", "--timeout", "0.5")  # a plain client cannot use it
        assert p.returncode == 1 and "does not accept plain clients" in one_error_line(p)
        assert "use --many-clients on both sides or neither" in p.stderr and "manyClients" not in p.stderr
    finally:
        holder.stop()
    p = run("serve-memory", f"{HOST}:{port}", "--shared", "--many-clients")
    assert p.returncode == 2 and "not allowed with argument" in one_error_line(p)


@pytest.mark.timeout(30)
def test_serve_stream_curve_echo(servers: list[Server], keys) -> None:  # type: ignore[no-untyped-def]
    port = free_port_pair()
    ep = f"{HOST}:{port}"
    srv = Server("serve-stream", ep, "--echo", "--curve-secret", str(keys / "server.key_secret"),
                 "--curve-client", str(keys))  # a directory: every *.key in it is listed
    servers.append(srv)
    assert "[CURVE, 3 client keys]" in srv.first
    p = run("send", ep, "--size", "1000", "--count", "20", "--expect-echo",
            "--curve-secret", str(keys / "client.key_secret"), "--curve-server", str(keys / "server.key"))
    assert p.returncode == 0, p.stderr
    assert "echo check: all 20 frames and 20000 bytes came back intact" in p.stdout
    p = run("send", ep, "--size", "10", "--timeout", "1")  # without keys: no stream server accepts it
    assert p.returncode == 1 and "nothing answering" in one_error_line(p)
    p = run("send", ep, "--size", "10", "--allow", "127.0.0.1")
    assert p.returncode == 2 and "is for a listening server" in one_error_line(p)
