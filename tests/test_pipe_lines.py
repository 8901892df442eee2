"""conftest.PipeLines: a child's output line by line with a timeout, lines written together included."""

from __future__ import annotations

import subprocess
import sys

from conftest import HANG_S, PipeLines

# Four lines in one write, then nothing until stdin closes: the shape of a pyrogue root's start-up (three lines
# of pyrogue's, then the test script's "ready"). A select() on the pipe followed by the file's readline() saw
# the first line and then waited for the other three, already read ahead into the file's buffer.
_CHILD = "import sys; sys.stdout.write('a\\nb\\nc\\nready 1\\n'); sys.stdout.flush(); sys.stdin.read(); print('end')"


def test_lines_written_together_are_each_returned() -> None:
    p = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdin is not None and p.stdout is not None
    try:
        lines = PipeLines(p.stdout)
        assert [lines.line(HANG_S) for _ in range(4)] == ["a\n", "b\n", "c\n", "ready 1\n"]
        assert lines.line(0.05) is None  # nothing more was written: a timeout, not a hang
    finally:
        p.stdin.close()
        p.wait(HANG_S)
    assert lines.line(HANG_S) == "end\n"
    assert lines.line(HANG_S) == ""  # the end of the output, as often as asked
    assert lines.line(HANG_S) == ""
    p.stdout.close()


def test_rest_is_what_was_read_past_the_last_line() -> None:
    p = subprocess.Popen([sys.executable, "-c", "print('one'); print('two', end='')"], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout is not None
    p.wait(HANG_S)
    lines = PipeLines(p.stdout)
    assert lines.line(HANG_S) == "one\n"
    assert lines.rest() == "two"  # read with the first line: handed back, not lost
    out, _ = p.communicate(timeout=HANG_S)
    assert out == ""  # the file object itself was never read ahead
