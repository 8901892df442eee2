"""pyrogue end to end on rogue-bridge: one ``pr.Root`` of three Devices on a real register bus.

The Root's ``memBase`` is a ``rim.TcpClient`` to ``TcpServer >> SrpV3 == SrpV3Emulation`` in another process
(``srp_hardware.py``). Every value pyrogue sets or gets is checked against what the hardware holds, read and
written raw by the test through a second memory server on the same ``SrpV3`` (its own ``TcpClient``, a plain
``rim.Master``). The same tree also runs on a local ``rim.Emulate``. Needs the real pyrogue (``../shared/peers``):
skipped, with the reason, where it is absent.

The bridge cases share one Root (a Root's stop costs a second: its heartbeat thread ticks once a second) and
run in file order; the last one stops the hardware process, then the Root, and checks every thread is gone.
"""

from __future__ import annotations

import logging
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rogue.interfaces.memory as rim
from rogue import GeneralError

from conftest import (HANG_S, PYROGUE_ABSENT, free_port_pairs, poll_until, pyrogue_env, pyrogue_or_skip,
                      pyrogue_present, returns, wait_until)

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
TIMEOUT = 1.5  # the Root's: not pyrogue's default (1.0), so the test sees it reach the blocks
CTRL, DATA, STATUS = 0x000, 0x100, 0x200  # the Devices' offsets
MODES = {0: "Off", 1: "On", 2: "Auto", 3: "Test"}

pytestmark = [pytest.mark.skipif(not pyrogue_present(), reason=PYROGUE_ABSENT), pytest.mark.timeout(60)]


class RawBus(rim.Master):
    """The test's own view of the hardware: plain reads and writes, beside the Root's."""

    def __init__(self) -> None:
        super().__init__()
        self._setTimeout(int(HANG_S * 1e6))

    def _do(self, address: int, buf: bytearray, kind: int) -> None:
        self._clearError()
        self._reqTransaction(address, buf, len(buf), 0, kind)
        self._waitTransaction(0)
        if self._getError():
            raise GeneralError("RawBus", self._getError())

    def read(self, address: int, size: int) -> bytes:
        buf = bytearray(size)
        self._do(address, buf, rim.Read)
        return bytes(buf)

    def write(self, address: int, data: bytes) -> None:
        self._do(address, bytearray(data), rim.Write)

    def u32(self, address: int) -> int:
        return int.from_bytes(self.read(address, 4), "little")

    def set_u32(self, address: int, value: int) -> None:
        self.write(address, value.to_bytes(4, "little"))


def build_root(mem: Any) -> Any:
    """The tree: bit fields sharing a word, lists, an enum, Fixed, Float16, commands, an RO block, overlaps."""
    pr = pyrogue_or_skip()

    class Ctrl(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="Scratch", offset=0x00, bitSize=32, base=pr.UInt))
            # five fields in the one word at 0x04
            self.add(pr.RemoteVariable(name="Enable", offset=0x04, bitSize=1, bitOffset=0, base=pr.Bool))
            self.add(pr.RemoteVariable(name="Mode", offset=0x04, bitSize=2, bitOffset=1, enum=MODES))
            self.add(pr.RemoteVariable(name="Count", offset=0x04, bitSize=5, bitOffset=3, base=pr.UInt))
            self.add(pr.RemoteVariable(name="Trim", offset=0x04, bitSize=8, bitOffset=8, base=pr.Int))
            self.add(pr.RemoteVariable(name="Flags", offset=0x04, bitSize=16, bitOffset=16, base=pr.UInt))
            self.add(pr.RemoteVariable(name="Label", offset=0x08, bitSize=64, base=pr.String))
            self.add(pr.RemoteCommand(name="Load", offset=0x10, bitSize=32, base=pr.UInt,
                                      function=pr.BaseCommand.touch))
            self.add(pr.RemoteCommand(name="Kick", offset=0x14, bitSize=1, base=pr.UInt,
                                      function=pr.BaseCommand.postedTouchOne))

    class Data(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="Samples", offset=0x00, numValues=8, valueBits=16, valueStride=16,
                                       base=pr.UInt))
            self.add(pr.RemoteVariable(name="Taps", offset=0x10, numValues=4, valueBits=12, valueStride=16,
                                       base=pr.Int))
            self.add(pr.RemoteVariable(name="Gain", offset=0x18, bitSize=16, bitOffset=0, base=pr.Fixed(16, 12)))
            self.add(pr.RemoteVariable(name="Half", offset=0x18, bitSize=16, bitOffset=16, base=pr.Float16))
            self.add(pr.RemoteVariable(name="Temp", offset=0x1C, bitSize=32, base=pr.Float))
            self.add(pr.RemoteVariable(name="Energy", offset=0x20, bitSize=64, base=pr.Double))
            self.add(pr.RemoteVariable(name="Whole", offset=0x28, bitSize=32, base=pr.UInt, overlapEn=True))
            self.add(pr.RemoteVariable(name="Low", offset=0x28, bitSize=16, base=pr.UInt, overlapEn=True))

    class Status(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="Version", offset=0x0, bitSize=32, base=pr.UInt, mode="RO"))
            self.add(pr.RemoteVariable(name="Counter", offset=0x4, bitSize=32, base=pr.UInt, mode="RO"))
            self.add(pr.RemoteVariable(name="Locked", offset=0x8, bitSize=1, base=pr.Bool, mode="RO"))

    class Top(pr.Root):
        def __init__(self) -> None:
            super().__init__(name="Top", timeout=TIMEOUT)
            self.addInterface(mem)
            self.add(Ctrl(name="Ctrl", offset=CTRL, memBase=mem))
            self.add(Data(name="Data", offset=DATA, memBase=mem))
            self.add(Status(name="Status", offset=STATUS, memBase=mem))

    return Top()


# -- the checks, run over the bridge (one test each) and on a local Emulate (all in one test) ----------------------
def check_every_kind(root: Any, raw: RawBus) -> None:
    """get/set of each kind of variable, the hardware's bytes checked both ways."""
    c, d, s = root.Ctrl, root.Data, root.Status
    c.Scratch.set(0xDEADBEEF)
    assert raw.u32(CTRL) == 0xDEADBEEF and c.Scratch.get() == 0xDEADBEEF
    c.Enable.set(True)
    c.Mode.setDisp("Auto")
    c.Count.set(21)
    c.Trim.set(-5)
    c.Flags.set(0xBEEF)
    assert raw.u32(CTRL + 4) == 1 | 2 << 1 | 21 << 3 | 0xFB << 8 | 0xBEEF << 16
    raw.set_u32(CTRL + 4, 0 | 3 << 1 | 7 << 3 | 0x80 << 8 | 0x1234 << 16)
    assert [v.get() for v in (c.Enable, c.Mode, c.Count, c.Trim, c.Flags)] == [False, 3, 7, -128, 0x1234]
    assert c.Mode.getDisp(read=False) == "Test"
    c.Label.set("hello")
    assert raw.read(CTRL + 8, 8) == b"hello\0\0\0" and c.Label.get() == "hello"

    d.Samples.set(np.arange(8, dtype=np.uint32) * 1000)
    assert raw.read(DATA, 16) == struct.pack("<8H", *range(0, 8000, 1000))
    d.Samples.set(0xFFFF, index=3)
    assert struct.unpack("<8H", raw.read(DATA, 16))[3] == 0xFFFF
    raw.write(DATA, struct.pack("<8H", *range(100, 108)))
    got = d.Samples.get()
    assert got.tolist() == list(range(100, 108)) and got.dtype == np.uint16 and d.Samples.get(index=7) == 107
    d.Taps.set([-2048, -1, 0, 2047])
    assert struct.unpack("<4H", raw.read(DATA + 0x10, 8)) == (0x800, 0xFFF, 0, 0x7FF)
    raw.write(DATA + 0x10, struct.pack("<4H", 0xFFE, 0x001, 0x7FF, 0x800))
    assert d.Taps.get().tolist() == [-2, 1, 2047, -2048]

    d.Gain.set(1.25)
    d.Half.set(0.5)
    assert raw.u32(DATA + 0x18) == 0x3800 << 16 | 0x1400  # Fixed(16, 12) and Float16 share the word
    raw.set_u32(DATA + 0x18, 0xC000 << 16 | 0xF800)
    assert (d.Gain.get(), d.Half.get()) == (-0.5, -2.0)
    d.Temp.set(3.5)
    d.Energy.set(1e-3)
    assert raw.read(DATA + 0x1C, 12) == struct.pack("<fd", 3.5, 1e-3)
    raw.write(DATA + 0x1C, struct.pack("<fd", -0.25, 6.02e23))
    assert (d.Temp.get(), d.Energy.get()) == (-0.25, 6.02e23)

    d.Whole.set(0xAABBCCDD)  # two variables over the same bits (overlapEn)
    assert d.Low.get() == 0xCCDD
    d.Low.set(0x1122)
    assert raw.u32(DATA + 0x28) == 0xAABB1122 and d.Whole.get() == 0xAABB1122

    raw.write(STATUS, struct.pack("<III", 0x00060F00, 42, 1))
    assert (s.Version.get(), s.Counter.get(), s.Locked.get()) == (0x00060F00, 42, True)
    s.Version.set(7)  # RO: pyrogue stages it, the block never writes it
    assert raw.u32(STATUS) == 0x00060F00 and s.Version.get() == 0x00060F00


def check_blocks(root: Any, raw: RawBus) -> None:
    """readBlocks/writeBlocks/verifyBlocks/checkBlocks at Device and at Root level."""
    c, d, s = root.Ctrl, root.Data, root.Status
    d.Temp.set(1.0, write=False)
    d.Whole.set(0x01020304, write=False)
    assert raw.u32(DATA + 0x28) != 0x01020304  # staged only
    d.writeBlocks()
    d.verifyBlocks()
    d.waitBlocks()
    assert raw.read(DATA + 0x1C, 4) == struct.pack("<f", 1.0) and raw.u32(DATA + 0x28) == 0x01020304
    raw.write(DATA + 0x1C, struct.pack("<f", 2.0))
    d.readBlocks()
    d.waitBlocks()
    assert d.Temp.get(read=False) == 2.0

    raw.set_u32(CTRL, 0x11111111)
    raw.write(DATA + 0x28, struct.pack("<I", 0x22222222))
    raw.set_u32(STATUS + 4, 0x33333333)
    root.readBlocks()
    root.waitBlocks()
    assert [v.get(read=False) for v in (c.Scratch, d.Whole, s.Counter)] == [0x11111111, 0x22222222, 0x33333333]
    raw.set_u32(CTRL, 0)
    raw.set_u32(DATA + 0x28, 0)
    root.writeBlocks(force=True)  # every writable block, stale or not: the hardware gets the tree's values back
    root.verifyBlocks()
    root.waitBlocks()
    assert (raw.u32(CTRL), raw.u32(DATA + 0x28)) == (0x11111111, 0x22222222)
    assert raw.u32(STATUS + 4) == 0x33333333  # RO blocks are never written


def check_verify_failure(root: Any, raw: RawBus) -> None:
    """A write verified after the hardware changed one bit: Rogue's text names the block, byte, values and mask."""
    c = root.Ctrl
    c.Scratch.set(0xA5, write=True, verify=False)
    raw.set_u32(CTRL, 0x1A5)  # the hardware changes bit 8
    c.verifyBlocks()
    with pytest.raises(GeneralError, match=r"^Block::checkTransaction: General Error: Verify error for block "
                                           r"Top\.Ctrl\.Scratch with address 0x00000000\. Byte: 1\. Got: 0x01, "
                                           r"Exp: 0x00, Mask: 0xff$"):
        c.waitBlocks()
    c.Scratch.set(0x5A)  # the block and the bus are usable afterwards
    assert raw.u32(CTRL) == 0x5A and c.Scratch.get() == 0x5A


def check_yaml(root: Any, raw: RawBus, path: Path) -> None:
    """saveYaml then loadYaml restores every kind of value into the hardware."""
    c, d = root.Ctrl, root.Data
    c.Scratch.set(0xCAFE)
    c.Mode.setDisp("On")
    c.Trim.set(-7)
    c.Label.set("cfg")
    d.Samples.set([5, 6, 7, 8, 9, 10, 11, 12])
    d.Gain.set(-1.5)
    d.Half.set(0.25)
    d.Energy.set(2.5)
    assert root.saveYaml(str(path), readFirst=True, modes=["RW", "WO"]) is True
    text = path.read_text()
    assert "Scratch: 0xcafe" in text and "Mode: 'On'" in text and "Label: cfg" in text, text
    c.Scratch.set(1)
    c.Mode.setDisp("Off")
    c.Trim.set(0)
    c.Label.set("x")
    d.Samples.set([0] * 8)
    d.Gain.set(0.0)
    d.Half.set(0.0)
    d.Energy.set(0.0)
    root.loadYaml(str(path), writeEach=False, modes=["RW", "WO"])
    assert raw.u32(CTRL) == 0xCAFE
    word = raw.u32(CTRL + 4)
    assert (word >> 1 & 3, word >> 8 & 0xFF) == (1, 0xF9)
    assert raw.read(CTRL + 8, 8) == b"cfg\0\0\0\0\0"
    assert raw.read(DATA, 16) == struct.pack("<8H", 5, 6, 7, 8, 9, 10, 11, 12)
    assert raw.u32(DATA + 0x18) == 0x3400 << 16 | 0xE800 and raw.read(DATA + 0x20, 8) == struct.pack("<d", 2.5)


def check_commands(root: Any, raw: RawBus) -> None:
    """A RemoteCommand writes its argument; a posted one (a Post transaction) reaches the hardware too."""
    c = root.Ctrl
    c.Load(0x5A5A)
    assert raw.u32(CTRL + 0x10) == 0x5A5A
    raw.set_u32(CTRL + 0x14, 0)
    c.Kick()  # posted: done once sent; the raw read may overtake it on its own connection
    wait_until(lambda: raw.u32(CTRL + 0x14) & 1, what="the posted command in the hardware")


def check_polling(root: Any, raw: RawBus) -> None:
    """A variable with a poll interval picks up a change of the hardware by itself; listeners hear it."""
    counter = root.Status.Counter
    heard = threading.Event()
    seen: list[int] = []

    def listener(path: str, value: Any) -> None:
        seen.append(value.value)
        if value.value == 1234:
            heard.set()

    counter.addListener(listener)
    try:
        counter.setPollInterval(0.05)
        raw.set_u32(STATUS + 4, 1234)
        assert heard.wait(HANG_S), f"no polled update of Counter heard; values seen: {seen}"
        assert counter.get(read=False) == 1234
    finally:
        counter.setPollInterval(0)
        counter.delListener(listener)


# -- over the bridge -----------------------------------------------------------------------------------------------
class Rig:
    """The hardware process, the Root on its bridge, and the test's raw view; ``close()`` ends all of it."""

    def __init__(self, log: Path) -> None:
        self.threads_before = set(threading.enumerate())
        self.log = log
        self.root: Any = None
        self.client: rim.TcpClient | None = None
        self.raw_client: rim.TcpClient | None = None
        self.server, self.port, raw_port = self._start_hardware()
        try:
            self.client = rim.TcpClient(HOST, self.port)
            self.root = build_root(self.client)
            self.raw_client = rim.TcpClient(HOST, raw_port)
            self.raw = RawBus()
            self.raw >> self.raw_client
            self.root.start()
        except BaseException:
            self.close()
            raise

    def _start_hardware(self) -> tuple[subprocess.Popen[str], int, int]:
        for _ in range(3):  # a port found free may be taken before the child binds it
            port, raw_port = free_port_pairs(2)
            with self.log.open("a") as err:
                proc = subprocess.Popen([sys.executable, str(HERE / "srp_hardware.py"), str(port), str(raw_port)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                                        env=pyrogue_env())
            assert proc.stdout is not None
            line = "-"
            while line and not line.startswith(("ready", "failed")):  # bounded by the test's timeout
                line = proc.stdout.readline()
            if line.strip() == "ready":
                return proc, port, raw_port
            proc.communicate(timeout=HANG_S)
        raise AssertionError(f"the hardware process did not start: {line!r} {self.log.read_text()[-2000:]}")

    def close(self) -> None:
        """Stop the Root, the raw view and the hardware process (each once)."""
        if self.root is not None and self.root.running:
            self.root.stop()  # stops its client too (an interface it manages)
        for c in (self.client, self.raw_client):
            if c is not None:
                c._stop()  # a second _stop does nothing
        if self.server.poll() is None:
            assert self.server.stdin is not None
            self.server.stdin.close()
            try:
                self.server.wait(HANG_S)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(HANG_S)
        for f in (self.server.stdin, self.server.stdout):
            if f is not None:
                f.close()

    def extra_threads(self) -> list[str]:
        return [t.name for t in threading.enumerate() if t not in self.threads_before and t.is_alive()]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    pyrogue_or_skip()
    r = Rig(tmp_path_factory.mktemp("hardware") / "stderr.txt")
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="pyrogue")  # pyrogue logs every failed access with its traceback


def test_every_kind_of_variable(rig: Rig) -> None:
    check_every_kind(rig.root, rig.raw)


def test_device_and_root_block_operations(rig: Rig) -> None:
    check_blocks(rig.root, rig.raw)


def test_verify_failure_when_the_hardware_changes_a_bit(rig: Rig, quiet: None) -> None:
    check_verify_failure(rig.root, rig.raw)


def test_yaml_round_trip(rig: Rig, tmp_path: Path) -> None:
    check_yaml(rig.root, rig.raw, tmp_path / "config.yml")


def test_commands(rig: Rig) -> None:
    check_commands(rig.root, rig.raw)


def test_polling(rig: Rig) -> None:
    check_polling(rig.root, rig.raw)


def _all_threads_stopped(pid: int) -> bool:
    """Every thread of ``pid`` in state T (stopped by a signal), as /proc says (Linux)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except FileNotFoundError:  # a thread that has just ended
            continue
        states.append(stat[stat.rindex(")") + 2])
    return bool(states) and all(st in "Tt" for st in states)


def test_hardware_gone_times_out_and_the_root_stops(rig: Rig, quiet: None) -> None:
    """Last of the bridge cases: a stopped hardware process times out; a killed one fails at once; stop is clean."""
    scratch = rig.root.Ctrl.Scratch
    where = r"Block::checkTransaction: General Error: Transaction error for block Top\.Ctrl\.Scratch with address " \
            r"0x00000000\. Error "
    rig.server.send_signal(signal.SIGSTOP)  # alive to the kernel (the link stays up), deaf to requests
    try:
        # The signal takes effect a moment later, thread by thread: until every thread is stopped it may answer.
        wait_until(lambda: _all_threads_stopped(rig.server.pid), what="every thread of the server to stop")
        t0 = time.monotonic()
        with pytest.raises(GeneralError, match="^" + where + r"Timeout waiting for register transaction \d+ "
                                                             r"message response\.$"):
            scratch.get()
        waited = time.monotonic() - t0
    finally:
        rig.server.kill()  # SIGKILL ends a stopped process too
        rig.server.wait(HANG_S)
    assert TIMEOUT * 0.9 <= waited < TIMEOUT + HANG_S, waited  # the Root's timeout, not pyrogue's default
    client = rig.client
    assert client is not None
    wait_until(lambda: not client.isConnected(), what="the client to see the link gone")
    with pytest.raises(GeneralError, match="^" + where + rf"memory server at {HOST}:{rig.port} is not connected: "):
        returns(scratch.get)  # known down: fails at once, nothing sent (Rogue would wait for its timeout)
    returns(rig.close, HANG_S, "Root.stop")
    assert poll_until(lambda: not rig.extra_threads()), f"threads left running: {rig.extra_threads()}"


# -- the same tree on a local Emulate ------------------------------------------------------------------------------
def test_the_same_tree_on_a_local_emulate(tmp_path: Path, quiet: None, no_thread_leak: None) -> None:
    pyrogue_or_skip()
    mem = rim.Emulate(4, 0x1000)
    raw = RawBus()
    raw >> mem
    with build_root(mem) as root:
        check_every_kind(root, raw)
        check_blocks(root, raw)
        check_verify_failure(root, raw)
        check_yaml(root, raw, tmp_path / "config.yml")
        check_commands(root, raw)
        check_polling(root, raw)
