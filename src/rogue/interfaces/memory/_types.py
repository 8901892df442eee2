"""Memory transaction types: the one definition of Rogue's numbers (pure constants).

``rim.Read`` ... ``rim.Verify`` are these values; the memory bridge's wire
format (``docs/wire.md``) and SRPv3 (``docs/srpv3.md``) carry them or map them.
"""

from __future__ import annotations

__all__ = ["POST", "PROBE", "READ", "TYPE_NAMES", "VERIFY", "WRITE"]

READ = 1
WRITE = 2
POST = 3
VERIFY = 4
#: ``TcpBridgeProbe``: the memory bridge's readiness probe, answered by the server itself.
PROBE = 0xFFFFFFFE

TYPE_NAMES = {READ: "Read", WRITE: "Write", POST: "Post", VERIFY: "Verify", PROBE: "TcpBridgeProbe"}
