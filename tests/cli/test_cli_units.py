"""The CLI's pure layers: argument and address parsing, word formatting, test frames, display."""

from __future__ import annotations

import io
import signal

import pytest

from rogue.cli import build_parser, main
from rogue.cli._common import (
    CliError,
    Endpoint,
    GenSpec,
    StopSignal,
    bridge_error,
    parse_count,
    parse_endpoint,
    parse_gen_spec,
    parse_hex,
    parse_port,
    parse_rate,
    parse_seconds,
    parse_size,
    resolve_host,
)
from rogue.cli._display import Display, RateMeter, fmt_bytes, fmt_count, fmt_rate
from rogue.cli._pattern import Checker, payload
from rogue.cli._words import format_dump, format_read, from_words, to_words

# -- addresses and numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, host, port",
    [
        ("127.0.0.1:8000", "127.0.0.1", 8000),
        ("localhost:1", "localhost", 1),
        (" example.org:65534 ", "example.org", 65534),
        ("[::1]:9000", "::1", 9000),
        ("*:8000", "*", 8000),
    ],
)
def test_parse_endpoint_good(text: str, host: str, port: int) -> None:
    assert parse_endpoint(text) == Endpoint(host, port)


@pytest.mark.parametrize(
    "text, words",
    [
        ("127.0.0.1", "expected HOST:PORT"),
        (":8000", "host is missing"),
        ("host:", "must be a number"),
        ("host:http", "must be a number"),
        ("host:0", "1..65534"),
        ("host:65535", "1..65534"),
        ("host:-1", "1..65534"),
        ("::1:8000", "brackets"),
        ("[::1]8000", "[IPV6]:PORT"),
        ("[::1", "[IPV6]:PORT"),
    ],
)
def test_parse_endpoint_bad(text: str, words: str) -> None:
    with pytest.raises(CliError) as err:
        parse_endpoint(text)
    assert words in str(err.value) and repr(text.strip()) in str(err.value)
    assert "\n" not in str(err.value)


def test_endpoint_str() -> None:
    assert str(Endpoint("::1", 8000)) == "[::1]:8000"
    assert str(Endpoint("10.0.0.1", 8000)) == "10.0.0.1:8000"


def test_parse_port() -> None:
    assert parse_port("8000") == 8000
    with pytest.raises(CliError, match="P and P\\+1"):
        parse_port("65535")


def test_resolve_host() -> None:
    resolve_host("127.0.0.1")
    resolve_host("*")
    with pytest.raises(CliError, match="unknown host 'no-such-host.invalid'"):
        resolve_host("no-such-host.invalid")


@pytest.mark.parametrize(
    "text, value",
    [("0x1000", 0x1000), ("1000", 0x1000), ("DEADbeef", 0xDEADBEEF), ("0xffff_ffff", 0xFFFFFFFF), ("0", 0)],
)
def test_parse_hex(text: str, value: int) -> None:
    assert parse_hex(text) == value


@pytest.mark.parametrize("text", ["", "0x", "xyz", "-1", "+1", "0x1g", "1" * 17])
def test_parse_hex_bad(text: str) -> None:
    with pytest.raises(CliError, match="bad address"):
        parse_hex(text, "address")


@pytest.mark.parametrize(
    "text, value",
    [("1024", 1024), ("0x400", 1024), ("4k", 4096), ("4K", 4096), ("4Ki", 4096), ("4KiB", 4096), ("1M", 1 << 20),
     ("1Mi", 1 << 20), ("2G", 2 << 30), ("4kB", 4000), ("1MB", 10**6), ("1_000", 1000), ("0", 0)],
)
def test_parse_size(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "k", "-4", "1.5", "lots", "0x10k", "4kk", "4 Mi"])
def test_parse_size_bad(text: str) -> None:
    with pytest.raises(CliError, match="bad size") as err:
        parse_size(text)
    assert err.value.code == 2 and repr(text) in str(err.value)


def test_parse_rate_count_seconds() -> None:
    assert parse_rate("100") == 100.0
    assert parse_rate("2k") == 2000.0
    assert parse_rate("50Hz") == 50.0
    assert parse_rate("0") == 0.0
    for bad in ("-1", "nan", "inf", "fast"):
        with pytest.raises(CliError):
            parse_rate(bad)
    assert parse_count("12") == 12
    assert (parse_count("0x10"), parse_count("10k"), parse_count("2M")) == (16, 10_000, 2_000_000)
    for bad in ("-2", "1.5", "4Ki"):
        with pytest.raises(CliError):
            parse_count(bad)
    assert parse_seconds("0.5") == 0.5
    for bad in ("0", "-1", "inf", "soon"):
        with pytest.raises(CliError):
            parse_seconds(bad)


def test_parse_gen_spec() -> None:
    assert parse_gen_spec("1k@100") == GenSpec(1024, 100.0)
    assert parse_gen_spec("1kB@2k") == GenSpec(1000, 2000.0)
    assert parse_gen_spec("64") == GenSpec(64, 0.0)
    for bad in ("1k@", "@100", "x@1", "1@x"):
        with pytest.raises(CliError):
            parse_gen_spec(bad)


def test_bridge_error_texts() -> None:
    ep = Endpoint("127.0.0.1", 8000)
    assert "port in use" in str(bridge_error(OSError("Address already in use"), "listen on", ep))
    assert "not an address of this machine" in str(
        bridge_error(OSError("Cannot assign requested address"), "listen on", Endpoint("10.9.9.9", 8000))
    )
    assert str(bridge_error(ValueError("boom"), "connect to", ep)) == "cannot connect to 127.0.0.1:8000: boom"


# -- argument parser ---------------------------------------------------------------------------


def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    commands = ["demo", "serve-stream", "monitor", "send", "serve-memory", "read", "write", "dump"]
    for cmd in commands:
        with pytest.raises(SystemExit) as exc:
            parser.parse_args([cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: rogue-bridge " + cmd in capsys.readouterr().out


def test_parser_values() -> None:
    parser = build_parser()
    a = parser.parse_args(["write", "h:8000", "1000", "dead", "0xbeef", "--word-size", "2"])
    assert (a.endpoint, a.address, a.values, a.word_size) == (Endpoint("h", 8000), 0x1000, [0xDEAD, 0xBEEF], 2)
    a = parser.parse_args(["serve-stream", "*:9000", "--generate", "4k@50"])
    assert (a.endpoint, a.generate, a.echo) == (Endpoint("*", 9000), GenSpec(4096, 50.0), False)
    a = parser.parse_args(["dump", "h:1", "0", "0x40"])
    assert (a.length, a.word_size, a.timeout) == (64, 4, 5.0)
    a = parser.parse_args(["demo"])
    assert a.seconds == 3.0


@pytest.mark.parametrize(
    "argv, words",
    [
        (["read", "nohostport", "0"], "bad address 'nohostport'"),
        (["serve-stream", "h:9000", "--echo", "--generate", "1@1"], "not allowed with"),
        (["monitor", "h:1", "--channel", "300"], "must be 0..255"),
        (["send", "h:1"], "required: --size"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], words: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


def test_command_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read", "no-such-host.invalid:8000", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rogue-bridge read: error: unknown host") and err.count("\n") == 1


# -- words --------------------------------------------------------------------------------------


def test_words_round_trip() -> None:
    data = from_words([0xDEADBEEF, 0x01020304], 4)
    assert data == bytes.fromhex("efbeadde04030201")
    assert to_words(data, 4) == [0xDEADBEEF, 0x01020304]
    assert to_words(data, 8) == [0x01020304DEADBEEF]
    assert from_words([0xAB, 0xCD], 1) == b"\xab\xcd"
    with pytest.raises(CliError, match="16-bit"):
        from_words([0x10000], 2)
    with pytest.raises(CliError):
        to_words(b"\x00" * 3, 4)


def test_format_read_and_dump() -> None:
    data = bytes(range(20))
    assert format_read(0x1000, data[:8], 4) == ["0x00001000: 0x03020100", "0x00001004: 0x07060504"]
    assert format_read(0x10, data[:2], 2) == ["0x00000010: 0x0100"]
    assert format_dump(0x2000, data, 4) == [
        "0x00002000: 03020100 07060504 0b0a0908 0f0e0d0c",
        "0x00002010: 13121110",
    ]
    assert format_dump(0, data[:16], 8) == ["0x00000000: 0706050403020100 0f0e0d0c0b0a0908"]


# -- test frames --------------------------------------------------------------------------------


def test_payload_pattern() -> None:
    assert payload(0, 0) == b""
    assert payload(5, 3) == bytes([5, 6, 7])
    p = payload(0x01020304, 10)
    assert p[:4] == bytes([4, 3, 2, 1]) and p[4:] == bytes([(i + 4) & 0xFF for i in range(4, 10)])
    big = payload(300, 70000)
    assert len(big) == 70000 and big[1000] == (1000 + 300) & 0xFF


def test_checker_catches_every_kind_of_fault() -> None:
    sizes = [0, 3, 16, 16, 16, 16]
    c = Checker(lambda seq: sizes[seq])
    c.check(payload(0, 0), 0, 0, 0)
    c.check(payload(1, 3), 1, 1, 0)
    assert c.ok and c.frames == 2 and c.bytes == 3
    c.check(payload(2, 15), 2, 2, 0)  # short
    bad = bytearray(payload(3, 16))
    bad[9] ^= 1  # one flipped bit
    c.check(bad, 3, 3, 0)
    c.check(payload(4, 16), 4, 4, 1)  # error field set
    c.check(payload(5, 16), 9, 5, 0)  # wrong channel
    assert c.bad == 4 and not c.ok
    assert "15 bytes, expected 16" in c.problems[0] and "payload differs" in c.problems[1]
    assert "error field 1" in c.problems[2] and "channel 9" in c.problems[3]


# -- display ---------------------------------------------------------------------------------------


def test_formatting() -> None:
    assert fmt_count(999) == "999"
    assert fmt_count(1234) == "1.23k"
    assert fmt_count(2.5e6) == "2.50M"
    assert fmt_rate(1500) == "1.50k/s"
    assert fmt_bytes(512) == "512 B" and fmt_bytes(1.5e6) == "1.50 MB"


def test_rate_meter() -> None:
    now = [0.0]
    m = RateMeter(lambda: now[0])
    now[0] = 2.0
    assert m.sample(100) == 50.0
    now[0] = 3.0
    assert m.sample(400) == 300.0  # over the last second
    now[0] = 3.1
    assert m.sample(450) == 350 / 1.1  # over the last 1.1 s (samples are kept 1 s)
    assert m.average(450) == 450 / 3.1
    now[0] = 5.0
    assert m.sample(450) == 0.0  # nothing in the last second
    m.start(450)
    now[0] = 5.05
    assert m.average(460) == pytest.approx(200.0)  # however short the run: the last line's rate is not 0


def test_display_plain_lines() -> None:
    from rogue.cli._display import Progress, Status

    out = io.StringIO()
    with Display("t", ["", "frames", "MB/s"], live=False, interval=3600, stream=out) as d:
        d.update([["rx", "10", "1.00"]])  # too early for a plain line
        d.update([["rx", "12", "2.00"]], force=True)
        d.print("hello")
        d.update(Status([["rx", "12", "2.00"]], [("errors", "0")], Progress(12, 40, "frames")), force=True)
        d.update(Status(waiting="waiting for the stream server at h:1 to accept", progress=Progress(1.5, 5, "s")),
                 force=True)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("rx: frames=12 MB/s=2.00") and lines[1] == "hello"
    assert lines[2].endswith("rx: frames=12 MB/s=2.00") and lines[3].endswith("errors=0 progress=12/40 frames (30%)")
    assert lines[4].endswith("] waiting for the stream server at h:1 to accept: 1.5 s of 5 s") and len(lines) == 5


def test_display_live_table() -> None:
    out = io.StringIO()
    with Display("title", ["", "frames"], live=True, stream=out) as d:
        d.update([["rx", "42"]])
        d.print("line above")
    text = out.getvalue()
    assert "42" in text and "line above" in text and "title" in text


def test_stop_signal_turns_sigterm_into_event() -> None:
    with StopSignal() as stop:
        assert not stop.stopped
        signal.raise_signal(signal.SIGTERM)
        assert stop.wait(10.0) and stop.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


_PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F41 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C350 0100007F:1F41 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F41 0100007F:C351 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000
   4: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
"""


def test_count_clients_of_a_port_from_the_tcp_table() -> None:
    from rogue.cli._peers import count_clients

    lines = _PROC_NET_TCP.splitlines()
    assert count_clients(lines, 0x1F41) == 1  # one established (the client's own end and TIME_WAIT not counted)
    assert count_clients(lines, 0x1F40) == 0  # listening, nobody connected
    assert count_clients(lines, 0x1F42) is None  # nothing listens there
    assert count_clients(["garbage", "", "  9: zz:zz 00:00 01"], 0x1F41) is None


def test_stream_clients_sees_a_local_servers_client(port: int) -> None:
    import rogue.interfaces.stream as ris
    from rogue.cli._peers import stream_clients

    server = ris.TcpServer("127.0.0.1", port)
    try:
        assert stream_clients("127.0.0.1", port) == 0
        client = ris.TcpClient("127.0.0.1", port)
        try:
            assert client.waitReady(5.0)
            assert stream_clients("127.0.0.1", port) == 1
            assert stream_clients("localhost", port) == 1
        finally:
            client.close()
    finally:
        server.close()
    assert stream_clients("192.0.2.1", port) is None  # TEST-NET-1: not this machine, unknowable


def test_bridge_options_from_security_arguments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zmq

    from rogue.cli._common import CliError
    from rogue.cli._secure import bridge_options, describe

    parser = build_parser()
    public, secret = (k.decode() for k in zmq.curve_keypair())
    # Z85 keys may start with "-": on a command line they go as --option=KEY (argparse's rule).
    args = parser.parse_args(["serve-memory", "h:9000", "--allow", "10.0.0.0/8", "--allow", "::1",
                              f"--curve-secret={secret}", f"--curve-client={public}"])
    opts = bridge_options(args, server=True)
    assert opts == {"allow": ["10.0.0.0/8", "::1"], "serverSecretKey": secret, "allowedClientKeys": [public]}
    assert describe(opts) == " [CURVE, 1 client key; allow 10.0.0.0/8, ::1]"
    args = parser.parse_args(["read", "h:1", "0", f"--curve-secret={secret}", f"--curve-server={public}"])
    assert bridge_options(args, server=False) == {"clientSecretKey": secret, "serverPublicKey": public}
    assert bridge_options(parser.parse_args(["read", "h:1", "0"]), server=False) == {}
    # monitor/send listen with --server: then the server options apply
    args = parser.parse_args(["monitor", "h:1", "--server", f"--curve-secret={secret}", f"--curve-client={public}"])
    assert set(bridge_options(args, server=True)) == {"serverSecretKey", "allowedClientKeys"}
    with pytest.raises(CliError, match="--curve-server is for connecting"):
        bridge_options(parser.parse_args(["monitor", "h:1", "--server", f"--curve-server={public}"]), server=True)
    with pytest.raises(CliError, match="needs both") as err:
        bridge_options(parser.parse_args(["serve-stream", "h:1", f"--curve-secret={secret}"]), server=True)
    assert err.value.code == 2
    with pytest.raises(CliError, match="--curve-client: ") as err:
        bridge_options(parser.parse_args(["serve-stream", "h:1", f"--curve-secret={secret}",
                                          "--curve-client", str(tmp_path / "missing.key")]), server=True)
    assert secret not in str(err.value) and public not in str(err.value)  # keys are never echoed


def test_bridge_options_errors_in_the_flags_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bridges' own check (BridgeSecurity) decides; each of its errors is given in the CLI's words."""
    import zmq

    from rogue.cli._common import EXIT_FAIL, EXIT_USAGE, CliError
    from rogue.cli._secure import bridge_options

    parser = build_parser()
    public, secret = (k.decode() for k in zmq.curve_keypair())
    cases = [
        (["monitor", "h:1", "--allow", "10.0.0.1"], False, "--allow is for a listening server", EXIT_USAGE),
        (["monitor", "h:1", f"--curve-client={public}"], False, "--curve-client is for a listening server", EXIT_USAGE),
        (["read", "h:1", "0", f"--curve-secret={secret}"], False,
         "CURVE on a client needs both --curve-secret (its secret key) and --curve-server (the server's public key)",
         EXIT_USAGE),
        (["serve-stream", "h:1", f"--curve-client={public}"], True,
         "CURVE on a server needs both --curve-secret (its secret key) and --curve-client (who may connect)", EXIT_USAGE),
        (["serve-stream", "h:1", "--allow", "nonsense"], True,
         "--allow: allow-list entry 'nonsense' is not an IP address or network", EXIT_USAGE),
        (["serve-stream", "h:1", "--curve-secret=~~~~", f"--curve-client={public}"], True,
         "--curve-secret: the server secret key is not a CURVE key", EXIT_USAGE),
        (["read", "h:1", "0", f"--curve-secret={secret}", "--curve-server", str(tmp_path / "gone.key")], False,
         "--curve-server: cannot read CURVE certificate", EXIT_FAIL),
    ]
    for argv, server, text, code in cases:
        with pytest.raises(CliError) as err:
            bridge_options(parser.parse_args(argv), server=server)
        assert str(err.value).startswith(text), (argv, str(err.value))
        assert err.value.code == code, argv
        assert secret not in str(err.value) and public not in str(err.value)


def test_display_live_view_fits_80_columns() -> None:
    """The widest views the commands make (demo's labels, big counters, long notes, a wait) at 80 columns."""
    from rich.console import Console

    from rogue.cli._display import Progress, Status

    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    big = ["123.45M", "123.45M/s", "123456.78"]
    views = [
        (["traffic", "count", "per s", "MB/s", "bad"],
         Status([["memory (SRPv3 transactions)", *big, "12345"], ["stream server->client", *big, "0"]],
                progress=Progress(2.5, 3, "s"))),
        (["", "frames", "frames/s", "MB/s"],
         Status([["received", *big], ["prbs ok", *big]],
                [("size min/avg/max", "1048576/1048576/1048576"), ("errors", "12345"),
                 ("channels", "0:123456 1:123456 2:123456 3:123456 ..."), ("connected", "yes"),
                 ("prbs errors", "0")], Progress(123_456_789, 1_000_000_000, "frames"))),
        (["", "frames", "frames/s", "MB/s"],
         Status([["sent", "0", "0/s", "0.00"]], waiting="waiting for the stream server at "
                "[fe80::1234:5678:9abc:def0]:65534 to accept; Ctrl-C to stop", progress=Progress(1234.5, 0, "s"))),
    ]
    for columns, status in views:
        d = Display("monitor: connected to [fe80::1234:5678:9abc:def0]:65534 [CURVE; allow 10.0.0.0/8]; Ctrl-C "
                    "to stop", columns, console=console)
        console.print(d.render(status))
    lines = out.getvalue().splitlines()
    assert lines and max(len(ln) for ln in lines) <= 80 and not any("…" in ln for ln in lines), "\n".join(lines)
    assert "memory (SRPv3 transactions)" in out.getvalue() and "123456.78" in out.getvalue()


def test_cli_masters_keep_rogues_stop_method() -> None:
    # Rogue's Master._stop() is a method: the CLI's masters keep their stop events under another name.
    import threading

    from rogue.cli._graph import Generator
    from rogue.cli.demo import MemoryTester
    from rogue.cli._filegraph import Pacer

    for obj in (Generator("t", lambda seq: 8), MemoryTester(), Pacer(0.0, threading.Event())):
        obj._stop()  # callable, not an Event
