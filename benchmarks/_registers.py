"""Registers section: pyrogue register access on rogue-bridge and, when ``ROGUE_PEER_PYTHON`` names a C++ Rogue
interpreter (e.g. ``~/.rogue-peer/rpy``), on C++ Rogue, with the same pyrogue and the same harness
(``registers.py``).

One ``registers.py --worker`` process per client/server pair stays up for the whole section: rogue-bridge (local,
bridge, engine), C++ Rogue (the same), and the bridge case crossed, our client against C++ Rogue's server and
C++ Rogue's client against ours, and C++ Rogue's client against a bare pyzmq loop (on each interpreter): the
ceiling of any Python server. Each case is run on every pair in turn, seconds apart, :data:`REPS` times (each pair
going first in turn); each keeps its best run (a shared machine only ever slows a run down). Crossing says how much
of a gap across the bridge is the client's and how much the server's; the loop, how much of the server's any
Python server must pay. Targets (issue 24): rogue-bridge at least 0.7 of C++ Rogue's rate locally and 0.95 across
the bridge.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .registers import pyrogue_dir

SCRIPT = Path(__file__).with_name("registers.py")
GOALS = {"local": 0.7, "bridge": 0.95}
SECTIONS = ("local", "bridge", "engine")
SECONDS, QUICK_SECONDS = 0.5, 0.02  # each case's timed run
REPS = 5  # runs of each case on each pair (1 with --quick)
PEER_ENV = "ROGUE_PEER_PYTHON"
OURS, CPP, OURS_PEER_PY = "rogue-bridge", "C++ Rogue", "rogue-bridge on C++ Rogue's Python"
#: The ceiling of any Python server: C++ Rogue's client against a bare pyzmq loop over a memory image
#: (``registers.py --core pyzmq``: no checks, no Transaction, no slave), on our interpreter and on C++ Rogue's.
LEAN, LEAN_PEER_PY = "C++ client, pyzmq-loop server", "C++ client, pyzmq-loop server on C++ Rogue's Python"
#: (row name, client, server, sections): the client/server pairs measured in every repetition. The last runs
#: rogue-bridge on the interpreter of C++ Rogue's wrapper (both ends of its bridge too): this one may be a slower
#: build of Python (here pyenv's 3.11.7, built without --enable-optimizations and on a shared libpython, against
#: Debian's static 3.11.2 binary: locks, allocations and calls into C 1.3 to 2 times slower), and pyrogue's own
#: Python, most of what a call costs, then runs slower for rogue-bridge alone.
COMBOS = ((OURS, "ours", "ours", SECTIONS), (CPP, "peer", "peer", SECTIONS),
          ("ours client, C++ server", "ours", "peer", ("bridge",)),
          ("C++ client, ours server", "peer", "ours", ("bridge",)),
          (OURS_PEER_PY, "ours_peer_py", "ours_peer_py", SECTIONS),
          (LEAN, "peer", "lean", ("bridge",)), (LEAN_PEER_PY, "peer", "lean_peer_py", ("bridge",)))


class _Worker:
    """``registers.py --worker`` in its own process (and its bridge server in another): one case per request."""

    def __init__(self, name: str, client: list[str], client_core: str, server: list[str], server_core: str,
                 sections: tuple[str, ...], peers: Path) -> None:
        self.name = name
        self.cmd = [*client, str(SCRIPT), "--worker", "--core", client_core, "--server-python",
                    shlex.join(server), "--server-core", server_core, "--sections", ",".join(sections),
                    "--pyrogue", str(peers)]
        self.err = tempfile.TemporaryFile("w+")  # read only on failure: a pipe left unread could fill and block it
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, bufsize=1)
        line = self._line("ready ")  # C++ Rogue prints a banner first
        self.info: dict[str, Any] = json.loads(line[len("ready "):])

    def _line(self, prefix: str) -> str:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(prefix):
                return line
        self.proc.wait(30)
        self.err.seek(0)
        raise RuntimeError(f"registers worker {self.name} ended: {shlex.join(self.cmd)}\n{self.err.read()[-2000:]}")

    def rate(self, section: str, case: str, seconds: float) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{section}|{case}|{seconds}\n")
        self.proc.stdin.flush()
        return float(self._line("rate ").split()[1])

    def close(self) -> None:
        """End of input: the worker stops its Roots and its server and exits (killed if it hangs)."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.err.close()


def run(quick: bool) -> dict[str, Any]:
    """Every case on every client/server pair, :data:`REPS` times, the pairs in turn for each case; the best rate
    of each, the ratios and the targets."""
    peers = pyrogue_dir()
    if not (peers / "pyrogue" / "__init__.py").is_file():
        return {"skipped": f"pyrogue not present at {peers} (the project's shared/ folder is absent)"}
    peer = os.environ.get(PEER_ENV, "").strip()
    peer_cmd = shlex.split(os.path.expanduser(peer)) if peer else []
    python = {"ours": ([sys.executable], "rogue-bridge"), "peer": (peer_cmd, "installed"),
              "ours_peer_py": (peer_cmd, "rogue-bridge"), "lean": ([sys.executable], "pyzmq"),
              "lean_peer_py": (peer_cmd, "pyzmq")}
    combos = [c for c in COMBOS if peer_cmd or not {"peer", "ours_peer_py", "lean_peer_py"} & set(c[1:3])]
    seconds, reps = (QUICK_SECONDS, 1) if quick else (SECONDS, REPS)
    workers: list[_Worker] = []
    rates: dict[str, dict[str, dict[str, list[float]]]] = {}  # pair -> section -> case -> every run
    try:
        for name, client, server, sections in combos:
            workers.append(_Worker(name, *python[client], *python[server], sections, peers))
        for rep in range(reps):
            order = workers[rep % len(workers):] + workers[:rep % len(workers)]  # each pair goes first in turn
            for section in SECTIONS:
                for case in workers[0].info["cases"][section]:
                    for w in order:  # the pairs one after the other: seconds apart, under the same load
                        if section in w.info["cases"]:
                            runs = rates.setdefault(w.name, {}).setdefault(section, {}).setdefault(case, [])
                            runs.append(w.rate(section, case, seconds))
            if not quick:
                print(f"registers: repetition {rep + 1} of {reps} done", file=sys.stderr, flush=True)
    finally:
        for w in workers:
            w.close()
    best = {name: {sec: {case: max(r) for case, r in cases.items()} for sec, cases in secs.items()}
            for name, secs in rates.items()}
    rows: list[dict[str, Any]] = []
    for section in SECTIONS:
        for case, ours in best[OURS][section].items():
            cpp = best.get(CPP, {}).get(section, {}).get(case)
            same = best.get(OURS_PEER_PY, {}).get(section, {}).get(case)
            rows.append({"section": section, "case": case, "rogue_bridge_per_s": ours, "cpp_rogue_per_s": cpp,
                         "ratio": round(ours / cpp, 3) if cpp else None,
                         "rogue_bridge_cpp_python_per_s": same,
                         "ratio_same_python": round(same / cpp, 3) if cpp and same else None,
                         "runs_rogue_bridge": rates[OURS][section][case],
                         "runs_cpp_rogue": rates.get(CPP, {}).get(section, {}).get(case),
                         "runs_rogue_bridge_cpp_python": rates.get(OURS_PEER_PY, {}).get(section, {}).get(case)})
    crossed = [{"case": case, **{name: best[name]["bridge"][case] for name, _, _, secs in combos
                                 if "bridge" in secs}}
               for case in best[OURS]["bridge"]]
    # What the server alone allows, all with C++ Rogue's client: our server and the bare pyzmq loop against C++
    # Rogue's server. The loop's ratio bounds what any Python server could reach across the bridge here.
    ceiling = [{"case": case, "cpp_server_per_s": cpp_rate,
                **{f"{key}_ratio": round(best[name]["bridge"][case] / cpp_rate, 3)
                   for key, name in (("ours_server", "C++ client, ours server"), ("pyzmq_loop", LEAN),
                                     ("pyzmq_loop_cpp_python", LEAN_PEER_PY)) if name in best}}
               for case in best[OURS]["bridge"]
               if (cpp_rate := best.get(CPP, {}).get("bridge", {}).get(case))]
    targets = [{"target": f"registers {r['section']} {r['case']} vs C++ Rogue", "measured": r["ratio"],
                "goal": GOALS[r["section"]], "met": r["ratio"] >= GOALS[r["section"]]}
               for r in rows if r["ratio"] is not None and r["section"] in GOALS]
    targets += [{"target": f"registers {r['section']} {r['case']} vs C++ Rogue, same Python",
                 "measured": r["ratio_same_python"], "goal": GOALS[r["section"]],
                 "met": r["ratio_same_python"] >= GOALS[r["section"]]}
                for r in rows if r["ratio_same_python"] is not None and r["section"] in GOALS]
    return {"peer": peer or None, "seconds": seconds, "repetitions": reps, "rows": rows, "crossed": crossed,
            "ceiling": ceiling, "targets": targets,
            "pairs": {w.name: {k: v for k, v in w.info.items() if k != "cases"} for w in workers},
            "note": None if peer else f"C++ Rogue not measured: set {PEER_ENV} to its interpreter "
                                      "(e.g. ~/.rogue-peer/rpy, built by shared/tools/build-rogue-peer.sh)"}


def report(reg: dict[str, Any], table: Any) -> str:
    """The section's tables, as ``python -m benchmarks`` prints them."""
    if "skipped" in reg:
        return f"Registers: skipped ({reg['skipped']})\n"
    out = [table("Registers (pyrogue RemoteVariable calls/s, the same pyrogue and harness on both cores; "
                 "local: rim.Emulate in-process, bridge: rim.TcpClient -> TcpServer >> Emulate in a 2nd process, "
                 "engine: _set/_get without a transaction; *_cpp_python: rogue-bridge on C++ Rogue's interpreter)",
                 reg["rows"], ["section", "case", "rogue_bridge_per_s", "cpp_rogue_per_s", "ratio",
                               "rogue_bridge_cpp_python_per_s", "ratio_same_python"])]
    if len(reg["crossed"][0]) > 2:
        out.append(table("Registers across the bridge, client x server (calls/s)", reg["crossed"],
                         ["case", *[k for k in reg["crossed"][0] if k != "case"]]))
    if reg.get("ceiling"):
        out.append(table("Registers across the bridge, the server's share: C++ Rogue's client against our server "
                         "and against a bare pyzmq loop (the ceiling of any Python server), as ratios to C++ Rogue's "
                         "server",
                         reg["ceiling"], list(reg["ceiling"][0])))
    if reg["targets"]:
        out.append(table("Registers targets (ratio to C++ Rogue in this run)", reg["targets"],
                         ["target", "measured", "goal", "met"]))
    if reg["note"]:
        out.append(reg["note"])
    return "\n\n".join(out) + "\n"
