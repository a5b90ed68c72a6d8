"""Turning the values a run logs into pointers.

- a str or path names one pointer; a list or tuple names several; None is skipped;
- a dataframe (polars, pandas), Arrow table or numpy array becomes the pointer `<component>.<variable>` and brings a
  bounded sample of rows and per-column summaries; a Spark DataFrame too, summarised and sampled by Spark
  (`obsql.spark.frames`: pyspark is imported only when one is logged, and it is never collected whole);
- any other object is named by `str()` and keeps a hash of its content, so a changed value under the same name shows.

A frame handed from one component to the next in the same process (the same content) keeps the name its producer
gave it, so lineage connects the two runs without the user naming anything.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from obsql.client.pointers import pointer_type
from obsql.monitor import inputs as frames

if TYPE_CHECKING:
    from obsql.spark.frames import SparkFrame


@dataclass
class Pointer:
    """One input or output of a run."""

    name: str
    type: str
    value: float | None = None
    content_hash: str | None = None
    frame: pl.DataFrame | SparkFrame | None = field(default=None, repr=False)


def as_frame(value: Any) -> pl.DataFrame | SparkFrame | None:
    """`value` as a polars DataFrame when it is tabular data (polars, pandas, Arrow, numpy), as a `SparkFrame` when
    it is a Spark DataFrame, else None."""
    module = type(value).__module__.partition(".")[0]
    if module == "pyspark" and type(value).__name__ == "DataFrame":
        from obsql.spark.frames import spark_frame

        return spark_frame(value)
    tabular = isinstance(value, (pl.DataFrame, pl.Series, np.ndarray)) or module == "pandas" \
        or (module == "pyarrow" and hasattr(value, "schema"))
    return frames.as_frame(value) if tabular else None


class FrameNames:
    """Remembers the pointer name recently logged frames got, by content, to reuse it when the same data comes back."""

    def __init__(self, capacity: int = 4096) -> None:
        self._names: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def name_for(self, content_hash: str) -> str | None:
        return self._names.get(content_hash)

    def remember(self, name: str, content_hash: str) -> None:
        self._names[content_hash] = name
        self._names.move_to_end(content_hash)
        while len(self._names) > self._capacity:
            self._names.popitem(last=False)


def to_pointers(value: Any, component: str, variable: str, frames: FrameNames, produced: bool) -> list[Pointer]:
    """The pointers a logged value stands for (see the module docstring for the rules)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Pointer(value, pointer_type(value))]
    if isinstance(value, os.PathLike):
        name = os.fspath(value)
        return [Pointer(name, pointer_type(name))]
    if isinstance(value, (list, tuple)):
        pointers = []
        for i, item in enumerate(value):
            if type(item) is str:  # the common case (ids, paths), kept cheap: bulk logging is per element
                pointers.append(Pointer(item, pointer_type(item)))
            else:
                pointers.extend(to_pointers(item, component, f"{variable}[{i}]", frames, produced))
        return pointers
    frame = as_frame(value)
    if frame is not None:
        return [_frame_pointer(frame, component, variable, frames, produced)]
    name = str(value)
    return [Pointer(name, pointer_type(name), content_hash=object_hash(value))]


def _frame_pointer(frame: pl.DataFrame | SparkFrame, component: str, variable: str, frames: FrameNames, produced: bool) -> Pointer:
    pointer = _named_by_content(frame_hash(frame), component, variable, frames, produced)
    pointer.type, pointer.frame = "data", frame
    return pointer


def artifact_pointer(value: Any, component: str, variable: str, frames: FrameNames, produced: bool) -> Pointer:
    """An object auto-logged by content: a dataframe as always, anything else named as a frame would be."""
    frame = as_frame(value)
    if frame is not None:
        return _frame_pointer(frame, component, variable, frames, produced)
    pointer = _named_by_content(object_hash(value), component, variable, frames, produced)
    pointer.type = pointer_type(variable)
    return pointer


def _named_by_content(digest: str, component: str, variable: str, frames: FrameNames, produced: bool) -> Pointer:
    """A pointer for content read under the name its producer gave it, or written as `<component>.<variable>`."""
    name = None if produced else frames.name_for(digest)
    name = name or f"{component}.{variable}"
    if produced:
        frames.remember(name, digest)
    return Pointer(name, "other", content_hash=digest)


def frame_hash(frame: pl.DataFrame | SparkFrame) -> str:
    """A content hash of a frame: its schema and every row (a Spark frame's: its schema and statistics)."""
    if _on_spark(frame):
        return frame.content_hash()
    digest = hashlib.blake2b(repr(frame.schema).encode(), digest_size=16)
    if frame.height and frame.width:
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def object_hash(value: Any) -> str:
    """A content hash of any object: its pickle when it pickles, else its repr."""
    try:
        payload = pickle.dumps(value, protocol=5)
    except Exception:  # not picklable (a local class, an open handle): its attributes still show changes
        payload = repr(getattr(value, "__dict__", value)).encode()
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def sample_columns(frame: pl.DataFrame | SparkFrame, max_rows: int) -> dict[str, list]:
    """A bounded, deterministic sample of a frame in long form, as columns of the samples table (of a Spark frame,
    its first `max_rows` rows, the only ones that leave the cluster)."""
    if _on_spark(frame):
        frame = frame.sample(max_rows)
    if frame.height > max_rows:
        picked = np.sort(np.random.default_rng(0).choice(frame.height, max_rows, replace=False))
        frame = frame[picked]
    rows, columns, nums, texts = [], [], [], []
    n = frame.height
    for series in frame.get_columns():
        numeric = _as_numbers(series)
        rows.extend(range(n))
        columns.extend([series.name] * n)
        if numeric is not None:
            nums.extend(numeric)
            texts.extend([None] * n)
        else:
            nums.extend([None] * n)
            texts.extend(None if v is None else str(v) for v in series.to_list())
    return {"row_index": rows, "column_name": columns, "num_value": nums, "text_value": texts}


def _on_spark(frame: pl.DataFrame | SparkFrame) -> bool:
    """Whether `frame` is a logged Spark DataFrame (told by module, so pyspark is never imported to ask)."""
    return type(frame).__module__ == "obsql.spark.frames"


def _as_numbers(series: pl.Series) -> list | None:
    """A column as floats (booleans as 0/1, times as epoch seconds), or None when it is not numeric."""
    dtype = series.dtype
    if dtype.is_numeric() or dtype == pl.Boolean:
        values = series.cast(pl.Float64)
    elif dtype == pl.Duration:
        values = series.dt.total_microseconds().cast(pl.Float64) / 1e6
    elif dtype in (pl.Date, pl.Datetime):
        values = series.cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64) / 1e6
    else:
        return None
    return [None if v is None or v != v else v for v in values.to_list()]
