"""A query's answer: rows and columns as an Arrow table, the SQL that produced it, and how it likes to be shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import pyarrow as pa


@dataclass
class Result:
    """The answer to one OQL statement."""

    table: pa.Table
    sql: str = ""  # the compiled SQL (what `explain` prints)
    shape: str = "table"  # table, trace, card, history, compare, expect, message
    statement: str = ""  # the OQL text it answers
    passed: bool | None = None  # for `expect`: whether the assertion held
    notes: list[str] = field(default_factory=list)  # things worth telling the reader (e.g. a truncated walk)

    @property
    def columns(self) -> list[str]:
        return self.table.column_names

    @property
    def rows(self) -> list[tuple]:
        columns = [self.table.column(i).to_pylist() for i in range(self.table.num_columns)]
        return list(zip(*columns)) if columns else []

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_polars(self):
        import polars as pl

        return pl.from_arrow(self.table)

    def to_pandas(self):
        """A pandas DataFrame (needs pandas installed)."""
        return self.table.to_pandas()

    def to_dicts(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def __repr__(self) -> str:
        from obsql.render.text import render

        return render(self)
