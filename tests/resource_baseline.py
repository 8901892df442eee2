"""What a process holds (heap, descriptors, threads), to check that repeated work gives it all back."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import threading
import time
from collections.abc import Callable


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo2() -> Callable[[], _Mallinfo2] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.mallinfo2  # glibc >= 2.33
    except (OSError, AttributeError):
        return None
    fn.restype = _Mallinfo2
    fn.argtypes = []
    return fn


_MALLINFO2 = _mallinfo2()


def heap_in_use() -> int | None:
    """Bytes of the C heap in use (malloc'd, incl. mmap'd chunks) after a GC; None without mallinfo2."""
    if _MALLINFO2 is None:
        return None
    gc.collect()
    info = _MALLINFO2()
    return int(info.uordblks + info.hblkhd)


def fd_count() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


def thread_count() -> int:
    """Live Python threads."""
    return sum(1 for t in threading.enumerate() if t.is_alive())


def settles_to(measure: Callable[[], int], baseline: int, timeout: float = 5.0) -> int:
    """``measure()`` once it is back to ``baseline`` or lower, else its last value after ``timeout`` s.

    libzmq ends sockets in its own threads (and lingering ones drain in the
    background), so descriptors come back a little after close() returns.
    """
    end = time.monotonic() + timeout
    while True:
        value = measure()
        if value <= baseline or time.monotonic() > end:
            return value
        time.sleep(0.01)


_TCP_STATES = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1", "05": "FIN_WAIT2",
               "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT", "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}


def port_states(*ports: int) -> list[str]:
    """The kernel's TCP sockets on ``ports`` (Linux), ``'port STATE ours|other'`` each: for failure messages."""
    try:
        ours = {os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                if os.path.exists(f"/proc/self/fd/{fd}")}
        with open("/proc/net/tcp") as f:
            lines = f.read().splitlines()[1:]
    except OSError as exc:
        return [f"unknown ({exc})"]
    out = []
    for line in lines:
        fields = line.split()
        local = int(fields[1].rsplit(":", 1)[1], 16)
        if local in ports:
            owner = "ours" if f"socket:[{fields[9]}]" in ours else "other"
            out.append(f"{local} {_TCP_STATES.get(fields[3], fields[3])} {owner}")
    return out
