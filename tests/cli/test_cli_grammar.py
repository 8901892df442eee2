"""One grammar for every subcommand: endpoints, options, defaults in --help, exit codes, the README's reference.

All in this process (``main()`` is what the console script runs), so the many cases cost little.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rogue.cli import build_parser, main

README = Path(__file__).resolve().parents[2] / "README.md"
EP = "127.0.0.1:9"  # nothing is ever opened: every case fails before


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_readme_command_reference_is_generated_from_help() -> None:
    """The README's command section is what the parsers say (regenerate: python -m rogue.cli._helpdoc README.md)."""
    from rogue.cli._helpdoc import BEGIN, END, reference

    text = README.read_text()
    assert BEGIN in text and END in text, "README.md has no generated command reference"
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    assert section == "\n" + reference(build_parser()) + "\n", \
        "README.md's command reference is out of date: run python -m rogue.cli._helpdoc README.md"
    for name, p in _subparsers().items():  # and so every option of every subcommand is in it
        for a in p._actions:
            if a.option_strings and a.help is not argparse.SUPPRESS and a.dest != "verbose_sub":
                assert f"`{max(a.option_strings, key=len)}" in section, (name, a.option_strings)


def test_every_default_is_shown_in_help() -> None:
    missing = []
    for name, p in _subparsers().items():
        for a in p._actions:
            flag = a.nargs == 0  # store_true, count, help: nothing to default
            if not a.option_strings or flag or a.help is argparse.SUPPRESS or a.required:
                continue
            if "default" not in (a.help or ""):
                missing.append(f"{name} {a.option_strings[0]}")
    assert not missing, missing


def test_one_meaning_per_option_name() -> None:
    """--channel selects received frames wherever it is; the channel of sent frames is --tx-channel."""
    seen: dict[str, set[str]] = {}
    for name, p in _subparsers().items():
        for a in p._actions:
            if a.option_strings and a.help is not argparse.SUPPRESS:
                seen.setdefault(max(a.option_strings, key=len), set()).add(a.help or "")
    for opt in ("--channel", "--timeout", "--rate", "--server", "--allow", "--curve-secret", "--curve-client",
                "--curve-server", "--tx-channel", "--heartbeat-interval", "--heartbeat-timeout"):
        assert len(seen[opt]) == 1, (opt, seen[opt])
    assert "only frames of channel C" in next(iter(seen["--channel"]))


def test_endpoints_and_verbose_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    from rogue.cli._common import Endpoint

    parser = build_parser()
    for cmd in ("serve-stream", "serve-memory"):
        a = parser.parse_args([cmd, "*:9000"])
        assert a.endpoint == Endpoint("*", 9000)
    a = parser.parse_args(["read", "-v", EP, "0", "-v"])
    assert (a.verbose, a.verbose_sub) == (0, 2)
    a = parser.parse_args(["-v", "monitor", EP])
    assert (a.verbose, a.verbose_sub) == (1, 0)
    assert capsys.readouterr().err == ""


def test_old_spellings_work_with_a_one_line_note(capsys: pytest.CaptureFixture[str]) -> None:
    from rogue.cli._common import Endpoint
    from rogue.cli._grammar import listen_endpoint

    parser = build_parser()
    a = parser.parse_args(["serve-stream", "--port", "9000", "--addr", "*", "--echo"])
    assert listen_endpoint(a) == Endpoint("*", 9000)
    a = parser.parse_args(["serve-memory", "--port", "9002"])
    assert listen_endpoint(a) == Endpoint("127.0.0.1", 9002)
    a = parser.parse_args(["send", EP, "--size", "8", "--channel", "5"])
    assert a.tx_channel == 5
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all("is deprecated and goes away in the next release" in line for line in err), err
    assert err[0].startswith("rogue-bridge serve-stream: warning: --port") and "HOST:PORT" in err[0]
    assert err[3].startswith("rogue-bridge send: warning: --channel") and "--tx-channel" in err[3]


@pytest.mark.parametrize("argv, words", [
    (["read", EP, "0", "--size", "3"], "rogue-bridge read: error: bad --size 3: not a multiple of the 4-byte word"),
    (["dump", EP, "0", "0"], "rogue-bridge dump: error: bad LENGTH 0: must be at least one byte"),
    (["write", EP, "0", "123456789"], "rogue-bridge write: error: value 0x123456789 does not fit in a 32-bit word"),
    (["send", EP, "--size", "14", "--prbs"], "rogue-bridge send: error: bad --size 14 for --prbs"),
    (["serve-stream"], "rogue-bridge serve-stream: error: the address to listen on is missing"),
    (["serve-stream", EP, "--port", "9000"], "rogue-bridge serve-stream: error: give HOST:PORT"),
    (["monitor", "*:9000"], "rogue-bridge monitor: error: bad address '*:9000': '*' (every interface) is where a "
                            "server listens"),
])
def test_bad_values_exit_2_naming_the_subcommand(argv: list[str], words: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(words) and err.count("\n") == 1 or (err.count("\n") == 2 and "deprecated" in err), err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, words", [
    (["monitor", EP, "--prbs", "--prbs-width", "48"], "rogue-bridge monitor: error: bad --prbs-width '48'"),
    (["serve-stream", EP, "--heartbeat-interval", "0.5"],
     "rogue-bridge serve-stream: error: bad --heartbeat-interval '0.5': must be a whole number of seconds"),
    (["read", EP, "0", "--word-size", "3"], "rogue-bridge read: error: bad --word-size '3': must be 1, 2, 4 or 8"),
    (["record", EP, "x.dat", "--max-size", "8"], "rogue-bridge record: error: bad --max-size '8': a record needs"),
    (["send", EP, "--size", "1Mx"], "rogue-bridge send: error: bad --size '1Mx'"),
    (["send", EP, "--size", "8", "--timeout", "-1"], "rogue-bridge send: error: bad --timeout '-1'"),
    (["read", "-v", EP], "rogue-bridge read: error: the following arguments are required: ADDR"),
])
def test_bad_options_exit_2_naming_the_subcommand(argv: list[str], words: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith(words) and err.count("\n") == 1, err


def test_many_clients_refusal_in_the_options_words() -> None:
    from rogue.cli.memory import _cli_words

    refusal = ("memory server at h:1 does not accept plain clients (it serves many clients: set manyClients alike "
               "on both sides)")
    assert _cli_words(refusal) == ("memory server at h:1 does not accept plain clients (it serves many clients): "
                                   "use --many-clients on both sides or neither")


def test_no_traceback_unless_v(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected failure and a library record with a traceback: one line each, the traceback only with -v."""
    import logging

    import rogue.cli.keygen as keygen

    def boom(args: argparse.Namespace) -> int:
        raise RuntimeError("boom")

    def logs(args: argparse.Namespace) -> int:
        try:
            raise ValueError("deep inside")
        except ValueError:
            logging.getLogger("pyrogue.stream.TcpCore.test").error("slave failed on a received frame", exc_info=True)
        return 0

    monkeypatch.setattr(keygen, "cmd_keygen", boom)
    assert main(["keygen", "d", "n"]) == 1
    assert capsys.readouterr().err == "rogue-bridge keygen: error: RuntimeError: boom (run with -v for the traceback)\n"
    assert main(["keygen", "d", "n", "-v"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last)") and err.endswith("rogue-bridge keygen: error: "
                                                                                "RuntimeError: boom\n")
    monkeypatch.setattr(keygen, "cmd_keygen", logs)
    assert main(["keygen", "d", "n"]) == 0
    assert capsys.readouterr().err == "rogue-bridge keygen: error: slave failed on a received frame\n"
    assert main(["-v", "keygen", "d", "n"]) == 0
    err = capsys.readouterr().err
    assert ":pyrogue.stream.TcpCore.test:ERROR: slave failed on a received frame\nTraceback" in err
    assert "ValueError: deep inside" in err
