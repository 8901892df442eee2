"""One home per concern, checked on the source: what lives where, and who may reach into it.

Read with :mod:`ast` (nothing is imported or run): a module that reaches
past a package's surface, or does another layer's work, fails here with its
file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "rogue"


def _modules(*, outside: str | None = None) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if outside is not None and rel.startswith(outside + "/"):
            continue
        yield path, ast.parse(path.read_text(), str(path))


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module name of a ``from ... import`` in ``path``."""
    if not node.level:
        return node.module or ""
    package = list(path.relative_to(SRC.parent).with_suffix("").parts)[:-1]
    if path.name == "__init__.py":
        package = list(path.relative_to(SRC.parent).parts)[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _surface(package: str) -> set[str]:
    init = ast.parse((SRC / package / "__init__.py").read_text())
    for node in init.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError(f"{package}/__init__.py has no __all__")


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(SRC.parent)}:{getattr(node, 'lineno', 0)}"


def test_security_is_reached_through_its_package_surface_only() -> None:
    """Outside ``rogue/_security/`` the library imports ``rogue._security``'s ``__all__`` and nothing deeper."""
    surface = _surface("_security")
    bad = []
    for path, tree in _modules(outside="_security"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = _absolute(path, node)
                if mod.startswith("rogue._security."):
                    bad.append(f"{_where(path, node)} imports {mod}")
                elif mod == "rogue._security":
                    bad += [f"{_where(path, node)} imports {a.name}" for a in node.names if a.name not in surface]
                elif mod == "rogue" and any(a.name == "_security" for a in node.names):
                    bad.append(f"{_where(path, node)} imports the package object")
    assert not bad, "security reached past its surface:\n" + "\n".join(bad)


def test_no_module_of_a_private_package_re_exports_a_sibling() -> None:
    """Inside ``_security``/``_transport`` only ``__init__`` re-exports: no chain of one module passing on another's names."""
    bad = []
    for package in ("_security", "_transport"):
        for path in sorted((SRC / package).glob("*.py")):
            if path.name == "__init__.py":
                continue
            tree = ast.parse(path.read_text())
            imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.level
                        for a in n.names}
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                    passed_on = set(ast.literal_eval(node.value)) & imported
                    bad += [f"{_where(path, node)} re-exports {name}" for name in sorted(passed_on)]
    assert not bad, "\n".join(bad)


def test_only_the_security_package_sets_curve_keys() -> None:
    """Every bridge end applies its security through ``SocketGuard``: nobody else sets CURVE options or keys."""
    bad = []
    for path, tree in _modules(outside="_security"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (node.attr == "apply_curve" or node.attr.startswith("curve_")):
                bad.append(f"{_where(path, node)} uses .{node.attr}")
    assert not bad, "security applied outside rogue._security:\n" + "\n".join(bad)


def test_transport_is_reached_through_its_package_surface_only() -> None:
    """Outside ``rogue/_transport/`` the library imports ``rogue._transport``'s ``__all__`` and nothing deeper."""
    surface = _surface("_transport")
    bad = []
    for path, tree in _modules(outside="_transport"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = _absolute(path, node)
                if mod.startswith("rogue._transport."):
                    bad.append(f"{_where(path, node)} imports {mod}")
                elif mod == "rogue._transport":
                    bad += [f"{_where(path, node)} imports {a.name}" for a in node.names if a.name not in surface]
    assert not bad, "transport reached past its surface:\n" + "\n".join(bad)


# What only rogue._transport does to a ZeroMQ socket: create it, set or read its options, attach
# its monitor, receive from it (a kernel socket pair's recv counts too: the wake-up pairs live there).
_SOCKET_CALLS = {"socket", "setsockopt", "getsockopt", "set", "get_monitor_socket", "monitor", "recv",
                 "recv_multipart", "recv_string", "recv_pyobj", "recv_json", "socketpair"}
_SOCKET_OPTIONS = {"linger", "rcvhwm", "sndhwm", "rcvtimeo", "sndtimeo", "immediate", "ipv6", "routing_id",
                   "router_mandatory", "heartbeat_ivl", "heartbeat_timeout", "handshake_ivl", "tcp_keepalive"}
# Security's own socket settings (rogue._security): CURVE keys and the ZAP domain.
_SECURITY_OPTIONS = {"curve_server", "curve_secretkey", "curve_publickey", "curve_serverkey", "zap_domain"}


def _socket_work(path: Path, tree: ast.Module) -> list[str]:
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SOCKET_CALLS:
            owner = node.func.value
            if node.func.attr in ("set", "socket") and not (
                    isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "context"
                    or getattr(owner, "id", "") in ("zmq", "ctx")):
                continue  # only a ZeroMQ context's socket()/set() count (a port probe's socket.socket() does not)
            bad.append(f"{_where(path, node)} calls .{node.func.attr}()")
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and t.attr in _SOCKET_OPTIONS:
                    bad.append(f"{_where(path, node)} sets .{t.attr}")
    return bad


def test_only_the_transport_layer_creates_configures_monitors_or_reads_sockets() -> None:
    """Bridges, security, the CLI and the graph leave sockets' creation, options, monitors and receives to ``_transport``."""
    bad = []
    for path, tree in _modules(outside="_transport"):
        bad += _socket_work(path, tree)
    assert not bad, "socket work outside rogue._transport:\n" + "\n".join(bad)


# The pure codecs of what goes on a link: one ``_wire.py`` per package (see each one's docstring).
_CODECS = ("interfaces/stream/_wire.py", "interfaces/memory/_wire.py", "protocols/srp/_wire.py")


def test_every_wire_protocol_has_its_codec_named_wire() -> None:
    for rel in _CODECS:
        assert (SRC / rel).is_file(), rel
    for package in ("interfaces/stream", "interfaces/memory", "protocols/srp"):  # register values: memory/_models/
        assert not (SRC / package / "_codec.py").exists(), "a wire codec is named _wire.py (files: _format.py)"


def test_bridges_and_protocols_decode_through_their_codecs_public_names() -> None:
    """No byte unpacking beside the codecs, and a codec's names used are the ones its ``__all__`` lists."""
    exported = {}
    for rel in _CODECS:
        tree = ast.parse((SRC / rel).read_text())
        mod = "rogue." + rel[:-3].replace("/", ".")
        exported[mod] = next(set(ast.literal_eval(n.value)) for n in tree.body if isinstance(n, ast.Assign)
                             and any(getattr(t, "id", "") == "__all__" for t in n.targets))
    bad = []
    for path, tree in _modules():
        rel = path.relative_to(SRC).as_posix()
        if rel in _CODECS:
            continue
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = _absolute(path, node)
                if mod in exported:
                    bad += [f"{_where(path, node)} imports {a.name} from {mod}" for a in node.names
                            if a.name not in exported[mod]]
                for a in node.names:
                    if f"{mod}.{a.name}" in exported:
                        aliases[a.asname or a.name] = f"{mod}.{a.name}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                if node.attr not in exported[aliases[node.value.id]]:
                    bad.append(f"{_where(path, node)} uses {node.value.id}.{node.attr}")
            elif (rel.startswith(("interfaces/", "protocols/")) and isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Attribute) and node.func.attr in ("unpack", "unpack_from")):
                bad.append(f"{_where(path, node)} unpacks bytes itself")
    assert not bad, "codec bypassed:\n" + "\n".join(bad)


def test_one_lock_helper_makes_the_lazy_locks() -> None:
    """The double-checked lazy ``_rlock`` is written once, in ``rogue/_held_lock.py``."""
    bad = []
    for path, tree in _modules():
        if path.name == "_held_lock.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "_rlock"
                                                    for t in node.targets):
                value = node.value
                if not (isinstance(value, ast.Constant) and value.value is None):
                    bad.append(f"{_where(path, node)} makes an _rlock itself")
    assert not bad, "\n".join(bad)
