"""A query's answer: column names and rows, the SQL that produced it, and the shape it is best shown in.

This module is a leaf: the engine builds results, the renderers draw them, and neither is imported here. The
columns of each shape live here once, for the engine that fills them, the renderers that draw them and the shell
that completes their names. A result draws itself (a notebook cell, a Python prompt, `.plot()`) with the drawers
`obsql.render` installs in `DRAWERS` when it is imported, as every surface that shows results does.
Arrow, polars and pandas forms are built on request, so showing a result in a terminal never loads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from collections.abc import Sequence
from typing import Any, Callable, Iterator

# The columns of each result shape, in order.
RUN_COLUMNS = ("run_id", "component", "start_time", "end_time", "duration_s", "status", "stale", "stale_reasons",
               "error", "notes", "git_commit", "host")
TRACE_COLUMNS = ("depth", "component", "run_id", "start_time", "end_time", "status", "stale", "stale_reasons",
                 "via", "parent_run_id", "repeated", "outputs")
SLICE_COLUMNS = ("pointer", "value", "depth", "run_id", "component", "start_time", "stale")
RANK_COLUMNS = ("rank", "run_id", "component", "start_time", "outputs", "coverage", "baseline_coverage", "lift",
                "score", "stale", "stale_reasons")
CARD_COLUMNS = ("section", "field", "value", "detail")
EXPECT_COLUMNS = ("expectation", "passed", "observed")
ADVERSARIAL_COLUMNS = ("rank", "feature", "importance", "auc", "loss")
DIAGNOSE_COLUMNS = ("rank", "component", "run_id", "start_time", "kind", "subject", "evidence", "score")

# What a shape needs to be drawn as itself; a result piped down to other columns is drawn as a table.
SHAPE_NEEDS: dict[str, frozenset[str]] = {
    "trace": frozenset(("depth", "component", "run_id")),
    "card": frozenset(CARD_COLUMNS),
    "expect": frozenset(EXPECT_COLUMNS),
}

# How results draw themselves: "text" (str), "html" (str) and "chart" (an SVG object), set by obsql.render.
DRAWERS: dict[str, Callable[["Result"], Any]] = {}


class ArrowRows(Sequence):
    """A result's rows kept as an Arrow table, made Python tuples only where they are read: a slice (the rows a
    renderer prints) converts just those rows, so a large answer costs its conversion only if someone asks for it
    all. Compares equal to a list of the same tuples."""

    BATCH = 10_000  # rows converted at a time when iterated

    def __init__(self, table: Any) -> None:
        self.table = table
        self._all: list[tuple] | None = None

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index):
        if self._all is not None:
            return self._all[index]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return self.materialized()[index]
            return _tuples(self.table.slice(start, max(stop - start, 0)))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("result row out of range")
        return _tuples(self.table.slice(index, 1))[0]

    def __iter__(self) -> Iterator[tuple]:
        if self._all is not None:
            yield from self._all
            return
        for start in range(0, len(self), self.BATCH):
            yield from _tuples(self.table.slice(start, self.BATCH))

    def materialized(self) -> list[tuple]:
        """Every row as a tuple (converted once, then kept)."""
        if self._all is None:
            self._all = _tuples(self.table)
        return self._all

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self) -> str:
        return f"ArrowRows({len(self)} rows)"


def _tuples(table: Any) -> list[tuple]:
    if not table.num_columns:
        return [()] * table.num_rows
    return list(zip(*(_values(column) for column in table.columns)))


def _values(column: Any) -> list:
    """A column's values as DuckDB itself would give them: its 128-bit integers (sums of integers) reach Arrow as
    decimal(38, 0) and are ints again, intervals (months, days, nanoseconds) timedeltas (a month as 30 days, as
    DuckDB counts it), maps dicts."""
    values = column.to_pylist()
    kind = str(column.type)
    if getattr(column.type, "scale", None) == 0:
        return [None if value is None else int(value) for value in values]
    if kind == "month_day_nano_interval":
        return [None if v is None else timedelta(days=30 * v.months + v.days, microseconds=v.nanoseconds // 1000)
                for v in values]
    if kind.startswith("map<"):
        return [None if value is None else dict(value) for value in values]
    return values


@dataclass
class Result:
    """The answer to one OQL statement. `rows` is a list of tuples, or `ArrowRows` for answers that came from
    DuckDB as Arrow (read like a list; `to_arrow` then costs nothing)."""

    columns: list[str]
    rows: Sequence[tuple]
    sql: str = ""  # the compiled SQL (what `explain` prints)
    shape: str = "table"  # table, trace, card, history, compare, expect
    statement: str = ""  # the OQL text it answers
    passed: bool | None = None  # for `expect`: whether the assertion held
    notes: list[str] = field(default_factory=list)  # things worth telling the reader
    bounds: dict[str, float] = field(default_factory=dict)  # SLA bounds of the metrics shown, for charts

    @property
    def drawn_as(self) -> str:
        """The shape to draw: the result's own, or a table when pipes left it without the columns its shape needs."""
        needed = SHAPE_NEEDS.get(self.shape, frozenset())
        return self.shape if needed <= set(self.columns) else "table"

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_arrow(self):
        """The rows as a pyarrow Table (as DuckDB typed them, or inferred from the values)."""
        if isinstance(self.rows, ArrowRows):
            return self.rows.table
        import pyarrow as pa

        return pa.table({name: [row[i] for row in self.rows] for i, name in enumerate(self.columns)})

    def to_polars(self):
        import polars as pl

        return pl.from_arrow(self.to_arrow())

    def to_pandas(self):
        """A pandas DataFrame (needs pandas installed)."""
        return self.to_arrow().to_pandas()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def _repr_html_(self) -> str | None:
        drawer = DRAWERS.get("html")
        return drawer(self) if drawer is not None else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What a notebook keeps of a result: the HTML, and beside it a one-line text form (the shape and the first
        column names), not the whole text of every row a notebook would otherwise store in the cell."""
        bundle = {"text/plain": f"<Result: {len(self.rows):,} rows x {len(self.columns)} columns: "
                                f"{', '.join(self.columns[:8])}{', ...' if len(self.columns) > 8 else ''}>"}
        html = self._repr_html_()
        if html is not None:
            bundle["text/html"] = html
        return bundle

    def plot(self):
        """The result as an SVG chart (history: one line per metric over time, SLA bounds dashed)."""
        return DRAWERS["chart"](self)

    def __repr__(self) -> str:
        drawer = DRAWERS.get("text")
        if drawer is None:
            return f"<Result: {len(self.rows)} rows of {', '.join(self.columns)}>"
        return drawer(self)


def as_utc(moment: datetime) -> datetime:
    """The time in UTC; a time without a zone is UTC already."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def iso_time(moment: date, precise: bool = False) -> str:
    """The one way results show a time: ISO 8601 in UTC with a Z, to the second (`2020-03-23T00:20:00Z`), or with its
    microseconds when `precise` (the machine formats); a date alone as `2020-03-23`. A time without a zone is UTC."""
    if not isinstance(moment, datetime):
        return moment.isoformat()
    utc = as_utc(moment)
    shown = utc.isoformat(timespec="microseconds" if precise and utc.microsecond else "seconds")
    return shown.replace("+00:00", "Z")
