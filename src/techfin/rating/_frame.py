"""Column access for whatever table a caller hands the engine.

The engine accepts a pandas DataFrame, a polars DataFrame, a mapping of column name to
array, or a 2-D NumPy array (columns named ``x0``, ``x1``, ...). It never imports pandas
(not a runtime dependency) and imports polars only when handed polars data (it costs
~25 MB of memory): both frame kinds expose ``columns`` and ``frame[name].to_numpy()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl


class RatingInputError(ValueError):
    """Bad input to the rating engine, with a message naming the column."""


def _is_polars(obj: Any) -> bool:
    return type(obj).__module__.split(".", 1)[0] == "polars"


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
    if _is_polars(col):
        import polars as pl

        return bool(col.dtype.is_numeric() or col.dtype in (pl.Boolean, pl.Null))
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
    if _is_polars(col):
        import polars as pl

        if not (col.dtype.is_numeric() or col.dtype in (pl.Boolean, pl.Null)):
            raise RatingInputError(f"column {name!r}: expected numbers, got {col.dtype}")
        return np.asarray(col.cast(pl.Float64).to_numpy(), dtype=np.float64)
    if hasattr(col, "to_numpy") and not isinstance(col, np.ndarray):
        dtype = getattr(col, "dtype", None)
        kind = getattr(dtype, "kind", "O")
        if kind not in "biuf":
            if kind == "O" and _object_is_numeric(np.asarray(col.to_numpy())):
                pass
            else:
                raise RatingInputError(f"column {name!r}: expected numbers, got {dtype}")
        if isinstance(dtype, np.dtype) and dtype == np.float64:
            return np.asarray(col.to_numpy())  # NumPy-backed float64: no copy needed
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

    out: pl.Series = _string_column(X, name)
    return out


def _string_column(X: Any, name: str) -> Any:
    import polars as pl

    col = _raw(X, name)
    if _is_polars(col):
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


def category_codes(X: Any, name: str) -> tuple[np.ndarray, list[str | None]]:
    """Factorise a column into integer codes and the distinct values as text.

    Code ``k`` stands for ``uniques[k]``; a missing value has code -1. pandas categoricals
    use their own codes, other pandas columns ``Series.factorize`` (hash-based), polars
    columns a categorical cast, anything else a dictionary pass. Only the (few) distinct
    values are ever formatted or looked up, so cost is one hash pass per column.
    """
    col = _raw(X, name)
    if not isinstance(col, np.ndarray) and not _is_polars(col) and hasattr(col, "to_numpy"):
        if hasattr(col, "cat"):
            codes = np.asarray(col.cat.codes.to_numpy(), dtype=np.int64)
            return codes, [_fmt(v) for v in col.cat.categories]
        if hasattr(col, "factorize"):
            codes_, uniques = col.factorize()
            return np.asarray(codes_, dtype=np.int64), [_fmt(v) for v in uniques]
    if _is_polars(col):
        import polars as pl

        s = string_column(X, name)
        cat = s.cast(pl.Categorical)
        phys = cat.to_physical()
        uniq_phys = phys.unique().drop_nulls().sort()
        if len(uniq_phys) == 0:
            return np.full(len(s), -1, dtype=np.int64), []
        # physical codes may be sparse (global string cache): compact them
        labels = pl.Series(uniq_phys).cast(pl.UInt32)
        texts = pl.DataFrame({"p": phys, "s": s}).unique(subset="p").drop_nulls("p").sort("p")["s"]
        lut = np.full(int(labels.max()) + 1, -1, dtype=np.int64)  # type: ignore[arg-type]
        lut[labels.to_numpy()] = np.arange(len(labels))
        codes = phys.fill_null(0).to_numpy().astype(np.int64)
        codes = lut[codes]
        codes[s.is_null().to_numpy()] = -1
        return codes, texts.to_list()
    arr = np.asarray(col)
    seen: dict[str | None, int] = {}
    uniques_txt: list[str | None] = []
    out = np.empty(len(arr), dtype=np.int64)
    for i, v in enumerate(arr):
        t = _fmt(v)
        if t is None:
            out[i] = -1
            continue
        k = seen.get(t)
        if k is None:
            k = seen[t] = len(uniques_txt)
            uniques_txt.append(t)
        out[i] = k
    return out, uniques_txt


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
