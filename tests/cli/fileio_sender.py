"""A stream server sending the test traffic (``fileio_traffic``) to its client: ``fileio_sender.py PORT [COUNT]``.

Prints ``serving`` once bound, sends COUNT frames (default all; 0: repeat the
traffic until killed) when a client is connected, then waits for a line on
stdin (or 60 s) so the frames already sent are delivered before it closes.
"""

from __future__ import annotations

import sys

import fileio_traffic as traffic

import rogue.interfaces.stream as ris


def main() -> int:
    port = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else traffic.COUNT
    src = ris.Master()
    tcp = ris.TcpServer("127.0.0.1", port)
    src >> tcp
    print("serving", flush=True)
    if not tcp.waitReady(30.0):
        return 1
    i = 0
    while count == 0 or i < count:
        k = i % traffic.COUNT
        data = traffic.payload(k)
        frame = src._reqFrame(len(data), True)
        if data:
            frame.write(data)
        chan, flags, err = traffic.meta(k)
        frame.setChannel(chan)
        frame.setFlags(flags)
        frame.setError(err)
        src._sendFrame(frame)
        i += 1
    print(f"sent {i}", flush=True)
    sys.stdin.readline()
    tcp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
