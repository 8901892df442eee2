"""rogue.Logging: levels, thresholds by prefix, names, standard handlers, no basicConfig."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

import rogue
from rogue import Logging


def test_level_constants() -> None:
    assert (Logging.Critical, Logging.Error, Logging.Thread, Logging.Warning, Logging.Info, Logging.Debug) == (
        50,
        40,
        35,
        30,
        20,
        10,
    )
    assert logging.getLevelName(35) == "THREAD"


@pytest.mark.parametrize(
    ("name", "normal"),
    [("x", "pyrogue.x"), ("pyrogue.x", "pyrogue.x"), ("stream.TcpCore", "pyrogue.stream.TcpCore"), ("", "pyrogue.")],
)
def test_normalize_name(name: str, normal: str) -> None:
    assert Logging.normalizeName(name) == normal


def test_create_gives_standard_logger_at_error() -> None:
    log = Logging.create("test.log.default")
    assert isinstance(log, logging.Logger)
    assert log.name == "pyrogue.test.log.default"
    assert log is logging.getLogger("pyrogue.test.log.default")
    assert log.isEnabledFor(Logging.Error) and not log.isEnabledFor(Logging.Thread)


def test_set_level_applies_to_existing_and_future() -> None:
    old = Logging.create("test.lvl.old")
    Logging.setLevel(Logging.Info)
    new = Logging.create("test.lvl.new")
    for log in (old, new):
        assert log.isEnabledFor(Logging.Info) and not log.isEnabledFor(Logging.Debug)
    Logging.setLevel(Logging.Critical)
    assert not old.isEnabledFor(Logging.Error)


def test_set_filter_by_prefix_existing_and_future() -> None:
    before = Logging.create("stream.TcpCore.127.0.0.1.Server.8000")
    other = Logging.create("memory.TcpServer.*.8000")
    Logging.setFilter("pyrogue.stream.TcpCore", Logging.Debug)
    after = Logging.create("stream.TcpCore.127.0.0.1.Client.8000")
    assert before.isEnabledFor(Logging.Debug) and after.isEnabledFor(Logging.Debug)
    assert not other.isEnabledFor(Logging.Warning)
    Logging.setFilter("memory", Logging.Thread)  # names are normalized: "pyrogue.memory"
    assert other.isEnabledFor(Logging.Thread) and not other.isEnabledFor(Logging.Warning)


def test_lowest_matching_threshold_wins() -> None:
    Logging.setFilter("pyrogue.a", Logging.Info)
    Logging.setFilter("pyrogue.a.b", Logging.Warning)  # narrower but higher: Info still wins
    ab = Logging.create("a.b.c")
    assert Logging.levelFor("pyrogue.a.b.c") == Logging.Info
    assert ab.isEnabledFor(Logging.Info)
    Logging.setFilter("pyrogue.a.b", Logging.Debug)  # lower: wins
    assert ab.isEnabledFor(Logging.Debug)
    Logging.setLevel(Logging.Critical)  # a raised global level does not override a lower filter
    assert ab.isEnabledFor(Logging.Debug)
    z = Logging.create("z")
    Logging.setLevel(Logging.Debug)  # the global level takes part in the minimum too
    assert z.isEnabledFor(Logging.Debug) and Logging.levelFor("pyrogue.a") == Logging.Debug


def test_thread_level_records_pass_above_threshold() -> None:
    log = Logging.create("test.thread")
    Logging.setFilter("pyrogue.test.thread", Logging.Thread)
    assert log.isEnabledFor(Logging.Thread) and not log.isEnabledFor(Logging.Warning)


def test_standard_handler_receives_records() -> None:
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = ListHandler()
    parent = logging.getLogger("pyrogue")
    parent.addHandler(handler)
    try:
        log = Logging.create("test.handler")
        log.debug("filtered out")
        log.error("shown %d", 7)
        Logging.setFilter("test.handler", Logging.Debug)
        log.debug("now shown")
    finally:
        parent.removeHandler(handler)
    assert [(r.name, r.levelname, r.getMessage()) for r in records] == [
        ("pyrogue.test.handler", "ERROR", "shown 7"),
        ("pyrogue.test.handler", "DEBUG", "now shown"),
    ]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=30, check=False
    )


def test_library_never_calls_basic_config_and_prints_without_config() -> None:
    proc = _run(
        """
        import logging

        def forbidden(*a, **k):
            raise AssertionError("basicConfig called")

        logging.basicConfig = forbidden
        import rogue
        import rogue.interfaces.stream as ris

        rogue.Logging.setFilter("pyrogue.mine", rogue.Logging.Debug)
        log = rogue.Logging.create("mine")
        log.debug("debug line")
        rogue.Logging.create("other").info("hidden line")
        slave = ris.Slave()
        slave.setDebug(2, "dbg")
        m = ris.Master()
        m >> slave
        f = m._reqFrame(2, True)
        f.write(b"\\x0a\\x0b")
        m._sendFrame(f)
        assert logging.getLogger().handlers == [], logging.getLogger().handlers
        print("ok")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert "pyrogue.mine:DEBUG: debug line" in proc.stderr
    assert "hidden line" not in proc.stderr
    assert "Got Size: 2, Error: 0, Data: 0x0a 0x0b" in proc.stderr


def test_configured_root_handler_gets_records_once() -> None:
    proc = _run(
        """
        import logging, sys
        logging.basicConfig(stream=sys.stdout, format="ROOT %(name)s %(message)s")
        import rogue
        rogue.Logging.create("once").error("hello")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["ROOT pyrogue.once hello"]
    assert "hello" not in proc.stderr  # the fallback printer stepped aside


def test_general_error_message() -> None:
    err = rogue.GeneralError("Frame.write", "too big")
    assert isinstance(err, Exception)
    assert str(err) == "Frame.write: too big"



def test_fallback_steps_aside_for_a_handler_below_root() -> None:
    """A handler on ``pyrogue`` (not root) gets each record once; the fallback stays quiet.

    Run in a fresh interpreter: under pytest the root logger always has handlers.
    """
    code = textwrap.dedent(
        """
        import logging, sys
        import rogue
        seen = []
        class Keep(logging.Handler):
            def emit(self, record):
                seen.append(record.getMessage())
        logging.getLogger("pyrogue").addHandler(Keep())
        rogue.Logging.create("fallbacktest.x").error("only once")
        assert seen == ["only once"], seen
        logging.getLogger("pyrogue").handlers[:] = [h for h in logging.getLogger("pyrogue").handlers if not isinstance(h, Keep)]
        rogue.Logging.create("fallbacktest.y").error("fallback prints")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "only once" not in out.stderr
    assert "fallback prints" in out.stderr


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_library_records_carry_rogues_forwarded_attributes() -> None:
    # C++ Rogue's forwarded records carry these (Logging.cpp:243-248); pyrogue's system log copies them.
    import os
    import threading

    import rogue.interfaces.memory as rim

    keep = _Keep()
    top = logging.getLogger("pyrogue")
    top.addHandler(keep)
    try:
        Logging.setFilter("pyrogue.memory.Emulate", Logging.Debug)
        mem = rim.Emulate(4, 0x2000)
        mst = rim.Master()
        mst >> mem
        mst._reqTransaction(0x1004, b"\x01\x02\x03\x04", 4, 0, rim.Write)
        mst._waitTransaction(0)
        logging.getLogger("pyrogue.app.mine").error("not ours")
    finally:
        top.removeHandler(keep)
    ours = [r for r in keep.records if r.name == "pyrogue.memory.Emulate"]
    # Emulate's debug line, Rogue's words (Emulate.cpp:93).
    assert [r.getMessage() for r in ours] == ["Allocating block at 0x1000. Total Blocks 1, Total Size = 4096"]
    rec = ours[0]
    assert rec.rogue_cpp is True and rec.rogue_logger == "pyrogue.memory.Emulate"  # type: ignore[attr-defined]
    assert rec.rogue_component == "memory" and rec.rogue_pid == os.getpid()  # type: ignore[attr-defined]
    assert rec.rogue_tid == threading.get_native_id() and rec.rogue_timestamp == rec.created  # type: ignore[attr-defined]
    app = [r for r in keep.records if r.name == "pyrogue.app.mine"]
    assert len(app) == 1 and not hasattr(app[0], "rogue_cpp")  # the application's records stay as they are
