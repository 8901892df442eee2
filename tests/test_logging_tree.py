"""rogue.Logging on the standard logging tree: filters reach every logger under the prefix (issue 13)."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr

import pytest

import rogue
from rogue import Logging


def test_filter_reaches_loggers_the_library_did_not_create() -> None:
    before = logging.getLogger("pyrogue.stream.TcpCore.127.0.0.1.Server.8000")  # the application's, created first
    Logging.setFilter("pyrogue.stream.TcpCore", Logging.Debug)
    after = logging.getLogger("pyrogue.stream.TcpCore.127.0.0.1.Client.8000")  # created after the filter
    assert before.isEnabledFor(logging.DEBUG)
    assert after.isEnabledFor(logging.DEBUG)
    other = logging.getLogger("pyrogue.memory.app.unfiltered")
    assert other.getEffectiveLevel() == logging.getLogger().getEffectiveLevel()  # untouched: no filter matches


def test_filter_prefix_that_is_not_a_logger_boundary() -> None:
    early = logging.getLogger("pyrogue.app.TcpCoreX.early")
    Logging.setFilter("pyrogue.app.Tcp", Logging.Info)  # a string prefix, as in Rogue: matches TcpCoreX too
    late = logging.getLogger("pyrogue.app.TcpCoreY.late")
    sibling = logging.getLogger("pyrogue.app.Other")
    assert early.isEnabledFor(logging.INFO) and not early.isEnabledFor(logging.DEBUG)
    assert late.isEnabledFor(logging.INFO) and not late.isEnabledFor(logging.DEBUG)
    assert sibling.getEffectiveLevel() == logging.getLogger().getEffectiveLevel()


def test_lowest_matching_filter_or_global_wins_for_application_loggers() -> None:
    app = logging.getLogger("pyrogue.appx.b.c")
    Logging.setFilter("pyrogue.appx", Logging.Info)
    Logging.setFilter("pyrogue.appx.b", Logging.Warning)  # narrower but higher: Info still wins
    assert app.getEffectiveLevel() == Logging.Info
    Logging.setLevel(Logging.Debug)  # the global level takes part in the minimum
    assert app.getEffectiveLevel() == Logging.Debug
    assert logging.getLogger("pyrogue.appx.b.new").getEffectiveLevel() == Logging.Debug
    Logging.setLevel(Logging.Error)
    assert app.getEffectiveLevel() == Logging.Info


def test_reset_gives_application_loggers_back_their_inherited_level() -> None:
    app = logging.getLogger("pyrogue.appr.x")
    odd = logging.getLogger("pyrogue.apprzz")
    Logging.setFilter("pyrogue.appr", Logging.Debug)
    assert app.isEnabledFor(logging.DEBUG) and odd.isEnabledFor(logging.DEBUG)
    Logging.reset()
    root_level = logging.getLogger().getEffectiveLevel()
    assert app.getEffectiveLevel() == root_level and odd.getEffectiveLevel() == root_level
    assert logging.getLogger("pyrogue.appr").level == logging.NOTSET


def test_level_changes_clear_the_logger_caches_once_not_once_per_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every bridge has a logger of its own (its address and port in the name): a process that made thousands
    # pays, on each setLevel/setFilter/reset, for each logger whose level changes, a clearing of every logger's
    # cache if it is done with Logger.setLevel (quadratic: 0.6 s for 3 000 loggers, and the test suite's resets
    # cost 100 s of teardown); once is enough.
    loggers = [Logging.create(f"tree.cache.{i}") for i in range(200)]
    clears: list[int] = []
    real = logging.Manager._clear_cache

    def counting(self: logging.Manager) -> None:
        clears.append(1)
        real(self)

    monkeypatch.setattr(logging.Manager, "_clear_cache", counting)
    assert not loggers[7].isEnabledFor(logging.DEBUG)
    Logging.setLevel(Logging.Debug)
    assert loggers[7].isEnabledFor(logging.DEBUG)  # the cache of each was cleared
    assert len(clears) <= 2, len(clears)
    clears.clear()
    Logging.reset()
    assert not loggers[7].isEnabledFor(logging.DEBUG) and loggers[7].isEnabledFor(logging.ERROR)
    assert len(clears) <= 2, len(clears)
    clears.clear()
    Logging.reset()  # nothing changes: nothing to clear
    assert clears == []


def test_normalize_name_keeps_pyrogue_itself() -> None:
    assert Logging.normalizeName("pyrogue") == "pyrogue"
    assert Logging.normalizeName("pyrogue.x") == "pyrogue.x"
    assert Logging.normalizeName("udp") == "pyrogue.udp"


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_set_emit_stdout_false_silences_the_library_only() -> None:
    # In a fresh process: pytest's own log capture would count as the application's handler here.
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import logging, sys
        import rogue
        log = rogue.Logging.create("test.emit")
        assert rogue.Logging.emitStdout() is True
        log.error("printed by the library")
        rogue.Logging.setEmitStdout(False)
        assert rogue.Logging.emitStdout() is False
        log.error("not printed")
        records = []
        class H(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())
        logging.getLogger().addHandler(H())
        log.error("to the application")
        rogue.Logging.setEmitStdout(True)
        log.error("again to the application")  # a handler is configured: the library steps aside
        print(records)
    """)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "printed by the library" in proc.stderr
    assert "not printed" not in proc.stderr and "to the application" not in proc.stderr
    assert proc.stdout.strip() == "['to the application', 'again to the application']"


def test_forward_python_false_keeps_library_records_from_application_handlers() -> None:
    assert Logging.forwardPython() is True  # the library's loggers are Python loggers from the start
    log = Logging.create("test.forward")
    app_log = logging.getLogger("pyrogue.test.forwardapp")  # the application's own logger
    handler = _ListHandler()
    logging.getLogger("pyrogue").addHandler(handler)
    try:
        Logging.setForwardPython(False)
        assert Logging.forwardPython() is False
        err = io.StringIO()
        with redirect_stderr(err):
            log.error("library only")
            app_log.error("application record")
        assert "library only" in err.getvalue()  # the library's own printing (emitStdout)
        Logging.setForwardPython(True)
        with redirect_stderr(io.StringIO()):
            log.error("forwarded")
    finally:
        logging.getLogger("pyrogue").removeHandler(handler)
    assert [r.getMessage() for r in handler.records] == ["application record", "forwarded"]


def test_name_of_a_logger() -> None:
    log = Logging.create("stream.TcpCore.x")
    assert Logging.name(log) == "pyrogue.stream.TcpCore.x"
    assert rogue.Logging.name is Logging.name
