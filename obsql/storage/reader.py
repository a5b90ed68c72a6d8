"""Reading a store with DuckDB: one view per table over exactly the files that are live now.

This is the only place obsql opens DuckDB: the query engine, the logging client (to find who produced an input),
the shell's names and the lineage index builder all read through a `StoreReader`. Its connection is locked down as
DuckDB allows (files under the store only, no extensions, no settings changes, a private spill directory removed
when the reader goes). A corrupt file is set aside with a warning naming it and the query is retried without it, so
the rest of the store stays usable. Reading never writes to the store.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterator, Sequence, TypeVar
from urllib.parse import unquote

import duckdb

from obsql.errors import StoreError
from obsql.storage import live_files
from obsql.storage.layout import committed_flushes, last_change, listing_marks, long_values, shown
from obsql.storage.schemas import PARTITION_TYPES, TABLES

DEFAULT_MEMORY_LIMIT = "50%"  # of the machine's memory: an embedded engine shares the machine with the pipeline
_FILE_IN_MESSAGE = re.compile(r"""["']?(/[^"'\s]+\.parquet)["']?""")
_MAX_SET_ASIDE_PER_QUERY = 50
SPILL_PREFIX = "obsql-spill-"  # then the reader's process id: a later reader removes those of gone processes
_WORD = re.compile(r"\w+")  # a query names a view by one of these
T = TypeVar("T")

if TYPE_CHECKING:
    import pyarrow as pa


def read_parquet_sql(paths: Sequence[str], partition_by: Sequence[str], union_by_name: bool = False,
                     long_names: dict[str, str] | None = None) -> str:
    """A relation over `paths` (a `read_parquet(...)` call) with the store's Hive partition types.

    `union_by_name` matches columns by name across files written by different obsql versions (a column added
    later is null in older files); it reads every file's schema, so it is used only where schemas differ.
    `long_names` (`layout.long_values`) maps component names cut short in directory names back to themselves."""
    listing = ", ".join(quote_literal(p) for p in paths)
    # type names quoted: a bare DATE reads as a column when the call sits on the right of a join
    types = ", ".join(f"'{col}': '{PARTITION_TYPES[col]}'" for col in partition_by)
    union = ", union_by_name = true" if union_by_name else ""
    relation = f"read_parquet([{listing}], hive_partitioning = true, hive_types = {{{types}}}{union})"
    if not long_names or "component" not in partition_by:
        return relation
    cases = " ".join(f"WHEN {quote_literal(in_path)} THEN {quote_literal(name)}"
                     for in_path, name in long_names.items())
    return f'(SELECT * REPLACE (CASE "component" {cases} ELSE "component" END AS "component") FROM {relation})'


def partition_value(path: str, column: str) -> str | None:
    """The value of Hive partition `column` in a file's path, as written there (None when it has none)."""
    prefix = column + "="
    for part in path.split(os.sep):  # str, not Path: called for 1,000s of files
        if part.startswith(prefix):
            return unquote(part[len(prefix):])
    return None


def empty_relation_sql(name: str) -> str:
    """A typed, empty relation with a table's columns (for tables with no files yet)."""
    spec = TABLES[name]
    columns = [f'CAST(NULL AS {kind}) AS "{column}"' for column, kind in spec.fields]
    columns += [f'CAST(NULL AS {PARTITION_TYPES[c]}) AS "{c}"' for c in spec.partition_by]
    return f"SELECT {', '.join(columns)} WHERE false"


def quote_literal(text: str) -> str:
    """`text` as a SQL string literal (for file paths, which DuckDB's table functions take only as literals)."""
    return "'" + text.replace("'", "''") + "'"


class StoreReader:
    """A DuckDB connection over one store, with a view per table.

    Views are created when a query first names them and re-pointed at the live files after `refresh()`, so a
    query pays only for listing the tables it reads. Derived views (`define_view`) are built over those views.
    """

    # whether walks may hold the lineage's upstream core in memory (the engine loads it below its edge limit);
    # a reader that says no has every level of a walk looked up by one query for the whole frontier
    loads_upstream_core = True

    def __init__(self, root: Path, connection: duckdb.DuckDBPyConnection | None = None,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT) -> None:
        self.root = root
        self.con = connection or duckdb.connect()
        self.deadline: float | None = None  # a query that would start after this time.monotonic() is refused
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("SET parquet_metadata_cache = true")  # footers are read once per file, not per query
        self.con.execute("SET enable_progress_bar = false")  # DuckDB's bar would land in csv and json output
        self.con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        sweep_spills_of_gone_processes()
        spill = tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-")
        self._remove_spill = weakref.finalize(self, shutil.rmtree, spill, ignore_errors=True)  # or at exit
        _sandbox(self.con, root, spill)
        self._listed: dict[str, list[str]] = {}
        self._generation: dict[str, int] = {}  # bumped each time a table's view is re-pointed
        self._mixed: set[str] = set()  # tables whose files were written with different columns
        self._fitting: set[str] = set()  # files whose columns were looked at and are the table's
        self._types: dict[str, dict[str, str]] = {}  # each table's column types, as DuckDB names them
        self._columns_of: dict[str, dict[str, str]] = {}  # each file looked at: its columns and their types
        self._stale: set[str] = set(TABLES)
        self._seen_change = last_change(root)
        self._marks = listing_marks(root, TABLES)  # what says each table's files changed, as seen last
        # the flushes shown until the next change: every table's listing is cut to the same ones, so a query sees each
        # run's rows in all of its tables or in none, even while writers flush (taken after the mark: never newer)
        self._committed = committed_flushes(root)
        self.long_names = long_values(root)  # component names too long for a directory name, by their cut form
        self._derived: dict[str, tuple[Callable[[dict[str, list[str]]], str], tuple[str, ...]]] = {}
        self._created: dict[str, tuple] = {}  # derived view -> the listings it was built from
        self._lookup: Path | None = None  # the lineage index's lookup database attached now
        self._defer_binding = True  # until this DuckDB proves not to know CREATE VIEW ... WITH (DEFER_BINDING)

    def define_view(self, name: str, build: Callable[[dict[str, list[str]]], str], tables: tuple[str, ...]) -> None:
        """A view over the store, created when a query first names it and rebuilt when its tables' files change.

        `build` gets the live files of each table and returns the view's SQL.
        """
        self._derived[name] = (build, tables)

    def refresh(self, force: bool = False) -> None:
        """Let the next queries see files written since (each table is listed again when next used).

        Nothing is listed again when the store's change marker says no file was published or removed, and only
        the tables whose own marks moved when it does (a flag written leaves the runs' listing as it was).
        """
        changed = last_change(self.root)
        if force or changed != self._seen_change:
            self._seen_change = changed
            marks = listing_marks(self.root, TABLES)
            self._stale |= set(TABLES) if force else {t for t in TABLES if marks[t] != self._marks.get(t)}
            self._marks = marks
            self._committed = committed_flushes(self.root)
            self.long_names = long_values(self.root)

    def prepare(self, sql: str) -> None:
        """Make every view `sql` names current: list its table's files again if needed, create it if missing."""
        named = {word for word in _WORD.findall(sql) if word in TABLES or word in self._derived}
        for name in [n for n in named if n in self._derived]:
            named.update(self._derived[name][1])
        for name in named & self._stale:
            self._point_at_live_files(name)
        for name in named - set(TABLES):
            build, tables = self._derived[name]
            versions = tuple(self._generation.get(t, 0) for t in tables)
            if self._created.get(name) != versions:
                self._replace_view(name, build(self._listed))
                self._created[name] = versions

    def _relist(self) -> None:
        self.refresh(force=True)

    def files(self, table: str) -> list[str]:
        """The live files of `table` now (a listing only: no view is made or bound)."""
        return live_files.parquet_files(self.root, table)

    def partition_values(self, table: str, column: str) -> list[str]:
        """The values of one partition column over the table's live files, sorted (e.g. the components that ran)."""
        in_paths = {partition_value(path, column) for path in self.files(table)} - {None}
        names = self.long_names if column == "component" else {}
        return sorted(names.get(value, value) for value in in_paths)

    @contextmanager
    def partitions_only(self, table: str, column: str, values: Collection[str]) -> Iterator[None]:
        """Within the block, `table`'s view holds only its files whose partition `column` is one of `values` (as
        they appear in paths): a query of a few partitions then binds a few files, not the table's thousands
        (`recent` at 10M runs: 7 ms against 38 ms). The whole table is listed again after the block."""
        self.prepare(table)
        wanted = set(values)
        self._point_at(table, [path for path in self._listed[table] if partition_value(path, column) in wanted])
        self._generation[table] += 1  # views derived from it are rebuilt over the narrowed one, and back after
        try:
            yield
        finally:
            self._listed.pop(table, None)
            self._stale.add(table)

    def generation(self, table: str) -> int:
        """A number that changes whenever the table's view is re-pointed at different files."""
        return self._generation.get(table, 0)

    def _point_at_live_files(self, name: str) -> None:
        paths = [path for path in live_files.parquet_files(self.root, name) if shown(path, self._committed)]
        if self._listed.get(name) != paths:
            paths = self.fitting(name, paths)
            if paths and name not in self._mixed and self._lacks_columns(name, paths[0]):
                self._mixed.add(name)  # files of an older obsql: match columns by name (a later file that
                #                        differs shows up as a "schema mismatch" and lands here too)
            self._point_at(name, paths)
            self._listed[name] = paths
            self._generation[name] = self._generation.get(name, 0) + 1
        self._stale.discard(name)

    def _point_at(self, name: str, paths: list[str]) -> None:
        """(Re)create a table's view over `paths`."""
        self._create_view(name, paths)
        if name in self._mixed:
            columns = self._view_columns(name)
            missing = [c for c in TABLES[name].columns if c not in columns]
            if missing:  # no file has it yet: the column reads as null
                self._create_view(name, paths, missing)

    def _create_view(self, name: str, paths: list[str], missing: Sequence[str] = ()) -> None:
        kinds = dict(TABLES[name].fields)
        nulls = "".join(f', CAST(NULL AS {kinds[c]}) AS "{c}"' for c in missing)
        source = self._source(name, paths)
        if nulls:
            source = f"SELECT *{nulls} FROM ({source}) AS t"
        self._replace_view(name, source)

    def _replace_view(self, name: str, sql: str) -> None:
        """(Re)create a view, bound when first queried rather than now where DuckDB can defer it (2.0 on).

        Binding a view over a table's files parses every path's partitions; deferring it means a one-shot
        query pays for that once, not twice."""
        if self._defer_binding:
            try:
                self.con.execute(f'CREATE OR REPLACE VIEW "{name}" WITH (DEFER_BINDING) AS {sql}')
                return
            except (duckdb.NotImplementedException, duckdb.ParserException):  # before 2.0: 'VIEW options'
                self._defer_binding = False
        self.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS {sql}')

    def fitting(self, table: str, paths: Sequence[str]) -> list[str]:
        """The files that hold rows of `table`; the others (unreadable, or with columns that say they are not the
        table's: a stray file would read as rows of nulls, and count in count(*), which reads no column) are set
        aside with a warning. Each file is looked at once: which ones were is saved beside the listings, so a later
        process looks only at files new to it."""
        if any(path not in self._fitting for path in paths):
            self._fitting |= live_files.checked_files(self.root, table)
        fitting, found = [], []
        for path in paths:
            if path not in self._fitting:
                try:
                    problem = self.schema_problem(table, path)
                except (duckdb.IOException, duckdb.InvalidInputException) as exc:
                    problem = _first_line(str(exc))
                if problem:
                    live_files.set_aside(path, problem)
                    continue
                self._fitting.add(path)
                found.append(path)
            fitting.append(path)
        if found:
            live_files.note_checked(self.root, table, found)
        return fitting

    def schema_problem(self, table: str, path: str) -> str | None:
        """Why a Parquet file cannot hold rows of `table` (a key column missing, a column of another type), or
        None. Files of older obsql versions lack newer columns, which is fine."""
        have = self._file_columns(path)
        spec = TABLES[table]
        missing = [column for column in spec.sort_by if column not in have]
        if missing:
            return f"not a file of table {table}: it has no column {', '.join(missing)}"
        want = self._table_columns(table)
        wrong = [f"{column} is {have[column]}, not {want[column]}" for column in have
                 if column in want and have[column] != want[column] and "NULL" not in have[column]]  # all nulls fit
        return f"not a file of table {table}: {'; '.join(wrong)}" if wrong else None

    def _file_columns(self, path: str) -> dict[str, str]:
        """A file's columns and their types (files are never changed once published, so each is read once)."""
        if path not in self._columns_of:
            described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(path)})").fetchall()
            self._columns_of[path] = {row[0]: row[1] for row in described}
        return self._columns_of[path]

    def _table_columns(self, table: str) -> dict[str, str]:
        """The table's file columns with their types as DuckDB names them (TIMESTAMP WITH TIME ZONE ...)."""
        if table not in self._types:
            described = self.con.execute(f"DESCRIBE {empty_relation_sql(table)}").fetchall()
            self._types[table] = {row[0]: row[1] for row in described if row[0] in TABLES[table].columns}
        return self._types[table]

    def _lacks_columns(self, name: str, path: str) -> bool:
        """Whether a file lacks some of the table's columns (it was written by an older obsql)."""
        return not set(TABLES[name].columns) <= set(self._file_columns(path))

    def _view_columns(self, name: str) -> list[str]:
        return [d[0] for d in self.con.execute(f'SELECT * FROM "{name}" LIMIT 0').description]

    def _mixed_schemas(self, table: str) -> None:
        """A query met files of one table with different columns: read that table by column name from now on."""
        self._mixed.add(table)
        self._listed.pop(table, None)
        self._stale.add(table)

    def _source(self, name: str, paths: list[str]) -> str:
        spec = TABLES[name]
        if paths:
            return f"SELECT * FROM {read_parquet_sql(paths, spec.partition_by, name in self._mixed, self.long_names)}"
        return empty_relation_sql(name)

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> duckdb.DuckDBPyConnection:
        """Run `sql`; a file that turns out corrupt is set aside and the query retried without it."""
        return retry_without_corrupt_files(self.root, lambda: self._execute(sql, params), self._relist,
                                           self._mixed_schemas)

    def _execute(self, sql: str, params: Sequence[Any] | dict | None) -> duckdb.DuckDBPyConnection:
        self._before_deadline()
        self.prepare(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    @contextmanager
    def kept(self, table: str, sql: str, params: Sequence[Any] | dict | None = None) -> Iterator[None]:
        """The rows of `sql` held as a temporary table while the block runs: the steps of one statement that read
        the same rows scan the store for them once."""
        self.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS {sql}', params)
        try:
            yield
        finally:
            self.con.execute(f'DROP TABLE IF EXISTS "{table}"')

    def fetch(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and rows of `sql` (no Arrow involved, which keeps the command line quick to start)."""
        def attempt() -> tuple[list[str], list[tuple]]:
            cursor = self._execute(sql, params)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description], rows

        return retry_without_corrupt_files(self.root, attempt, self._relist, self._mixed_schemas)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | dict | None = None) -> "pa.Table":
        """Run `sql` and return its rows as Arrow (corrupt files set aside as in `execute`)."""
        def attempt() -> "pa.Table":
            self._before_deadline()
            self.prepare(sql)
            return self.con.sql(sql, params=params).to_arrow_table()

        return retry_without_corrupt_files(self.root, attempt, self._relist, self._mixed_schemas)

    def _before_deadline(self) -> None:
        """A statement of many queries (a walk) past its deadline stops at the next one, as DuckDB stops the one
        running when it is interrupted."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise duckdb.InterruptException("INTERRUPT Error: the statement's time ran out")

    def fetch_files(self, table: str, paths: Sequence[str], select: str) -> list[tuple]:
        """Rows of `select`, a SELECT over `{files}`, read from just these files of `table` (by column name, so
        files of older obsql versions read too); corrupt ones are set aside and files gone since are skipped."""
        def attempt() -> list[tuple]:
            skipped = live_files.set_aside_files()
            readable = [p for p in paths if p not in skipped and os.path.exists(p)]
            if not readable:
                return []
            files = read_parquet_sql(readable, TABLES[table].partition_by, True, long_values(self.root))
            return self.con.execute(select.format(files=files)).fetchall()

        return retry_without_corrupt_files(self.root, attempt, lambda: None)

    def attach_lookup(self, path: Path | None) -> str | None:
        """The name the lineage index's lookup database at `path` is attached as (read-only), attaching it in place
        of an earlier one; None when there is none, it went meanwhile, or this reader cannot read one."""
        if path is None:
            return None
        if self._lookup != path:
            try:
                if self._lookup is not None:
                    self.con.execute(f"DETACH {LOOKUP_ALIAS}")
                    self._lookup = None
                self.con.execute(f"ATTACH {quote_literal(str(path))} AS {LOOKUP_ALIAS} (READ_ONLY)")
            except duckdb.Error:  # removed by a newer build since the manifest was read: the Parquet files serve
                return None
            self._lookup = path
        return LOOKUP_ALIAS

    def interrupt(self) -> None:
        """Stop the query running now (from another thread: a deadline's watchdog, Ctrl-C in the shell); it fails
        with `duckdb.InterruptException`. Nothing happens when none runs."""
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()
        self._remove_spill()


def retry_without_corrupt_files(root: Path, attempt: Callable[[], T], after_set_aside: Callable[[], None],
                                mixed_schemas: Callable[[str], None] | None = None) -> T:
    """Call `attempt`; when it fails on a corrupt file of the store, set the file aside and try again.

    Files of one table written by different obsql versions are not corrupt: `mixed_schemas(table)` is called
    instead, so the table is read by column name."""
    for _ in range(_MAX_SET_ASIDE_PER_QUERY):
        try:
            return attempt()
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            path = _store_file_in(str(exc), root)
            if path is None:
                raise
            if "schema mismatch" in str(exc) and mixed_schemas is not None:
                mixed_schemas(Path(path).relative_to(root).parts[0])
                continue
            if os.path.exists(path):
                live_files.set_aside(path, _first_line(str(exc)))
            else:  # replaced by a compaction, or removed by hand: walk the partitions again
                live_files.forget_listings(root)
            after_set_aside()
    raise StoreError(f"too many unreadable files under {root}", suggestion="run `obsql check` to list them")


def sweep_spills_of_gone_processes() -> None:
    """Remove the spill directories of readers whose process is gone: one killed (SIGKILL, an OOM kill) never ran
    its clean-up, and its directory would stay in the temp directory for good. Once per process (and temp
    directory): a process opens several readers."""
    base = Path(tempfile.gettempdir())
    if (os.getpid(), base) in _SWEPT:
        return
    _SWEPT.add((os.getpid(), base))
    for spill in base.glob(f"{SPILL_PREFIX}*-*"):
        owner = spill.name[len(SPILL_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and int(owner) != os.getpid() and not _alive(int(owner)):
            shutil.rmtree(spill, ignore_errors=True)


_SWEPT: set[tuple[int, Path]] = set()  # (process, temp directory) already swept


LOOKUP_ALIAS = "obsql_lookup"  # what the lineage index's lookup database is attached as


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _sandbox(con: duckdb.DuckDBPyConnection, root: Path, spill: str) -> None:
    """Lock the connection to reading the store (DuckDB's own sandbox settings).

    DuckDB also allows its spill directory; it is a fresh private one, so nothing else can be read there."""
    con.execute(f"SET temp_directory = {quote_literal(spill)}")
    con.execute(f"SET allowed_directories = [{quote_literal(str(root) + '/')}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")


def _store_file_in(message: str, root: Path) -> str | None:
    """The store file an error message blames, if it names one."""
    for match in _FILE_IN_MESSAGE.finditer(message):
        candidate = match.group(1)
        if candidate.startswith(str(root.resolve())) or candidate.startswith(str(root)):
            return candidate
    return None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unreadable"
