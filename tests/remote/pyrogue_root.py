"""A pyrogue Root served by ``pyrogue.interfaces.ZmqServer`` on rogue-bridge (run by test_pyrogue_remote.py).

``python pyrogue_root.py PORT``: serves on 127.0.0.1 PORT..PORT+2, prints
``ready PORT`` when started (``failed ...`` and exits when it cannot start),
stops the root when stdin closes. Needs pyrogue
on ``sys.path`` (../shared/peers).
"""

from __future__ import annotations

import os
import sys

import pyrogue as pr
import pyrogue.interfaces

import rogue.interfaces.memory as rim


class Dev(pr.Device):
    """Local variables, a register in emulated memory, a command that counts and one that fails."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.add(pr.LocalVariable(name="Scratch", value=0, mode="RW"))
        self.add(pr.LocalVariable(name="Label", value="board", mode="RW"))
        self.add(pr.LocalVariable(name="Counter", value=0, mode="RO"))
        self.add(pr.RemoteVariable(name="Reg", offset=0x0, bitSize=32, bitOffset=0, base=pr.UInt, mode="RW"))
        self.add(pr.LocalCommand(name="Bump", function=self._bump))
        self.add(pr.LocalCommand(name="Fail", function=self._fail))

    def _bump(self) -> None:
        self.Counter.set(self.Counter.value() + 1)

    def _fail(self) -> None:
        raise ValueError("deliberate failure")


class Top(pr.Root):
    def __init__(self, port: int) -> None:
        super().__init__(name="Top", pollEn=False)
        self._mem = rim.Emulate(4, 0x1000)
        self.addInterface(self._mem)
        self.add(Dev(name="Dev", memBase=self._mem))
        self.zmqServer = pyrogue.interfaces.ZmqServer(root=self, addr="127.0.0.1", port=port)
        self.addInterface(self.zmqServer)


def main() -> None:
    root = Top(int(sys.argv[1]))
    try:
        root.start()
    except Exception as exc:  # noqa: BLE001 - e.g. the ports taken meanwhile: say so and end at once
        print(f"failed {type(exc).__name__}: {exc}", flush=True)
        os._exit(2)  # Root's own threads would keep a plain exit waiting
    try:
        print(f"ready {root.zmqServer.port()}", flush=True)
        sys.stdin.read()
    finally:
        root.stop()


if __name__ == "__main__":
    main()
