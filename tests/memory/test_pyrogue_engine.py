"""The real pyrogue (``../shared/peers``) on rogue-bridge's register engine: import, a Root on rim.Emulate, get/set."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import rogue.interfaces.memory as rim
from rogue import GeneralError

from conftest import pyrogue_or_skip


class Flipper(rim.Slave):
    """rim.Emulate that can corrupt what reads return (a register whose hardware changes a bit)."""

    def __init__(self) -> None:
        super().__init__(4, 0x1000)
        self.mem = rim.Emulate(4, 0x1000)
        self.flip: dict[int, int] = {}

    def _doTransaction(self, t: Any) -> None:
        self.mem._doTransaction(t)
        if t.type() in (rim.Read, rim.Verify) and self.flip:
            data = bytearray(t.size())
            t.getData(data, 0)
            for k in range(len(data)):
                data[k] ^= self.flip.get(t.address() + k, 0)
            t.setData(data, 0)


@pytest.fixture(scope="module")
def root() -> Iterator[Any]:
    pr = pyrogue_or_skip()

    class Dev(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="Word", offset=0x0, bitSize=32, base=pr.UInt))
            self.add(pr.RemoteVariable(name="Low", offset=0x4, bitSize=4, bitOffset=0, base=pr.UInt))
            self.add(pr.RemoteVariable(name="High", offset=0x4, bitSize=4, bitOffset=4, base=pr.Int))
            self.add(pr.RemoteVariable(name="Mode", offset=0x4, bitSize=2, bitOffset=8,
                                       enum={0: "Off", 1: "On", 2: "Auto", 3: "Err"}))
            self.add(pr.RemoteVariable(name="List", offset=0x10, numValues=16, valueBits=32, valueStride=32,
                                       base=pr.UInt))
            self.add(pr.RemoteVariable(name="Fix", offset=0x50, bitSize=16, base=pr.Fixed(16, 8)))
            self.add(pr.RemoteVariable(name="Half", offset=0x54, bitSize=16, base=pr.Float16))
            self.add(pr.RemoteVariable(name="Status", offset=0x58, bitSize=32, base=pr.UInt, mode="RO"))
            self.add(pr.RemoteVariable(name="Name", offset=0x60, bitSize=64, base=pr.String))
            self.add(pr.RemoteCommand(name="Go", offset=0x68, bitSize=1, function=pr.RemoteCommand.toggle))

    class Root(pr.Root):
        def __init__(self) -> None:
            super().__init__(name="root", pollEn=False, timeout=1.0)
            self.bus = Flipper()
            self.addInterface(self.bus)
            self.add(Dev(name="Dev", offset=0x100, memBase=self.bus))

    with Root() as r:
        yield r


def test_import_pyrogue() -> None:
    pr = pyrogue_or_skip()
    assert pr.UInt(32).modelId == rim.UInt and pr.Float16(16).modelId == rim.Float16
    assert issubclass(pr.RemoteVariable, rim.Variable)


def test_get_set_on_emulate(root: Any) -> None:
    d = root.Dev
    d.Word.set(0x12345678)
    assert d.Word.get() == 0x12345678 and d.Word.get(read=False) == 0x12345678
    d.Low.set(5)
    d.High.set(-3)
    d.Mode.setDisp("Auto")
    assert (d.Low.get(), d.High.get(), d.Mode.getDisp()) == (5, -3, "Auto")
    assert d.Word.address == 0x100 and d.Low.varBytes == 4 and d.Low._block is d.High._block
    d.List.set(np.arange(16, dtype=np.uint32) * 3)
    assert d.List.get().tolist() == [3 * x for x in range(16)] and d.List.get().dtype == np.uint32
    d.List.set(99, index=7)
    assert d.List.get(index=7) == 99
    d.Fix.set(1.5)
    d.Half.set(0.1)
    assert d.Fix.get() == 1.5 and d.Half.get() == float(np.float16(0.0999755859375))
    d.Name.set("abc")
    assert d.Name.get() == "abc"
    d.Go()
    assert d.Word._getDumpValue(False) == "root.Dev.Word = 305419896\n"
    assert d.Word.lock is not None  # a user lock, not the engine's
    with d.Word.lock:
        d.Word.set(1)
    assert d.Word.get() == 1


def test_refusals_keep_rogues_words(root: Any, caplog: pytest.LogCaptureFixture) -> None:
    d = root.Dev
    caplog.set_level(logging.CRITICAL, logger="pyrogue")  # pyrogue logs every refusal with its traceback
    with pytest.raises(GeneralError, match=r"^Block::setUInt: General Error: Value range error for Low\. Value=16, "
                                           r"Min=0\.000000, Max=15\.000000$"):
        d.Low.set(16)
    with pytest.raises(GeneralError, match=r"Failed to extract value for Word\.$"):
        d.Word.set(1.5)
    with pytest.raises(GeneralError, match="Overflow error for passed array with length 17"):
        d.List.set(np.zeros(17, dtype=np.uint32))
    d.Status.set(5)  # RO: staged, never written
    assert d.Status.get() == 0


def test_blocks_and_verify_failure(root: Any, caplog: pytest.LogCaptureFixture) -> None:
    d = root.Dev
    d.Word.set(0xA5, write=False)
    d.writeBlocks(force=True)
    d.verifyBlocks()
    d.waitBlocks()
    d.readBlocks()
    d.waitBlocks()
    assert d.Word.get(read=False) == 0xA5
    root.bus.flip = {0x101: 0x01}  # the hardware changes bit 8 of Word
    caplog.set_level(logging.CRITICAL, logger="pyrogue")
    try:
        with pytest.raises(GeneralError, match=r"^Block::checkTransaction: General Error: Verify error for block "
                                               r"root\.Dev\.Word with address 0x00000100\. Byte: 1\. Got: 0x01, "
                                               r"Exp: 0x00, Mask: 0xff$"):
            d.Word.set(0xA5)
    finally:
        root.bus.flip = {}
    d.Word.set(0x5A)
    assert d.Word.get() == 0x5A
