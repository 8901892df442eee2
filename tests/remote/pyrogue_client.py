"""A pyrogue ``VirtualClient`` driven one JSON line at a time (run by test_pyrogue_remote.py).

Each stdin line is ``{"op": ..., ...}``; each answer, one stdout line, is
``@@{"ok": result}`` or ``@@{"error": exception type, "text": its message}``.
Ops: ``connect`` (port), ``get``/``set``/``call`` (path[, value]), ``listen``
(path), ``wait_update`` (path, value, timeout), ``simple_get`` (port, path:
through pyrogue's ``SimpleClient``), ``stop``.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import pyrogue.interfaces

_client: Any = None
_updates: dict[str, list[Any]] = {}
_cv = threading.Condition()


def _listener(path: str, value: Any) -> None:
    with _cv:
        _updates.setdefault(path, []).append(value.value)
        _cv.notify_all()


def _walk(node: Any) -> list[str]:
    paths = [node.path]
    for child in node.nodes.values():
        paths += _walk(child)
    return paths


def _do(cmd: dict[str, Any]) -> Any:
    global _client
    op = cmd["op"]
    if op == "connect":
        _client = pyrogue.interfaces.VirtualClient("127.0.0.1", cmd["port"])
        return {"root": _client.root.name, "nodes": sorted(_walk(_client.root))}
    if op == "simple_get":  # pyrogue's SimpleClient: pickles with plain pyzmq on the same ports
        simple = pyrogue.interfaces.SimpleClient("127.0.0.1", cmd["port"])
        try:
            return simple.get(cmd["path"])
        finally:
            simple._stop()
    if op == "stop":
        if _client is not None:
            _client.stop()
        return None
    if op == "wait_update":
        with _cv:
            done = _cv.wait_for(lambda: cmd["value"] in _updates.get(cmd["path"], []), cmd.get("timeout", 10.0))
            return list(_updates.get(cmd["path"], [])) if done else None
    node = _client.root.getNode(cmd["path"])
    if op == "get":
        return node.get()
    if op == "set":
        node.set(cmd["value"])
        return None
    if op == "call":
        return node()
    if op == "listen":
        node.addListener(_listener)
        return None
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    for line in sys.stdin:
        try:
            answer = {"ok": _do(json.loads(line))}
        except Exception as exc:  # noqa: BLE001 - reported to the test
            answer = {"error": type(exc).__name__, "text": str(exc)}
        print("@@" + json.dumps(answer), flush=True)  # pyrogue prints lines of its own


if __name__ == "__main__":
    main()
