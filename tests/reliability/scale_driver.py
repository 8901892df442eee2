"""One process holding many stream and memory bridge pairs, all passing traffic.

``python scale_driver.py N_STREAM N_MEMORY END``: raises the file-descriptor
limit as far as the process may (``resource.setrlimit``), creates the pairs on
127.0.0.1 (both ends here), sends one frame each way through every stream pair
and a verified write/read through every memory pair, then ends: END ``stop``
stops everything (timed) and exits, ``exit`` leaves it all to interpreter exit,
``half`` stops every other pair (timed), checks the others still serve, and
leaves them to interpreter exit.
Prints one ``key=value`` line per figure; the test reads them.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time

import rogue.interfaces.memory as rim
from rogue import _ports
import rogue.interfaces.stream as ris

N_STREAM, N_MEMORY, END = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
_watchdog = threading.Timer(100.0, os._exit, (3,))  # never outlive a failed test
_watchdog.daemon = True
_watchdog.start()
threading.stack_size(512 * 1024)  # thousands of threads: keep their reserved stacks small


def figure(key: str, value: object) -> None:
    print(f"{key}={value}", flush=True)


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = hard if hard != resource.RLIM_INFINITY else 1 << 20
try:
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
except (ValueError, OSError):
    want = soft
figure("nofile", want)


def free_ports(n: int) -> list[int]:
    """``n`` base ports P with P and P+1 free, below the kernel's ephemeral range (``rogue._ports``)."""
    try:
        return _ports.free_port_pairs(n, start=10000 + 2 * (os.getpid() % 1000))
    except OSError as exc:
        raise SystemExit(str(exc.strerror)) from None


class Count(ris.Slave):
    """Counts frames whose payload names the pair they came through."""

    def __init__(self, tag: bytes, done: threading.Semaphore) -> None:
        super().__init__()
        self.tag, self.done, self.ok = tag, done, 0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if bytes(frame.getBa()) == self.tag:
            self.ok += 1
            self.done.release()


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 >> 20


base_fds = fds()
t0 = time.monotonic()
ports = free_ports(N_STREAM + N_MEMORY)
done = threading.Semaphore(0)
streams, mems, sinks = [], [], []
for i, p in enumerate(ports[:N_STREAM]):
    srv, cli = ris.TcpServer("127.0.0.1", p), ris.TcpClient("127.0.0.1", p)
    s_sink, c_sink = Count(b"to-server %d" % i, done), Count(b"to-client %d" % i, done)
    srv >> s_sink
    cli >> c_sink
    streams.append((srv, cli))
    sinks += [s_sink, c_sink]
for p in ports[N_STREAM:]:
    srv, cli = rim.TcpServer("127.0.0.1", p), rim.TcpClient("127.0.0.1", p)  # default: exclusive
    srv >> rim.Emulate(4, 0x1000)
    mems.append((srv, cli))
figure("create_s", round(time.monotonic() - t0, 2))

t1 = time.monotonic()
for srv, cli in streams:
    assert cli.waitReady(30) and srv.waitReady(30), "stream pair never connected"
for _srv, cli in mems:
    assert cli.waitReady(30), "memory pair never connected"
figure("connect_s", round(time.monotonic() - t1, 2))
figure("threads", threading.active_count())
figure("fds", fds() - base_fds)
figure("rss_mib", rss_mib())

t2 = time.monotonic()
src = ris.Master()
for i, (srv, cli) in enumerate(streams):
    for bridge, text in ((cli, b"to-server %d" % i), (srv, b"to-client %d" % i)):
        frame = src._reqFrame(len(text), True)
        frame.write(text)
        bridge._acceptFrame(frame)
for _ in range(2 * N_STREAM):
    assert done.acquire(timeout=30), "a frame did not arrive"
assert all(s.ok == 1 for s in sinks)
master = rim.Master()
master._setTimeout(5_000_000)
for i, (_srv, cli) in enumerate(mems):
    master._setSlave(cli)
    data = i.to_bytes(4, "little") * 4
    master._reqTransaction(0x100, bytearray(data), 16, 0, rim.Write)
    master._waitTransaction(0)
    back = bytearray(16)
    master._reqTransaction(0x100, back, 16, 0, rim.Read)
    master._waitTransaction(0)
    assert master._getError() == "" and bytes(back) == data, (i, master._getError())
figure("traffic_s", round(time.monotonic() - t2, 2))
c0, w0 = time.process_time(), time.monotonic()
time.sleep(1.0)  # a figure, not a synchronisation: what the idle bridges cost
figure("idle_cpu_pct", round(100 * (time.process_time() - c0) / (time.monotonic() - w0)))
figure("verified", f"{N_STREAM}+{N_MEMORY}")

def stop_all(objs: list) -> None:
    """Stop ``objs`` from a few threads at once: each stop() waits up to one poll period for its thread."""
    chunks = [objs[k::32] for k in range(32)]
    workers = [threading.Thread(target=lambda c: [o.stop() for o in c], args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


if END == "stop":
    t3 = time.monotonic()
    stop_all([o for pair in streams + mems for o in pair])
    figure("stop_s", round(time.monotonic() - t3, 2))
    figure("threads_after", threading.active_count())
elif END == "half":  # half stopped (timed), the other half still serving, then left to interpreter exit
    t3 = time.monotonic()
    stop_all([o for pair in streams[::2] + mems[::2] for o in pair])
    figure("stop_s", round(time.monotonic() - t3, 2))
    figure("threads_after", threading.active_count())
    for i, (_srv, cli) in list(enumerate(mems))[1::2]:
        master._setSlave(cli)
        back = bytearray(16)
        master._reqTransaction(0x100, back, 16, 0, rim.Read)
        master._waitTransaction(0)
        assert master._getError() == "" and bytes(back) == i.to_bytes(4, "little") * 4, (i, master._getError())
    figure("still_serving", len(mems[1::2]))
figure("ending", round(time.monotonic(), 3))
