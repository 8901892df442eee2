"""The README's command reference, generated from the parsers, so ``--help`` and the README cannot drift.

``python -m rogue.cli._helpdoc README.md`` rewrites the part of README.md
between the two markers; ``--check`` only says whether it is current (the
test suite checks that). The reference is a table of the subcommands (each
one's synopsis and its ``--help`` description) and a table of every option:
one row per option and meaning, with the subcommands that take it, so an
option that meant different things in different subcommands would show as
two rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["BEGIN", "END", "reference", "update"]

BEGIN = "<!-- cli-reference: generated from --help by `python -m rogue.cli._helpdoc README.md`; do not edit -->"
END = "<!-- end of cli-reference -->"
_SHARED_GROUPS = ("security", "link checking")  # options every bridge command has: in the options table only


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _shown(action: argparse.Action) -> bool:
    return action.help is not argparse.SUPPRESS and not isinstance(action, argparse._HelpAction)


def _option(action: argparse.Action) -> str:
    name = max(action.option_strings, key=len)
    if action.nargs == 0:
        return name
    metavar = action.metavar or action.dest.upper()
    return f"{name} {metavar}"


def _shared(parser: argparse.ArgumentParser) -> set[int]:
    ids: set[int] = set()
    for group in parser._action_groups:
        if (group.title or "").startswith(_SHARED_GROUPS):
            ids.update(id(a) for a in group._group_actions)
    return ids


def _synopsis(name: str, parser: argparse.ArgumentParser) -> str:
    shared = _shared(parser)
    parts = [f"rogue-bridge {name}"]
    for a in parser._actions:
        if not _shown(a) or id(a) in shared or a.dest == "verbose_sub":
            continue
        if a.option_strings:
            parts.append(f"[{_option(a)}]")
        else:
            metavar = a.metavar or a.dest.upper()
            parts.append(f"[{metavar}]" if a.nargs == "?" else f"{metavar}..." if a.nargs == "+" else str(metavar))
    if shared:
        parts.append("[security and link options]")
    return " ".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown of the command reference for ``parser`` (``rogue.cli.build_parser()``)."""
    subs = _subparsers(parser)
    lines = ["| command | what it does |", "|---|---|"]
    for name, p in subs.items():
        lines.append(f"| `{_synopsis(name, p)}` | {_cell(p.description or '')} |")
    rows: dict[tuple[str, str], list[str]] = {}
    for name, p in subs.items():
        for a in p._actions:
            if a.option_strings and _shown(a) and a.dest != "verbose_sub":
                rows.setdefault((_option(a), _cell(a.help or "")), []).append(name)
    lines += ["", "| option | commands | meaning |", "|---|---|---|"]
    for (opt, text), names in sorted(rows.items(), key=lambda kv: (kv[0][0].lstrip("-").lower(), kv[1])):
        where = "all" if len(names) == len(subs) else ", ".join(names)
        lines.append(f"| `{opt}` | {where} | {text} |")
    lines += ["", "Every subcommand also takes `-v` (more log messages, and tracebacks; before or after the "
              "subcommand) and `--help`."]
    return "\n".join(lines)


def update(readme: Path, check: bool = False) -> bool:
    """Rewrite the reference in ``readme`` (or, ``check``, only compare); True when it was current."""
    from . import build_parser

    text = readme.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = "\n" + reference(build_parser()) + "\n"
    if text[start:end] == new:
        return True
    if not check:
        readme.write_text(text[:start] + new + text[end:])
    return False


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--check"]
    path = Path(args[0] if args else "README.md")
    current = update(path, check="--check" in sys.argv)
    print(f"{path}: command reference {'is current' if current else ('is out of date' if '--check' in sys.argv else 'rewritten')}")
    sys.exit(0 if current or "--check" not in sys.argv else 1)
