"""Reading a store with DuckDB: one view per table over exactly the files that are live now.

Both the logging client (to find who produced an input) and the query engine read through this. A corrupt file is
set aside with a warning naming it and the query is retried without it, so the rest of the store stays usable.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import duckdb
import pyarrow as pa

from obsql.errors import StoreError
from obsql.storage import files
from obsql.storage.schemas import PARTITION_TYPES, TABLES

_FILE_IN_MESSAGE = re.compile(r"""["']?(/[^"'\s]+\.parquet)["']?""")
_MAX_SET_ASIDE_PER_QUERY = 50
T = TypeVar("T")


def read_parquet_sql(paths: Sequence[str], partition_by: Sequence[str]) -> str:
    """A `read_parquet(...)` call over `paths` with the store's Hive partition types."""
    listing = ", ".join(_quote(p) for p in paths)
    types = ", ".join(f"'{col}': {PARTITION_TYPES[col]}" for col in partition_by)
    return f"read_parquet([{listing}], hive_partitioning = true, hive_types = {{{types}}})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class StoreReader:
    """A DuckDB connection over one store. Views are rebuilt by `refresh()` to pick up new files."""

    def __init__(self, root: Path, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.root = root
        self.con = connection or duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self._empty_registered: set[str] = set()
        self.refresh()

    def refresh(self) -> None:
        """Point every table's view at the files live now."""
        for name in TABLES:
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {self._source(name)}')

    def _source(self, name: str) -> str:
        spec = TABLES[name]
        paths = files.parquet_files(self.root, name)
        if paths:
            return f"SELECT * FROM {read_parquet_sql(paths, spec.partition_by)}"
        return self._empty_source(name)

    def _empty_source(self, name: str) -> str:
        """A typed, empty relation with the table's columns, for tables with no files yet."""
        spec = TABLES[name]
        relation = f"__obsql_empty_{name}"
        if relation not in self._empty_registered:
            self.con.register(relation, pa.Table.from_pylist([], schema=spec.schema))
            self._empty_registered.add(relation)
        partitions = ", ".join(f"CAST(NULL AS {PARTITION_TYPES[c]}) AS \"{c}\"" for c in spec.partition_by)
        return f'SELECT *, {partitions} FROM "{relation}"'

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> duckdb.DuckDBPyConnection:
        """Run `sql`; a file that turns out corrupt is set aside and the query retried without it."""
        return retry_without_corrupt_files(self.root, lambda: self._execute(sql, params), self.refresh)

    def _execute(self, sql: str, params: Sequence[Any] | dict | None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | dict | None = None) -> pa.Table:
        """Run `sql` and return its rows as Arrow (corrupt files set aside as in `execute`)."""
        return retry_without_corrupt_files(
            self.root, lambda: self.con.sql(sql, params=params).to_arrow_table(), self.refresh)

    def close(self) -> None:
        self.con.close()


def retry_without_corrupt_files(root: Path, attempt: Callable[[], T], after_set_aside: Callable[[], None]) -> T:
    """Call `attempt`; when it fails on a corrupt file of the store, set the file aside and try again."""
    for _ in range(_MAX_SET_ASIDE_PER_QUERY):
        try:
            return attempt()
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            path = _store_file_in(str(exc), root)
            if path is None:
                raise
            if os.path.exists(path):  # a file that vanished was replaced by a compaction: just list again
                files.set_aside(path, _first_line(str(exc)))
            after_set_aside()
    raise StoreError(f"too many unreadable files under {root}", suggestion="run `obsql check` to list them")


def _store_file_in(message: str, root: Path) -> str | None:
    """The store file an error message blames, if it names one."""
    for match in _FILE_IN_MESSAGE.finditer(message):
        candidate = match.group(1)
        if candidate.startswith(str(root.resolve())) or candidate.startswith(str(root)):
            return candidate
    return None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable"
