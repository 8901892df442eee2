"""The hardware process of ``test_pyrogue_bridge.py``: ``TcpServer >> SrpV3 == SrpV3Emulation``, no pyrogue.

``python srp_hardware.py PORT RAW_PORT``: the emulated FPGA behind one ``SrpV3``, served by two memory
``TcpServer``s on 127.0.0.1, PORT for the pyrogue Root's ``TcpClient`` and RAW_PORT for the test's own raw
view of the same registers. Prints ``ready`` once both listen (``failed ...`` and exit 2 when it cannot bind);
stops when stdin closes. Rogue code only: it runs on C++ Rogue as well (which prints a banner line first).
"""

from __future__ import annotations

import sys

import rogue.interfaces.memory as rim
import rogue.protocols.srp as rps


def main() -> int:
    port, raw_port = int(sys.argv[1]), int(sys.argv[2])
    srp = rps.SrpV3()
    fpga = rps.SrpV3Emulation()
    srp == fpga
    servers: list[rim.TcpServer] = []
    try:
        for p in (port, raw_port):
            servers.append(rim.TcpServer("127.0.0.1", p))
            servers[-1] >> srp
    except Exception as exc:  # noqa: BLE001 - a port taken meanwhile: say so; the test picks others
        print(f"failed {type(exc).__name__}: {exc}", flush=True)
        for s in servers:
            s._stop()
        return 2
    print("ready", flush=True)
    sys.stdin.read()
    for s in servers:
        s._stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
