"""Rogue's memory interface (``import rogue.interfaces.memory as rim``).

A :class:`Master` issues register transactions (:class:`Transaction`) to a
:class:`Slave`; a :class:`Hub` adds an address offset on the way; an
:class:`Emulate` slave is sparse memory. ``master >> slave`` and
``slave << master`` connect them. The register engine pyrogue stands on is
:class:`Block` (a staged register region) and :class:`Variable` (a field of
it), with the model ids ``PyFunc`` ... ``Custom``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rogue import _exports

from .emulate import Emulate
from .hub import Hub
from .master import Master
from .slave import Slave
from .tcp import TcpClient, TcpServer
from .transaction import Transaction, TransactionLock

from ._model_ids import BFLOAT16 as BFloat16
from ._model_ids import BOOL as Bool
from ._model_ids import BYTES as Bytes
from ._model_ids import CUSTOM as Custom
from ._model_ids import DOUBLE as Double
from ._model_ids import FIXED as Fixed
from ._model_ids import FLOAT as Float
from ._model_ids import FLOAT4 as Float4
from ._model_ids import FLOAT6 as Float6
from ._model_ids import FLOAT8 as Float8
from ._model_ids import FLOAT16 as Float16
from ._model_ids import INT as Int
from ._model_ids import PYFUNC as PyFunc
from ._model_ids import STRING as String
from ._model_ids import TENSORFLOAT32 as TensorFloat32
from ._model_ids import UFIXED as UFixed
from ._model_ids import UINT as UInt

from ._types import POST as Post
from ._types import PROBE as TcpBridgeProbe  # noqa: F401 - the bridge's readiness probe; not a user type
from ._types import READ as Read
from ._types import VERIFY as Verify
from ._types import WRITE as Write

__all__ = ["BFloat16", "Block", "Bool", "Bytes", "Custom", "Double", "Emulate", "Fixed", "Float", "Float4", "Float6",
           "Float8", "Float16", "Hub", "Int", "Master", "Post", "PyFunc", "Read", "Slave", "String", "TcpClient",
           "TcpServer", "TensorFloat32", "Transaction", "TransactionLock", "UFixed", "UInt", "Variable", "Verify",
           "Write"]

if TYPE_CHECKING:
    from .block import Block
    from .variable import Variable

# The register engine (and numpy with it) loads on first use: a bridge or the command line does not need it.
_exports.lazy(__name__, globals(), attributes={"Block": "block", "Variable": "variable"})
_exports.publish(__name__, globals())  # every class above reports this module, as in C++ Rogue
