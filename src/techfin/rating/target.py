"""The bad/good target: 1 = bad (default, event), 0 = good.

Accepted encodings: 0/1 (or booleans); text where ``"bad"`` (any case) is bad and any other
value is good; or any column with an explicit ``bad_value``. A target with one class, or a
missing target, is an error: the engine never fits on it silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from techfin.rating._frame import RatingInputError


def encode_target(y: Any, bad_value: Any = None) -> np.ndarray:
    """Return a float64 array of 0/1, bad = 1."""
    if hasattr(y, "to_numpy") and not isinstance(y, np.ndarray):
        arr = np.asarray(y.to_numpy())
    else:
        arr = np.asarray(y)
    if arr.ndim != 1:
        arr = arr.ravel()
    if arr.size == 0:
        raise RatingInputError("target is empty")
    if bad_value is not None:
        if arr.dtype.kind in "biuf":
            try:
                bv: Any = float(bad_value)
            except (TypeError, ValueError):
                bv = bad_value
            out = (arr.astype(np.float64) == bv).astype(np.float64)
        else:
            out = np.asarray([str(v) == str(bad_value) for v in arr], dtype=np.float64)
    elif arr.dtype.kind == "b":
        out = arr.astype(np.float64)
    elif arr.dtype.kind in "iuf":
        f = arr.astype(np.float64)
        if np.isnan(f).any():
            raise RatingInputError("target has missing values")
        vals = set(np.unique(f).tolist())
        if not vals <= {0.0, 1.0}:
            raise RatingInputError(
                f"numeric target must be 0/1 (1 = bad), got values {sorted(vals)[:5]}; "
                "pass bad_value to say which value is bad"
            )
        out = f
    else:
        if any(v is None or (isinstance(v, float) and v != v) for v in arr):
            raise RatingInputError("target has missing values")
        text = np.asarray([str(v).strip().lower() for v in arr])
        if set(np.unique(text).tolist()) <= {"0", "1"}:
            out = (text == "1").astype(np.float64)
        else:
            out = (text == "bad").astype(np.float64)
    n_bad = float(out.sum())
    if n_bad == 0 or n_bad == len(out):
        only = "bad" if n_bad else "good"
        raise RatingInputError(
            f"target has one class only (every row is {only}): a scorecard needs goods and bads"
        )
    return np.asarray(out, dtype=np.float64)
