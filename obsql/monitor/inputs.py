"""Turning what users pass (polars, pandas, Arrow, numpy, lists, dicts) into polars, and naming each column's kind."""
from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

def as_frame(data: Any) -> pl.DataFrame:
    """`data` as a polars DataFrame: polars, pandas, Arrow tables, dicts of arrays, and 1-D/2-D numpy arrays.

    numpy columns are named `c0`, `c1`, ... (or `value` for a 1-D array), as the logging client names them.
    """
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.Series):
        return data.to_frame()
    if isinstance(data, np.ndarray):
        return _numpy_frame(data)
    if isinstance(data, dict):
        return pl.DataFrame({name: as_series(values) for name, values in data.items()})
    module = type(data).__module__.partition(".")[0]
    if module == "pandas":
        return pl.from_pandas(data)
    if module == "pyarrow":
        return pl.from_arrow(data)
    raise TypeError(f"expected a dataframe, Arrow table, dict of arrays or numpy array, got {type(data).__name__}")


def as_series(data: Any, name: str = "value") -> pl.Series:
    """Any 1-D array-like (numpy, list, polars, pandas, Arrow) as a polars Series."""
    if isinstance(data, pl.Series):
        return data
    module = type(data).__module__.partition(".")[0]
    if module == "pandas":
        return pl.from_pandas(data)
    if module == "pyarrow":
        return pl.Series(name, data)
    if isinstance(data, np.ndarray) and data.ndim != 1:
        raise ValueError(f"expected a 1-D array, got shape {data.shape}")
    return pl.Series(name, data)


def _numpy_frame(array: np.ndarray) -> pl.DataFrame:
    if array.ndim == 1:
        return pl.DataFrame({"value": array})
    if array.ndim != 2:
        raise ValueError(f"expected a 1-D or 2-D array, got shape {array.shape}")
    return pl.DataFrame({f"c{i}": array[:, i] for i in range(array.shape[1])})


def kind_of(dtype: pl.DataType) -> str:
    """The kind of a column for summaries and drift: numeric, categorical, boolean, temporal or other."""
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype in (pl.Date, pl.Datetime):
        return "temporal"
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        return "categorical"
    return "other"


def present(series: pl.Series) -> tuple[pl.Series, int]:
    """The series without nulls and NaN, and how many were dropped."""
    kept = series.drop_nulls() if series.null_count() else series
    if kept.dtype.is_float() and kept.is_nan().any():
        kept = kept.drop_nans()
    return kept, len(series) - len(kept)


def as_numbers(series: pl.Series) -> np.ndarray:
    """The values of a series without missing entries as float64: dates and datetimes as epoch seconds, booleans
    as 0/1."""
    if series.dtype in (pl.Date, pl.Datetime):
        return series.dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    return series.to_numpy().astype(np.float64, copy=False)
