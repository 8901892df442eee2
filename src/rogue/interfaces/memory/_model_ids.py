"""Register model ids (Rogue's ``rim.PyFunc`` ... ``rim.Custom``): pure constants.

A pyrogue model's ``modelId`` selects how ``rim.Variable`` converts values
(``Constants.h`` of Rogue 6.15); the numbers are Rogue's.
"""

from __future__ import annotations

__all__ = [
    "BFLOAT16", "BOOL", "BYTES", "CUSTOM", "DOUBLE", "FIXED", "FLOAT", "FLOAT16", "FLOAT4", "FLOAT6", "FLOAT8",
    "INT", "MODEL_NAMES", "PYFUNC", "STRING", "TENSORFLOAT32", "UFIXED", "UINT",
]

PYFUNC = 0x00
BYTES = 0x01
UINT = 0x02
INT = 0x03
BOOL = 0x04
STRING = 0x05
FLOAT = 0x06
DOUBLE = 0x07
FIXED = 0x08
UFIXED = 0x09
FLOAT16 = 0x0A
FLOAT8 = 0x0B
BFLOAT16 = 0x0C
TENSORFLOAT32 = 0x0D
FLOAT6 = 0x0E
FLOAT4 = 0x0F
CUSTOM = 0x80

#: The exported name of every id (``rim.<name>``).
MODEL_NAMES = {
    PYFUNC: "PyFunc", BYTES: "Bytes", UINT: "UInt", INT: "Int", BOOL: "Bool", STRING: "String", FLOAT: "Float",
    DOUBLE: "Double", FIXED: "Fixed", UFIXED: "UFixed", FLOAT16: "Float16", FLOAT8: "Float8", BFLOAT16: "BFloat16",
    TENSORFLOAT32: "TensorFloat32", FLOAT6: "Float6", FLOAT4: "Float4", CUSTOM: "Custom",
}
