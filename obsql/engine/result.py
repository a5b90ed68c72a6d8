"""A query's answer: column names and rows, the SQL that produced it, and how it likes to be shown.

Arrow, polars and pandas forms are built on request, so showing a result in a terminal never loads them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class Result:
    """The answer to one OQL statement."""

    columns: list[str]
    rows: list[tuple]
    sql: str = ""  # the compiled SQL (what `explain` prints)
    shape: str = "table"  # table, trace, card, history, compare, expect
    statement: str = ""  # the OQL text it answers
    passed: bool | None = None  # for `expect`: whether the assertion held
    notes: list[str] = field(default_factory=list)  # things worth telling the reader
    bounds: dict[str, float] = field(default_factory=dict)  # SLA bounds of the metrics shown, for charts

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_arrow(self):
        """The rows as a pyarrow Table (column types inferred from the values)."""
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

    def _repr_html_(self) -> str:
        from obsql.render.html import result_html

        return result_html(self)

    def plot(self):
        """The result as an SVG chart (history: one line per metric over time, SLA bounds dashed)."""
        from obsql.render.svg import chart

        return chart(self)

    def __repr__(self) -> str:
        from obsql.render.text import render

        return render(self)
