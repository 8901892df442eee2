"""A stream bridge pair whose receiving slave stalls while the sender floods (run as a process).

``python slow_reader.py PORT STALL_S close|keep``: server and client on
127.0.0.1 with a 1 s heartbeat timeout; the server's slave stops for STALL_S
seconds at frame 200 while the client sends 4 000 numbered 1 KiB frames as
fast as it can. With ``close`` the client is stopped during the stall (a peer
that leaves while the reader is behind: with ZMTP heartbeats on the receiving
socket, libzmq 4.3.5 aborts this process). Prints ``got N ordered LOSSES``.
"""

from __future__ import annotations

import sys
import threading
import time

import rogue.interfaces.stream as ris


class Stalling(ris.Slave):
    def __init__(self, stall: float) -> None:
        super().__init__()
        self.stall, self.seqs = stall, []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.seqs.append(int.from_bytes(frame.getBa()[:8], "little"))
        if len(self.seqs) == 200:
            time.sleep(self.stall)


def main() -> None:
    port, stall, mode = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    opts = {"heartbeatInterval": 1.0, "heartbeatTimeout": 1.0}
    srv = ris.TcpServer("127.0.0.1", port, **opts)
    sink = Stalling(stall)
    srv >> sink
    cli = ris.TcpClient("127.0.0.1", port, **opts)
    src = ris.Master()
    src >> cli
    assert cli.waitReady(10) and srv.waitReady(10)

    def send() -> None:
        for seq in range(4000):
            f = src._reqFrame(1024, True)
            f.write(seq.to_bytes(8, "little") + bytes(1016))
            src._sendFrame(f)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    if mode == "close":
        time.sleep(0.5 + stall / 2)
        cli.stop()  # the peer leaves while the reader is behind
    t.join(stall + 20)
    end = time.monotonic() + stall + 20
    want = 4000 if mode == "keep" else 0
    while len(sink.seqs) < want and time.monotonic() < end:
        time.sleep(0.05)
    time.sleep(1.5 if mode == "close" else 0.0)
    ordered = all(b == a + 1 for a, b in zip(sink.seqs, sink.seqs[1:]))
    print("got", len(sink.seqs), int(ordered), srv.getLinkLossCount() + cli.getLinkLossCount(), flush=True)
    cli.stop()
    srv.stop()


if __name__ == "__main__":
    main()
