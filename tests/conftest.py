"""Shared fixtures: free loopback port pairs, logging reset, leak checks; waiting on state and on calls; where the
project's ``shared/`` folder (the specification's vectors, the real pyrogue) is.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pytest

import rogue
from rogue import _ports


def free_port_pair() -> int:
    """A base port P with P and P+1 both free on 127.0.0.1, below the ephemeral range (``rogue._ports``)."""
    return _ports.free_port_pair()


def free_port_pairs(n: int, *taken: int) -> list[int]:
    """``n`` distinct base ports (P and P+1 free each), none overlapping the pairs at ``taken`` (``rogue._ports``).

    For ports chosen before any of them is bound: separate calls to :func:`free_port_pair` may return the same one.
    """
    pairs = [p for p in _ports.free_port_pairs(n + len(taken)) if all(abs(p - q) >= 2 for q in taken)]
    return pairs[:n]


def free_port_triple() -> int:
    """A base port P with P, P+1 and P+2 free on 127.0.0.1 (a ZmqServer's three ports)."""
    for p in _ports.free_port_pairs(64):
        if _ports.port_free(p + 2):
            return p
    raise OSError("no three consecutive free ports found")


# -- the project's shared/ folder ---------------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """``shared/`` beside the repository, or beside the folder holding it (a worktree kept in ``<repo>/../wt/NAME``).

    A user's fresh clone has none: every test that needs it skips, saying why.
    """
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared").is_dir():
            return base / "shared"
    return REPO.parent / "shared"


SHARED = _shared_dir()
SPEC = SHARED / "spec"  #: the format documents (``docs/`` holds copies)
VECTORS = SPEC / "vectors"  #: captured from C++ Rogue (``tests/<area>/vectors/`` hold copies)
SEEDS = SHARED / "seeds"  #: the user's documents
PEERS = SHARED / "peers"  #: the folder holding the real, unmodified pyrogue
TOOLS = SHARED / "tools"


def shared_or_skip(path: Path) -> Path:
    """``path`` (inside ``shared/``), or skip the calling test saying it is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent (the project's shared/ folder is not beside the repository)")
    return path


def pyrogue_present() -> bool:
    """True when the real pyrogue is at :data:`PEERS`."""
    return (PEERS / "pyrogue" / "__init__.py").is_file()


PYROGUE_ABSENT = f"pyrogue not present at {PEERS} (the project's shared/ folder is absent)"


def pyrogue_or_skip() -> Any:
    """``import pyrogue`` from :data:`PEERS` (put first on ``sys.path``), or skip the calling test saying why."""
    if not pyrogue_present():
        pytest.skip(PYROGUE_ABSENT)
    pytest.importorskip("yaml", reason="pyrogue needs PyYAML")
    if str(PEERS) not in sys.path:
        sys.path.insert(0, str(PEERS))
    import pyrogue

    return pyrogue


def pyrogue_env() -> dict[str, str]:
    """The environment of a child Python that imports this checkout's ``rogue`` and the real pyrogue."""
    paths = [str(REPO / "src"), str(PEERS), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


# -- a child's output, line by line ------------------------------------------------------------------------------
class PipeLines:
    """The lines a child process writes to a pipe, each waited for with a timeout.

    Reads the pipe's descriptor itself (``select`` then ``os.read``) into a buffer of its own. Not ``select`` then
    the file's ``readline()``: the file's text layer reads ahead, and a line it already holds is invisible to
    ``select``, which then waits for output that never comes (seen: a pyrogue root's ``ready`` line, written just
    after three other lines, read with them, and the test waiting 30 s for it). Bytes read past the last line
    returned stay here (:meth:`rest`); the file object itself is left unread, so ``communicate()`` returns what
    came after them.
    """

    def __init__(self, pipe: IO[Any]) -> None:
        self._fd = pipe.fileno()
        self._buf = b""
        self._eof = False

    def line(self, timeout: float) -> str | None:
        """The next line with its newline (``""`` once the output has ended), or None if none came in ``timeout`` s."""
        end = time.monotonic() + timeout
        while b"\n" not in self._buf and not self._eof:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                return None
            chunk = os.read(self._fd, 65536)
            self._buf += chunk
            self._eof = not chunk
        line, newline, self._buf = self._buf.partition(b"\n")
        return line.decode(errors="replace") + newline.decode()

    def rest(self) -> str:
        """What was read past the last line returned (to put before what ``communicate()`` returns)."""
        text, self._buf = self._buf.decode(errors="replace"), b""
        return text


# -- waiting ---------------------------------------------------------------------------------------------------
HANG_S = 10.0  # a hang guard, not a speed requirement: generous for a loaded 2-core CI machine


def running(thread: threading.Thread, *names: str) -> bool:
    """Whether ``thread`` is inside functions called each of ``names`` (anywhere on its stack): what it waits in."""
    found: set[str] = set()
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        found.add(frame.f_code.co_name)
        frame = frame.f_back
    return set(names) <= found


def poll_until(cond: Callable[[], object], timeout: float = HANG_S, period: float = 0.005) -> bool:
    """Poll ``cond`` until it is true (True) or ``timeout`` seconds pass (False); for state with no event."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return bool(cond())
        time.sleep(period)
    return True


def wait_until(cond: Callable[[], object], timeout: float = HANG_S, what: str = "the condition") -> None:
    """Poll ``cond`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    if not poll_until(cond, timeout):
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def returns(call: Callable[[], object], timeout: float = HANG_S, name: str = "test:call") -> object:
    """Run ``call`` in a thread; fail unless it returns within ``timeout`` (a hang guard); its result.

    An exception from ``call`` is raised here.
    """
    box: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    t = threading.Thread(target=run, name=name, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{name} still running after {timeout:g} s (hung)"
    if errors:
        raise errors[0]
    return box[0]


@pytest.fixture
def port() -> int:
    """A free base port (P and P+1 free)."""
    return free_port_pair()


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    rogue.Logging.reset()


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fail the test if it leaves a thread running."""
    before = set(threading.enumerate())
    yield

    def extra() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in before and t.is_alive()]

    if not poll_until(lambda: not extra(), HANG_S, 0.02):
        raise AssertionError(f"threads left running: {[t.name for t in extra()]}")
