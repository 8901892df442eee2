"""Exit codes and the one-line error every subcommand ends with.

0 success; 1 a runtime failure (nothing answering, a failed transaction or
check); 2 a usage error (a bad value or option, named in the one line); 130
stopped by Ctrl-C (SIGINT) and 143 by SIGTERM, each after a clean stop: the
shell's 128 + signal number.
"""

from __future__ import annotations

import signal

__all__ = ["EXIT_FAIL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TERMINATED", "EXIT_USAGE", "CliError", "UsageError",
           "exit_code_of_signal"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code ``code`` (1 unless given)."""

    def __init__(self, msg: str, code: int = EXIT_FAIL) -> None:
        super().__init__(msg)
        self.code = code


class UsageError(CliError):
    """A bad value or option: one line naming it, exit code 2."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg, EXIT_USAGE)


def exit_code_of_signal(signum: int) -> int:
    """The exit code after a clean stop on signal ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum) if signum else EXIT_INTERRUPTED
