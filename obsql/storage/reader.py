"""Reading a store with DuckDB: one view per table over exactly the files that are live now.

Both the logging client (to find who produced an input) and the query engine read through this. A corrupt file is
set aside with a warning naming it and the query is retried without it, so the rest of the store stays usable.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeVar

import duckdb

from obsql.errors import StoreError
from obsql.storage import files
from obsql.storage.schemas import PARTITION_TYPES, TABLES

_FILE_IN_MESSAGE = re.compile(r"""["']?(/[^"'\s]+\.parquet)["']?""")
_MAX_SET_ASIDE_PER_QUERY = 50
T = TypeVar("T")

if TYPE_CHECKING:
    import pyarrow as pa


def read_parquet_sql(paths: Sequence[str], partition_by: Sequence[str]) -> str:
    """A `read_parquet(...)` call over `paths` with the store's Hive partition types."""
    listing = ", ".join(_quote(p) for p in paths)
    types = ", ".join(f"'{col}': {PARTITION_TYPES[col]}" for col in partition_by)
    return f"read_parquet([{listing}], hive_partitioning = true, hive_types = {{{types}}})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class StoreReader:
    """A DuckDB connection over one store, with a view per table.

    Views are created when a query first names them and re-pointed at the live files after `refresh()`, so a
    query pays only for listing the tables it reads. Derived views (`define_view`) are built over those views.
    """

    def __init__(self, root: Path, connection: duckdb.DuckDBPyConnection | None = None) -> None:
        self.root = root
        self.con = connection or duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self._listed: dict[str, list[str]] = {}
        self._stale: set[str] = set(TABLES)
        self._derived: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._created: set[str] = set()
        self._names = re.compile(r"\b(" + "|".join(map(re.escape, TABLES)) + r")\b")

    def define_view(self, name: str, sql: str, tables: tuple[str, ...]) -> None:
        """A view over the store's tables, created the first time a query names it."""
        self._derived[name] = (sql, tables)
        self._names = re.compile(r"\b(" + "|".join(map(re.escape, [*TABLES, *self._derived])) + r")\b")

    def refresh(self) -> None:
        """Let the next queries see files written since (each table is listed again when next used)."""
        self._stale = set(TABLES)

    def prepare(self, sql: str) -> None:
        """Make every view `sql` names current: list its table's files again if needed, create it if missing."""
        named = set(self._names.findall(sql))
        for name in [n for n in named if n in self._derived]:
            named.update(self._derived[name][1])
        for name in named & self._stale:
            self._point_at_live_files(name)
        for name in named - set(TABLES) - self._created:
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {self._derived[name][0]}')
            self._created.add(name)

    def _point_at_live_files(self, name: str) -> None:
        paths = files.parquet_files(self.root, name)
        if self._listed.get(name) != paths:
            self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {self._source(name, paths)}')
            self._listed[name] = paths
        self._stale.discard(name)

    def _source(self, name: str, paths: list[str]) -> str:
        spec = TABLES[name]
        if paths:
            return f"SELECT * FROM {read_parquet_sql(paths, spec.partition_by)}"
        return self._empty_source(name)

    def _empty_source(self, name: str) -> str:
        """A typed, empty relation with the table's columns, for tables with no files yet."""
        spec = TABLES[name]
        columns = [f'CAST(NULL AS {kind}) AS "{column}"' for column, kind in spec.fields]
        columns += [f'CAST(NULL AS {PARTITION_TYPES[c]}) AS "{c}"' for c in spec.partition_by]
        return f"SELECT {', '.join(columns)} WHERE false"

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> duckdb.DuckDBPyConnection:
        """Run `sql`; a file that turns out corrupt is set aside and the query retried without it."""
        return retry_without_corrupt_files(self.root, lambda: self._execute(sql, params), self.refresh)

    def _execute(self, sql: str, params: Sequence[Any] | dict | None) -> duckdb.DuckDBPyConnection:
        self.prepare(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def fetch(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and rows of `sql` (no Arrow involved, which keeps the command line quick to start)."""
        def attempt() -> tuple[list[str], list[tuple]]:
            cursor = self._execute(sql, params)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description], rows

        return retry_without_corrupt_files(self.root, attempt, self.refresh)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | dict | None = None) -> "pa.Table":
        """Run `sql` and return its rows as Arrow (corrupt files set aside as in `execute`)."""
        def attempt() -> "pa.Table":
            self.prepare(sql)
            return self.con.sql(sql, params=params).to_arrow_table()

        return retry_without_corrupt_files(self.root, attempt, self.refresh)

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
