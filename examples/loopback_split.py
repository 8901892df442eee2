#!/usr/bin/env python3
"""Loopback process split: one process owns the "hardware", a second one controls it.

Rogue's bridge documents describe this pattern: the hardware-facing process
publishes a memory ``TcpServer`` (register bus) and a stream ``TcpServer``
(data) on ``127.0.0.1``; a second program on the same machine connects with
``TcpClient`` objects and shares them without sharing any in-process object.

Run without ``--hardware``, this script is the control/analysis half: it
writes and reads registers and receives data frames. It first probes PORT:
when a hardware half already runs there (``--hardware`` in another terminal),
it uses it; otherwise it starts its own as a child process and stops it at the
end. ``--hardware`` runs just that half, until Ctrl-C (or SIGTERM) or
``--seconds``.

    python examples/loopback_split.py [PORT] [--stream-port Q] [--frames N]
    python examples/loopback_split.py [PORT] [--stream-port Q] --hardware [--seconds S]
"""

import argparse
import signal
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


def hardware(mem_port: int, stream_port: int, seconds: float, until_stdin_closes: bool = False) -> int:
    """Own the hardware stack and publish it on loopback until a signal, ``seconds`` (0: none) or stdin's end."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    srp, emulation = rps.SrpV3(), rps.SrpV3Emulation()  # emulation: the FPGA's register endpoint
    srp == emulation
    mem = data = None
    try:
        mem = rim.TcpServer('127.0.0.1', mem_port)
        data = ris.TcpServer('127.0.0.1', stream_port)
    except Exception as exc:  # one line, not a traceback: most likely another hardware half runs there
        for obj in (mem, data):
            if obj is not None:
                obj.stop()
        print(f"hardware: cannot listen on 127.0.0.1:{mem_port} and :{stream_port}: {exc}", file=sys.stderr,
              flush=True)
        return 1
    mem >> srp
    source = DataSource()
    source >> data
    if until_stdin_closes:  # the control half started this one: stop when it goes away
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
    stop.wait(seconds or None)
    stop.set()
    for obj in (data, mem, emulation):
        obj.stop()
    srp._stop()
    producer.join()
    print(f"hardware: sent {sent[0]} data frames, stopped", flush=True)
    return 0


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
        if self.done.is_set():
            return  # the first `expect` frames are what the control half looks at
        with frame.lock():
            self.seqs.append(struct.unpack("<I", frame.getBa(0, 4))[0])
        if len(self.seqs) >= self.expect:
            self.done.set()


def control(mem_port: int, stream_port: int, frames: int) -> int:
    regs, analysis = Control(), Analysis(frames)
    mem = rim.TcpClient('127.0.0.1', mem_port)
    regs >> mem
    child = None
    if not mem.waitReady(0.5):  # nothing answers yet: start our own hardware half
        if mem.getRefusal():  # beyond Rogue: a hardware half runs, but serves another control process
            print(f"control: the hardware half on 127.0.0.1:{mem_port} refused us: {mem.getRefusal()}", file=sys.stderr)
            mem.stop()
            return 1
        child = subprocess.Popen(
            [sys.executable, __file__, str(mem_port), "--stream-port", str(stream_port), "--hardware",
             "--until-stdin-closes", "--seconds", "0"],
            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
    else:
        print(f"control: using the hardware half already running on 127.0.0.1:{mem_port}")
    data = ris.TcpClient('127.0.0.1', stream_port)
    data >> analysis
    try:
        if child is not None and not mem.waitReady(10.0):
            why = child.stderr.read().strip().splitlines()[-1:] if child.poll() is not None else []
            print(f"control: the hardware half did not come up{': ' + why[0] if why else ''}", file=sys.stderr)
            return 1
        regs.write32(0x0, 0xC0FFEE)
        print(f"control: register 0x0 reads back 0x{regs.read32(0x0):x}")
        ok = analysis.done.wait(10.0)
        print(f"control: received {len(analysis.seqs)} data frames, in order: {analysis.seqs == sorted(analysis.seqs)}")
        return 0 if ok else 1
    finally:
        data.stop()
        mem.stop()
        if child is not None:
            child.stdin.close()  # tells the hardware process to stop
            child.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="memory bridge base port (default 8000)")
    parser.add_argument("--stream-port", type=int, help="stream bridge base port (default PORT + 2)")
    parser.add_argument("--frames", type=int, default=20, help="data frames the control half waits for (default 20)")
    parser.add_argument("--hardware", action="store_true",
                        help="run only the hardware half, until Ctrl-C or --seconds")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="hardware half: stop after this long (default 60; 0: until Ctrl-C)")
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="hardware half: also stop when stdin closes (how the control half stops its child)")
    args = parser.parse_args()
    stream_port = args.stream_port if args.stream_port is not None else args.port + 2
    if args.hardware:
        return hardware(args.port, stream_port, args.seconds, args.until_stdin_closes)
    return control(args.port, stream_port, args.frames)


if __name__ == "__main__":
    sys.exit(main())
