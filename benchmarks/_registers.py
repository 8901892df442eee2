"""Registers section: pyrogue register access on rogue-bridge and, when ``ROGUE_PEER_PYTHON`` names a C++ Rogue
interpreter (e.g. ``~/.rogue-peer/rpy``), on C++ Rogue, with the same pyrogue and the same harness
(``registers.py``, each run in a process of its own).

Each repetition runs, in turn: rogue-bridge (local, bridge, engine), C++ Rogue (the same), then the bridge case
crossed, our client against C++ Rogue's server and C++ Rogue's client against ours; each case keeps its best
run. Crossing says how much of a gap across the bridge is the client's and how much the server's. Targets
(issue 24): rogue-bridge at least 0.7 of C++ Rogue's rate locally and 0.95 across the bridge.
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
PEER_ENV = "ROGUE_PEER_PYTHON"
OURS, CPP = "rogue-bridge", "C++ Rogue"
#: (row name, client, server, sections): the client/server pairs measured in every repetition.
COMBOS = ((OURS, "ours", "ours", SECTIONS), (CPP, "peer", "peer", SECTIONS),
          ("ours client, C++ server", "ours", "peer", ("bridge",)),
          ("C++ client, ours server", "peer", "ours", ("bridge",)))


def _run(client: list[str], client_core: str, server: list[str], server_core: str, sections: tuple[str, ...],
         seconds: float, peers: Path) -> dict[str, Any]:
    """One run of ``registers.py`` (its own processes); its JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "registers.json"
        cmd = [*client, str(SCRIPT), "--core", client_core, "--server-python", shlex.join(server),
               "--server-core", server_core, "--sections", ",".join(sections), "--seconds", str(seconds),
               "--repeats", "1", "--pyrogue", str(peers), "--json", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
        return json.loads(out.read_text())


def run(quick: bool, reps: int) -> dict[str, Any]:
    """Every combination, ``reps`` times interleaved; the best rate of each case, the ratios and the targets."""
    peers = pyrogue_dir()
    if not (peers / "pyrogue" / "__init__.py").is_file():
        return {"skipped": f"pyrogue not present at {peers} (the project's shared/ folder is absent)"}
    peer = os.environ.get(PEER_ENV, "").strip()
    peer_cmd = shlex.split(os.path.expanduser(peer)) if peer else []
    python = {"ours": ([sys.executable], "rogue-bridge"), "peer": (peer_cmd, "installed")}
    combos = [c for c in COMBOS if peer_cmd or "peer" not in c[1:3]]
    seconds = QUICK_SECONDS if quick else SECONDS
    best: dict[str, dict[str, dict[str, float]]] = {}
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(reps):
        for name, client, server, sections in combos:
            res = _run(*python[client], python[server][0], python[server][1], sections, seconds, peers)
            runs.setdefault(name, []).append(res)
            for section in sections:
                for case, rate in res[section].items():
                    cell = best.setdefault(name, {}).setdefault(section, {})
                    cell[case] = max(cell.get(case, 0.0), rate)
        print(f"registers: repetition done ({', '.join(n for n, *_ in combos)})", file=sys.stderr, flush=True)
    rows: list[dict[str, Any]] = []
    for section in SECTIONS:
        for case, ours in best[OURS][section].items():
            cpp = best.get(CPP, {}).get(section, {}).get(case)
            rows.append({"section": section, "case": case, "rogue_bridge_per_s": ours, "cpp_rogue_per_s": cpp,
                         "ratio": round(ours / cpp, 3) if cpp else None})
    crossed = [{"case": case, **{name: best[name]["bridge"][case] for name, *_ in combos}}
               for case in best[OURS]["bridge"]]
    targets = [{"target": f"registers {r['section']} {r['case']} vs C++ Rogue", "measured": r["ratio"],
                "goal": GOALS[r["section"]], "met": r["ratio"] >= GOALS[r["section"]]}
               for r in rows if r["ratio"] is not None and r["section"] in GOALS]
    versions = {name: {k: rs[0].get(k) for k in ("core", "rogue_version", "python", "server_core")}
                for name, rs in runs.items()}
    return {"peer": peer or None, "seconds": seconds, "rows": rows, "crossed": crossed, "targets": targets,
            "runs": versions,
            "note": None if peer else f"C++ Rogue not measured: set {PEER_ENV} to its interpreter "
                                      "(e.g. ~/.rogue-peer/rpy, built by shared/tools/build-rogue-peer.sh)"}


def report(reg: dict[str, Any], table: Any) -> str:
    """The section's tables, as ``python -m benchmarks`` prints them."""
    if "skipped" in reg:
        return f"Registers: skipped ({reg['skipped']})\n"
    out = [table("Registers (pyrogue RemoteVariable calls/s, the same pyrogue and harness on both cores; "
                 "local: rim.Emulate in-process, bridge: rim.TcpClient -> TcpServer >> Emulate in a 2nd process, "
                 "engine: _set/_get without a transaction)", reg["rows"],
                 ["section", "case", "rogue_bridge_per_s", "cpp_rogue_per_s", "ratio"])]
    if len(reg["crossed"][0]) > 2:
        out.append(table("Registers across the bridge, client x server (calls/s)", reg["crossed"],
                         ["case", *[k for k in reg["crossed"][0] if k != "case"]]))
    if reg["targets"]:
        out.append(table("Registers targets (ratio to C++ Rogue in this run)", reg["targets"],
                         ["target", "measured", "goal", "met"]))
    if reg["note"]:
        out.append(reg["note"])
    return "\n\n".join(out) + "\n"
