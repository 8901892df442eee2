"""A PRBS sender in its own process, driven from stdin: ``python prbs_peer.py PORT SEED``.

Serves a stream ``TcpServer`` on 127.0.0.1:PORT with a ``Prbs`` generator behind
it. Each stdin line ``N`` sends N frames whose sizes (12 B .. 1 MiB, multiples
of 4) come from ``random.Random(SEED)``, then prints one JSON line with the
sizes sent and the generator's counters; ``quit`` (or end of input) exits.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading

import rogue.interfaces.stream as ris
from rogue.utilities import Prbs

PORT, SEED = int(sys.argv[1]), int(sys.argv[2])
_watchdog = threading.Timer(50.0, os._exit, (3,))  # never outlive a failed test
_watchdog.daemon = True
_watchdog.start()


def sizes(rng: random.Random, n: int) -> list[int]:
    """``n`` sizes, log-uniform from 12 B to 1 MiB, multiples of 4."""
    out = []
    for _ in range(n):
        out.append(4 * max(3, int(2 ** rng.uniform(3.6, 18.0))))
    return out


rng = random.Random(SEED)
server = ris.TcpServer("127.0.0.1", PORT)
prbs = Prbs()
prbs >> server
print(json.dumps({"ready": True}), flush=True)
first = True
for line in sys.stdin:
    if line.strip() == "quit":
        break
    batch = sizes(rng, int(line))
    if first:
        batch[:2] = [12, 1 << 20]
        first = False
    for size in batch:
        prbs.genFrame(size)
    print(json.dumps({"sizes": batch, "txCount": prbs.getTxCount(), "txBytes": prbs.getTxBytes()}), flush=True)
server.stop()
