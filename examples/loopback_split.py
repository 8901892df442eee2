#!/usr/bin/env python3
"""Loopback process split: one process owns the "hardware", a second one controls it.

Both seed documents describe this pattern: the hardware-facing process
publishes a memory ``TcpServer`` (register bus) and a stream ``TcpServer``
(data) on ``127.0.0.1``; a second program on the same machine connects with
``TcpClient`` objects and shares them without sharing any in-process object.

Run with no arguments, this script starts its own hardware half as a child
process (``--hardware``), then acts as the control/analysis half: it writes
and reads registers, receives data frames, and stops the child by closing its
stdin. ``--hardware`` alone runs just that half (until stdin closes or
``--seconds``), for use from another terminal.

    python examples/loopback_split.py [PORT] [--stream-port Q] [--frames N]
"""

import argparse
import struct
import subprocess
import sys
import threading

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps


# -- the hardware-facing process ------------------------------------------------------------
class DataSource(ris.Master):
    """Stands in for a DMA channel: numbered 1 KiB data frames."""

    def send(self, seq: int) -> None:
        frame = self._reqFrame(1024, True)
        frame.write(struct.pack("<I", seq) + bytes(1020))
        self._sendFrame(frame)


def hardware(mem_port: int, stream_port: int, seconds: float) -> None:
    """Own the hardware stack and publish it on loopback until stdin closes."""
    srp, emulation = rps.SrpV3(), rps.SrpV3Emulation()  # emulation: the FPGA's register endpoint
    srp == emulation
    mem = rim.TcpServer('127.0.0.1', mem_port)
    mem >> srp
    source = DataSource()
    data = ris.TcpServer('127.0.0.1', stream_port)
    source >> data

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    sent = [0]

    def produce() -> None:
        while not stop.is_set():
            if data.isConnected():  # beyond Rogue: the link state
                source.send(sent[0])  # blocks while the peer is gone; data.stop() ends that
                sent[0] += 1
            stop.wait(0.01)

    producer = threading.Thread(target=produce, name="hardware-source")
    producer.start()
    print(f"hardware: registers on 127.0.0.1:{mem_port}, data on 127.0.0.1:{stream_port}", flush=True)
    stop.wait(seconds)
    stop.set()
    for obj in (data, mem, emulation):
        obj.stop()
    srp._stop()
    producer.join()
    seq = sent[0]
    print(f"hardware: sent {seq} data frames, stopped", flush=True)


# -- the control / analysis process ------------------------------------------------------------
class Control(rim.Master):
    """Register access for the control process."""

    def write32(self, address: int, value: int) -> None:
        self._clearError()
        self._reqTransaction(address, struct.pack("<I", value), 4, 0, rim.Write)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(self._getError())

    def read32(self, address: int) -> int:
        self._clearError()
        buf = bytearray(4)
        self._reqTransaction(address, buf, 4, 0, rim.Read)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(self._getError())
        return struct.unpack("<I", buf)[0]


class Analysis(ris.Slave):
    """Receives data frames and notes their sequence numbers."""

    def __init__(self, expect: int) -> None:
        super().__init__()
        self.expect = expect
        self.seqs = []
        self.done = threading.Event()

    def _acceptFrame(self, frame):
        with frame.lock():
            self.seqs.append(struct.unpack("<I", frame.getBa(0, 4))[0])
        if len(self.seqs) >= self.expect:
            self.done.set()


def control(mem_port: int, stream_port: int, frames: int) -> int:
    child = subprocess.Popen(
        [sys.executable, __file__, str(mem_port), "--stream-port", str(stream_port), "--hardware"],
        stdin=subprocess.PIPE,
    )
    regs, analysis = Control(), Analysis(frames)
    mem = rim.TcpClient('127.0.0.1', mem_port)
    data = ris.TcpClient('127.0.0.1', stream_port)
    regs >> mem
    data >> analysis
    try:
        if not mem.waitReady(10.0):
            print("control: the hardware process did not come up", file=sys.stderr)
            return 1
        regs.write32(0x0, 0xC0FFEE)
        print(f"control: register 0x0 reads back 0x{regs.read32(0x0):x}")
        ok = analysis.done.wait(10.0)
        print(f"control: received {len(analysis.seqs)} data frames, in order: {analysis.seqs == sorted(analysis.seqs)}")
        return 0 if ok else 1
    finally:
        data.stop()
        mem.stop()
        child.stdin.close()  # tells the hardware process to stop
        child.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="memory bridge base port (default 8000)")
    parser.add_argument("--stream-port", type=int, help="stream bridge base port (default PORT + 2)")
    parser.add_argument("--frames", type=int, default=20, help="data frames the control half waits for")
    parser.add_argument("--hardware", action="store_true", help="run only the hardware half")
    parser.add_argument("--seconds", type=float, default=60.0, help="hardware half: stop after this long")
    args = parser.parse_args()
    stream_port = args.stream_port if args.stream_port is not None else args.port + 2
    if args.hardware:
        hardware(args.port, stream_port, args.seconds)
        return 0
    return control(args.port, stream_port, args.frames)


if __name__ == "__main__":
    sys.exit(main())
