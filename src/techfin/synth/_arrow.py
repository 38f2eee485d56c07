"""Fast, deterministic construction of Arrow string columns from NumPy arrays.

Codes (credit codes, patent numbers, certificate numbers) are built as fixed-width ASCII byte
matrices and handed to Arrow without a Python loop; names are built by taking from small
vocabularies and joining element-wise in Arrow's C++ kernels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 ASCII matrix."""
    v = np.asarray(values, dtype=np.int64).copy()
    if v.size and (v.min() < 0 or v.max() >= 10**width):
        raise ValueError(f"value does not fit in {width} digits")
    out = np.empty((len(v), width), dtype=np.uint8)
    for col in range(width - 1, -1, -1):
        out[:, col] = DIGITS[v % 10]
        v //= 10
    return out


def ascii_matrix(text: str, n: int) -> np.ndarray:
    """A constant ASCII string repeated as an (n, len) matrix."""
    row = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.broadcast_to(row, (n, len(row)))


def strings_from_matrix(matrix: np.ndarray) -> pa.Array:
    """An Arrow string array from an (n, width) ASCII matrix (one row per string)."""
    m = np.ascontiguousarray(matrix, dtype=np.uint8)
    n, width = m.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(m.tobytes()))


def hstack(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.uint8) for p in parts], axis=1)


def take(vocabulary: Sequence[str], index: np.ndarray) -> pa.Array:
    """vocabulary[index] as an Arrow string array."""
    return pa.array(list(vocabulary), type=pa.string()).take(pa.array(index, type=pa.int64()))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays (and constant strings)."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "")


def mask_null(values: pa.Array, keep: np.ndarray) -> pa.Array:
    """`values` where `keep`, null elsewhere."""
    return pc.if_else(pa.array(keep, type=pa.bool_()), values, pa.scalar(None, values.type))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date32 array (null where not `valid`)."""
    d = np.asarray(days, dtype=np.int32)
    if valid is None:
        return pa.array(d, type=pa.date32())
    return pa.array(d, type=pa.date32(), mask=~np.asarray(valid, dtype=bool))


def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    v = np.asarray(values, dtype=np.int64)
    if valid is None:
        return pa.array(v, type=pa.int64())
    return pa.array(v, type=pa.int64(), mask=~np.asarray(valid, dtype=bool))
