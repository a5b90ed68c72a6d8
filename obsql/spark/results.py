"""Spark's answers as the values DuckDB gives: Arrow tables typed as close to DuckDB's as Spark allows, and rows of
Python values read from them exactly as the DuckDB engine reads its own (`ArrowRows`).

Spark hands results over as Arrow already (`DataFrame.toArrow`): timestamps with time zone arrive as
timestamp[us, UTC], day-time intervals as durations (timedelta), arrays as lists, structs as dicts, decimals as
Decimal. Maps arrive as lists of pairs and 0-scale decimals as Decimal; `ArrowRows` makes them dicts and ints, as
it does for DuckDB's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from obsql.result import ArrowRows

if TYPE_CHECKING:
    import pyarrow as pa


def python_rows(table: "pa.Table") -> list[tuple]:
    """Every row of an Arrow answer as a tuple of Python values (the DuckDB engine's `fetchall()`)."""
    return list(ArrowRows(table))


class Rows:
    """What `execute` returns: a finished query's rows, read like a DuckDB cursor (`fetchall`, `fetchone`,
    `description`), so engine code that reads cursors runs unchanged."""

    def __init__(self, columns: Sequence[str], rows: list[tuple]) -> None:
        self.description = [(name, None, None, None, None, None, None) for name in columns]
        self._rows = rows
        self._next = 0

    def fetchall(self) -> list[tuple]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]
