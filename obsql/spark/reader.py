"""Reading a store with Spark: the `StoreReader` surface the engine uses, over the same live files.

`SparkReader` is a `StoreReader` whose views live in Spark. Everything that decides *which* files are read is the
DuckDB reader's own, inherited unchanged: the listings (`live_files`: compaction manifests, saved listings, commits
of in-flight flushes), the look at each new file's columns (a stray or corrupt file set aside with the same
warning), the lineage views (`lineage_index.attach_views`) and when to re-point a view. Only the views are made
differently: a table's view is a Spark temp view over its files (`tables.table_frame`), a derived view is its DuckDB
SQL transpiled (`transpile.to_spark`). The inherited DuckDB connection reads file footers only, and holds the
relation `__result` the engine registers before a pipe runs over a walk's rows, which is handed to Spark as it is.

Each reader has a session of its own (`SparkSession.newSession()`: its own temp views and settings, the caller's
SparkContext), set to UTC, and to non-ANSI semantics (an index past a list's end is null, as in DuckDB).

A query's Spark jobs carry the reader's tag, so `interrupt` (called by the engine's deadline watchdog and by Ctrl-C
in the shell, from another thread) cancels them; the query then fails as an interrupted DuckDB query does, and the
engine says why (its time limit, or cancelled).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

import duckdb

from obsql.compiler.plans import RESULT_RELATION
from obsql.errors import ObsqlError
from obsql.spark import tables
from obsql.spark.params import bind
from obsql.spark.results import Rows, python_rows
from obsql.spark.transpile import FileRelation, SparkSql, first_line, list_view, to_spark
from obsql.storage.reader import DEFAULT_MEMORY_LIMIT, StoreReader, retry_without_corrupt_files

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",  # times print and bucket as DuckDB's do
    "spark.sql.ansi.enabled": "false",  # DuckDB's nulls, not errors, for an index past a list's end
}
FRAMES_KEPT = 32  # tables' frames kept for reuse: a table's whole view and a narrowed one for each, and more
_FILE_URL_PREFIXES = ("file://", "file:")  # how Spark names local files in its errors
T = TypeVar("T")


class SparkReader(StoreReader):
    """The store's tables as Spark temp views, chosen and refreshed exactly as the DuckDB reader's views are."""

    # a walk's levels are Spark queries, each for the whole frontier: the core would be one more query per table
    # and a copy of the lineage on the driver, which is what a cluster is there to avoid
    loads_upstream_core = False

    def __init__(self, root: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT, *, spark: "SparkSession") -> None:
        super().__init__(root, memory_limit=memory_limit)
        self.spark = reading_session(spark)
        self._relations: set[str] = set()  # file relations given a temp view already (their files never change)
        self._frames: OrderedDict[tuple, "DataFrame"] = OrderedDict()  # the latest tables' frames, by their files
        self._tag = f"obsql-{id(self)}"  # on the Spark jobs of this reader's queries, which `interrupt` cancels
        self._interrupted = False  # whether `interrupt` was called while the current query ran
        self._query = 0  # the number of the query running now, 0 between queries
        self._queries = 0

    # -- views ----------------------------------------------------------------------------------------------------
    def _create_view(self, name: str, paths: list[str], missing: Sequence[str] = ()) -> None:
        """A table's view over its live files (columns no file has yet read as nulls: the schema is given). A frame
        over the same files is made once: Spark checks every path of a new one (4 s for 7,000 partitions), and a
        query of a few partitions (`partitions_only`) points the view away and back each time."""
        key = (name, tuple(paths), tuple(sorted(self.long_names.items())))
        frame = self._frames.pop(key, None)
        if frame is None:
            frame = tables.table_frame(self.spark, self.root, name, paths, self.long_names)
        self._frames[key] = frame
        while len(self._frames) > FRAMES_KEPT:
            self._frames.popitem(last=False)
        frame.createOrReplaceTempView(name)

    def _replace_view(self, name: str, sql: str) -> None:
        """A derived view (a lineage view), from its DuckDB SQL."""
        self.spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {self._translated(sql).text}")

    def _view_columns(self, name: str) -> list[str]:
        return self.spark.table(name).columns

    def _translated(self, sql: str) -> SparkSql:
        """`sql` as Spark SQL, with a temp view for each set of files it reads directly."""
        translated = to_spark(sql)
        for relation in translated.relations:
            if relation.name not in self._relations:
                self._relation_frame(relation).createOrReplaceTempView(relation.name)
                self._relations.add(relation.name)
        return translated

    def _list_views(self, names: Sequence[str], params: dict[str, Any]) -> None:
        """Each bound list a query reads as a temp view (`transpile.list_view`), made from its values (Arrow: one
        transfer, however long the list)."""
        import pyarrow as pa

        for name in names:
            values = self.spark.createDataFrame(pa.table({"value": params[name]}))
            values.createOrReplaceTempView(list_view(name))

    def _relation_frame(self, relation: FileRelation) -> "DataFrame":
        if not relation.hive:
            return tables.file_frame(self.spark, relation.paths)
        table = tables.store_table_of(self.root, relation.paths[0])
        return tables.table_frame(self.spark, self.root, table, relation.paths, self.long_names)

    def _share_result(self, sql: str) -> None:
        """Hand the relation a pipe refines (registered with DuckDB by the engine) to Spark."""
        if RESULT_RELATION in sql:
            table = self.con.sql(f'SELECT * FROM "{RESULT_RELATION}"').to_arrow_table()
            self.spark.createDataFrame(table).createOrReplaceTempView(RESULT_RELATION)

    # -- queries --------------------------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> Rows:
        """Run `sql` (DuckDB SQL) on Spark; rows read like a DuckDB cursor's."""
        table = self.fetch_arrow(sql, params)
        return Rows(table.column_names, python_rows(table))

    def fetch(self, sql: str, params: Sequence[Any] | dict | None = None) -> tuple[list[str], list[tuple]]:
        table = self.fetch_arrow(sql, params)
        return table.column_names, python_rows(table)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | dict | None = None) -> "pa.Table":
        """Run `sql` on Spark and return its rows as Arrow; a file found corrupt is set aside and the query retried,
        as on DuckDB."""
        return retry_without_corrupt_files(self.root, lambda: self._arrow(sql, params), self._relist,
                                           self._mixed_schemas)

    def _arrow(self, sql: str, params: Sequence[Any] | dict | None) -> "pa.Table":
        return self._on_spark(sql, params, lambda frame: frame.toArrow())

    @contextmanager
    def kept(self, table: str, sql: str, params: Sequence[Any] | dict | None = None) -> Iterator[None]:
        """The rows of `sql` cached by Spark's executors as a temp view while the block runs (none comes to the
        driver); counted at once, so that a corrupt file is set aside here, as on DuckDB."""
        frame = retry_without_corrupt_files(self.root, lambda: self._on_spark(sql, params, _cached), self._relist,
                                            self._mixed_schemas)
        frame.createOrReplaceTempView(table)
        try:
            yield
        finally:
            self.spark.catalog.dropTempView(table)
            frame.unpersist()

    def _on_spark(self, sql: str, params: Sequence[Any] | dict | None, work: Callable[["DataFrame"], T]) -> T:
        """`work` done on the frame of `sql` as one query of this reader: within its deadline, under its job tag,
        Spark's errors as DuckDB's."""
        self._before_deadline()
        self.prepare(sql)
        self._share_result(sql)
        with self._spark_errors(), self._tagged():
            done = work(self.frame(sql, params))
        if self._interrupted:  # Spark finished before the cancel reached it: the query is stopped all the same
            raise _interrupted()
        return done

    def frame(self, sql: str, params: Sequence[Any] | dict | None = None) -> "DataFrame":
        """`sql` (DuckDB SQL) as a Spark DataFrame, planned but not run: for work whose rows Spark writes itself
        (compaction's index files)."""
        translated = self._translated(sql)
        if translated.lists:
            self._list_views(translated.lists, params)
        text, args = bind(translated.text, params)
        return self.spark.sql(text, args=args)

    def attach_lookup(self, path: Path | None) -> None:
        """Spark reads the lineage index's Parquet files, not DuckDB's lookup database."""
        return None

    def interrupt(self) -> None:
        """Cancel the Spark jobs of the query running now (and DuckDB's footer reads); the query fails with
        `duckdb.InterruptException`, as on DuckDB. Nothing happens when none runs.

        A query may run several jobs one after another (a broadcast, then the join): an interrupt between two of
        them cancels nothing, so the query's jobs are cancelled again until it stops."""
        self._interrupted = True
        if self._query:
            threading.Thread(target=self._cancel_until_stopped, args=(self._query,), daemon=True).start()
        super().interrupt()

    def _cancel_until_stopped(self, query: int, every: float = 0.1) -> None:
        while self._query == query:
            self.spark.sparkContext.cancelJobsWithTag(self._tag)
            time.sleep(every)

    @contextmanager
    def _tagged(self) -> Iterator[None]:
        """Run a query whose Spark jobs `interrupt` can cancel (a tag is this thread's, so it is set per query).

        The SparkContext's job tags, not the session's `addTag`: `toArrow` runs its job from a JVM thread of its own,
        which inherits the context's local properties, while `interruptTag` found none of its jobs to cancel."""
        self._interrupted = False
        self._queries += 1
        self._query = self._queries
        self.spark.sparkContext.addJobTag(self._tag)
        try:
            yield
        finally:
            self._query = 0
            self.spark.sparkContext.removeJobTag(self._tag)

    @contextmanager
    def _spark_errors(self) -> Iterator[None]:
        """Spark's errors as the engine knows them: a store file that cannot be read as DuckDB's (so it is set
        aside), an interrupted query (its deadline, Ctrl-C) as DuckDB's interrupt, any other as an OQL error."""
        from pyspark.errors import PySparkException
        from py4j.protocol import Py4JJavaError

        try:
            yield
        except (PySparkException, Py4JJavaError) as exc:
            message = _local_paths(str(exc).strip() or type(exc).__name__)
            if self._interrupted:
                raise _interrupted() from None
            if str(self.root) in message and ".parquet" in message:
                raise duckdb.IOException(message) from None
            raise ObsqlError("sql", f"Spark: {first_line(message)}") from None

    def close(self) -> None:
        for name in self.spark.catalog.listTables():
            if name.isTemporary:
                self.spark.catalog.dropTempView(name.name)
        super().close()


def reading_session(spark: "SparkSession") -> "SparkSession":
    """A session of its own on `spark`'s context (its own temp views), with the settings that give DuckDB's answers."""
    session = spark.newSession()
    for key, value in SESSION_SETTINGS.items():
        session.conf.set(key, value)
    return session


def _cached(frame: "DataFrame") -> "DataFrame":
    cached = frame.cache()
    cached.count()
    return cached


def spark_reader_factory(spark: "SparkSession") -> Callable[..., SparkReader]:
    """What `Engine` takes as its reader factory to run on `spark`."""
    return partial(SparkReader, spark=spark)


def _interrupted() -> duckdb.InterruptException:
    return duckdb.InterruptException("INTERRUPT Error: the query was interrupted")


def _local_paths(message: str) -> str:
    for prefix in _FILE_URL_PREFIXES:
        message = message.replace(prefix, "")
    return message
