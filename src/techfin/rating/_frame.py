"""Column access for whatever table a caller hands the engine.

The engine accepts a pandas DataFrame, a polars DataFrame, a mapping of column name to
array, or a 2-D NumPy array (columns named ``x0``, ``x1``, ...). It never imports pandas
(not a runtime dependency): both pandas and polars frames expose ``columns`` and
``frame[name].to_numpy()``. Non-numeric columns become polars ``String`` series so that
mapping categories to bins runs in polars' native code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl


class RatingInputError(ValueError):
    """Bad input to the rating engine, with a message naming the column."""


def column_names(X: Any) -> list[str]:
    if isinstance(X, np.ndarray):
        if X.ndim != 2:
            raise RatingInputError(f"expected a 2-D array, got {X.ndim}-D")
        return [f"x{i}" for i in range(X.shape[1])]
    if isinstance(X, Mapping):
        return [str(k) for k in X]
    cols = getattr(X, "columns", None)
    if cols is None:
        raise RatingInputError(f"cannot read columns from {type(X).__name__}")
    return [str(c) for c in cols]


def n_rows(X: Any) -> int:
    if isinstance(X, np.ndarray):
        return int(X.shape[0])
    if isinstance(X, Mapping):
        first = next(iter(X.values()), None)
        return 0 if first is None else len(first)
    return len(X)


def _raw(X: Any, name: str) -> Any:
    if isinstance(X, np.ndarray):
        return X[:, int(name[1:])]
    if isinstance(X, Mapping):
        return X[name]
    try:
        return X[name]
    except Exception as exc:  # pandas KeyError, polars ColumnNotFoundError
        raise RatingInputError(f"column {name!r} is missing from the data") from exc


def is_numeric_column(X: Any, name: str) -> bool:
    col = _raw(X, name)
    if isinstance(col, pl.Series):
        return col.dtype.is_numeric() or col.dtype == pl.Boolean or col.dtype == pl.Null
    dtype = getattr(col, "dtype", None)
    if dtype is not None and isinstance(dtype, np.dtype):
        if dtype.kind in "biuf":
            return True
        if dtype.kind == "O":
            arr = np.asarray(col)
            return _object_is_numeric(arr)
        return False
    if dtype is not None:  # pandas extension dtypes (Int64, Float64, category, str)
        kind = getattr(dtype, "kind", "O")
        return kind in "biuf"
    arr = np.asarray(col)
    if arr.dtype.kind in "biuf":
        return True
    return arr.dtype.kind == "O" and _object_is_numeric(arr)


def _object_is_numeric(arr: np.ndarray) -> bool:
    sample = [v for v in arr[:1000] if v is not None and v == v]
    return bool(sample) and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in sample
    )


def numeric_column(X: Any, name: str) -> np.ndarray:
    """Float64 values with NaN for missing; strings raise a clear error."""
    col = _raw(X, name)
    if isinstance(col, pl.Series):
        if not (col.dtype.is_numeric() or col.dtype in (pl.Boolean, pl.Null)):
            raise RatingInputError(f"column {name!r}: expected numbers, got {col.dtype}")
        return col.cast(pl.Float64).to_numpy().astype(np.float64, copy=False)
    if hasattr(col, "to_numpy") and not isinstance(col, np.ndarray):
        dtype = getattr(col, "dtype", None)
        kind = getattr(dtype, "kind", "O")
        if kind not in "biuf":
            if kind == "O" and _object_is_numeric(np.asarray(col.to_numpy())):
                pass
            else:
                raise RatingInputError(f"column {name!r}: expected numbers, got {dtype}")
        try:
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        except TypeError:
            arr = col.to_numpy()
        return np.asarray(arr, dtype=np.float64)
    arr = np.asarray(col)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    try:
        out = np.array([np.nan if v is None else v for v in arr], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RatingInputError(f"column {name!r}: expected numbers, got text") from exc
    return out


def string_column(X: Any, name: str) -> pl.Series:
    """Values as a polars String series, null for missing; numbers formatted as text."""
    col = _raw(X, name)
    if isinstance(col, pl.Series):
        s = col
    elif hasattr(col, "cat") and hasattr(col, "to_numpy") and not isinstance(col, np.ndarray):
        # pandas categorical: map the (few) categories, then index by codes
        cats = [_fmt(v) for v in col.cat.categories]
        codes = col.cat.codes.to_numpy()
        table = pl.Series([*cats, None], dtype=pl.String)
        return table.gather(np.where(codes < 0, len(cats), codes))
    elif hasattr(col, "to_numpy") and not isinstance(col, np.ndarray):
        try:
            conv = pl.from_pandas(col)
            s = conv if isinstance(conv, pl.Series) else conv.to_series()
        except Exception:
            s = pl.Series(name, [_fmt(v) for v in col.to_numpy()], dtype=pl.String)
    else:
        arr = np.asarray(col)
        if arr.dtype.kind in "US":
            s = pl.Series(name, arr.astype(str))
        else:
            s = pl.Series(name, [_fmt(v) for v in arr], dtype=pl.String)
    if s.dtype == pl.String:
        return s
    if s.dtype in (pl.Categorical, pl.Enum):
        return s.cast(pl.String)
    if s.dtype.is_float():
        # 3.0 -> "3", NaN -> null: the same text whatever the source's float width
        f = s.cast(pl.Float64)
        f = f.fill_nan(None)
        is_int = (f == f.floor()).fill_null(False)
        as_int = f.cast(pl.Int64, strict=False).cast(pl.String)
        return pl.select(
            pl.when(pl.lit(is_int)).then(pl.lit(as_int)).otherwise(pl.lit(f.cast(pl.String)))
        ).to_series()
    return s.cast(pl.String, strict=False)


def _fmt(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float | np.floating):
        if v != v:
            return None
        if float(v).is_integer():
            return str(int(v))
        return repr(float(v))
    return str(v)


def as_sequence(values: Any) -> Sequence[Any]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return list(values)
