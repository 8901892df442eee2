"""Measure what an outage costs (run by hand, as root): ``python tests/network/measure_outage.py OUTAGE_S [INTERVAL TIMEOUT]``.

Two namespaces, a stream server and client each sending 200 numbered 1 KiB
frames/s to the other; the link goes down for OUTAGE_S seconds. Prints, per
end: when it noticed, frames lost (and how many it had handed in before its
sender noticed), duplicates / out of order (always 0), and how long after the
link returned traffic flowed again. The README's crash-window figures come
from this script.
"""

from __future__ import annotations

import sys
import time

from netbed import NetBed
from rogue._ports import free_port_pair
from test_link_stream import RATE, gaps, status, wait_rx  # noqa: F401


def main() -> None:
    outage = float(sys.argv[1])
    ivl, tmo = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("1", "5")
    port = str(free_port_pair())
    bed = NetBed(1)
    bed.open()
    try:
        srv = bed.run(bed.server, "net_stream_peer.py", "server", "*", port, ivl, tmo, str(RATE))
        cli = bed.run(bed.client(), "net_stream_peer.py", "client", bed.server_ip(), port, ivl, tmo, str(RATE))
        for p in (srv, cli):
            p.expect("link 1", 15)
            wait_rx(p, 200, 10)
        rx0 = {id(p): status(p)[4] for p in (srv, cli)}
        t_down = time.monotonic()
        bed.link(False)
        time.sleep(outage)
        bed.link(True)
        t_up = time.monotonic()
        tx_up = {id(p): float(p.drain()[2]) for p in (srv, cli)}
        time.sleep(3.0)
        for name, p, far in (("server", srv, cli), ("client", cli, srv)):
            st = [float(x) for x in p.drain()]
            far.drain()
            downs = [ln.split() for ln in p.history if ln.startswith("link 0")]
            ups = [ln.split() for ln in p.history if ln.startswith("link 1")][1:]
            far_downs = [ln.split() for ln in far.history if ln.startswith("link 0")]
            lost = sum(b - a + 1 for a, b in gaps(p))
            noticed = f"{float(downs[0][2]) - t_down:.2f} s" if downs else "never"
            back = f"{float(ups[0][2]) - t_up:.2f} s" if ups else "-"
            risk = f" ({int(far_downs[0][3]) - int(rx0[id(p)])} handed in before the sender noticed)" if far_downs else ""
            print(f"{name}: outage {outage:g} s, interval {ivl} s, timeout {tmo} s: noticed after {noticed}; "
                  f"lost {lost} frames{risk}; dups {int(st[5])}, out of order {int(st[6])}; link back {back} "
                  f"after the link returned; received {int(st[3])} frames, up to #{int(st[4])} "
                  f"(the far end had sent {int(tx_up[id(far)])} when the link returned)")
    finally:
        bed.close()


if __name__ == "__main__":
    main()
