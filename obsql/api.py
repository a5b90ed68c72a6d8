"""The public Python surface: connect to a store, log runs into it, flag outputs, record late labels, query.

Module-level functions act on the last connected store; `connect()` with no path opens `$OBSQL_STORE`, else
`./obsql_store`, creating it when missing.
"""
from __future__ import annotations

import atexit
import sys
import warnings
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import obsql.render  # noqa: F401  (results returned here draw themselves: it installs their drawers)
from obsql.client import active
from obsql.client.background import BACKGROUND
from obsql.client.component import Component
from obsql.client.events import write_feedback
from obsql.client.logger import RunLogger
from obsql.client.record import RunRecord
from obsql.client.runner import run_block
from obsql.compiler.events import FLAGGED_NOW
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.grammar import ast
from obsql.result import Result
from obsql.spark.selection import engine_name, reader_factory
from obsql.storage.layout import default_root
from obsql.storage.store import ParquetStore

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from obsql.openlineage.importer import ImportReport
    from obsql.removal import Removal


class Store:
    """A connected store: runs are logged into it and questions asked of it."""

    def __init__(self, path: str | Path | None = None, *, sample_rows: int = 100, flush_rows: int = 100_000,
                 flush_seconds: float = 5.0, durable: bool = False, refresh_seconds: float = 5.0,
                 strict: bool = False, engine: str | None = None, spark: SparkSession | str | None = None) -> None:
        self.files = ParquetStore(path if path is not None else default_root(), create=True,
                                  flush_rows=flush_rows, flush_seconds=flush_seconds, durable=durable, strict=strict)
        self.logger = RunLogger(self.files, sample_rows=sample_rows, refresh_seconds=refresh_seconds)
        self._engine: Engine | None = None
        self.use_engine(engine, spark)

    def use_engine(self, engine: str | None = None, spark: SparkSession | str | None = None) -> None:
        """Run this store's queries on DuckDB or on Spark (`connect`'s `engine` and `spark`) from the next one on."""
        self._engine_name = engine_name(engine)  # the Spark session is built (or taken) when first asked
        self._spark = spark
        self._engine = None

    @property
    def path(self) -> Path:
        return self.files.root

    def __repr__(self) -> str:
        return f"<obsql store {self.path}>"

    # -- logging --------------------------------------------------------------------------------------------------
    def run(self, name: str | Component, inputs: Iterable = (), outputs: Iterable = (),
            start: datetime | None = None, end: datetime | None = None) -> AbstractContextManager[RunRecord]:
        """A `with` block logged as one run of component `name`."""
        return self._block(name, sys._getframe(1), inputs, outputs, start, end)

    def _block(self, name: str | Component, caller, inputs: Iterable, outputs: Iterable,
               start: datetime | None, end: datetime | None) -> AbstractContextManager[RunRecord]:
        component = name if isinstance(name, Component) else Component(name)
        return run_block(self.logger, component, caller, inputs, outputs, start, end)

    def flag(self, *pointers: str) -> None:
        """Mark outputs as suspicious, all in one write; `review` ranks the runs common to flagged outputs' traces.
        A pointer the store never saw raises before anything is written."""
        if pointers:
            self.engine.run_statement(ast.Flag(tuple(dict.fromkeys(pointers))))

    def unflag(self, *pointers: str) -> None:
        if pointers:
            self.engine.run_statement(ast.Unflag(tuple(dict.fromkeys(pointers))))

    def unflag_all(self) -> None:
        self.engine.run_statement(ast.Unflag())

    def tag(self, component: str, *tags: str) -> None:
        """Add tags to a component after the fact (an event: `components` shows them; the latest per tag wins)."""
        if tags:
            self.engine.run_statement(ast.Tag(component, tuple(dict.fromkeys(tags))))

    def add_notes(self, run_id: str, text: str) -> None:
        """Add a note to a run (its id or a unique prefix); `inspect run` shows every note with its time."""
        self.engine.run_statement(ast.Note(run_id, text))

    def untag(self, component: str, *tags: str) -> None:
        """Remove tags from a component, declared ones included, until it is tagged again."""
        if tags:
            self.engine.run_statement(ast.Tag(component, tuple(dict.fromkeys(tags)), tagged=False))

    def flagged(self) -> list[str]:
        """The pointers flagged now (the latest event per pointer wins)."""
        return [pointer for (pointer,) in self.engine.run_statement(ast.Query(ast.Sql(FLAGGED_NOW))).rows]

    # -- asking ---------------------------------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.files, reader_factory=reader_factory(self._engine_name, self._spark))
        return self._engine

    def query(self, text: str) -> Result:
        """Run OQL (one statement or several separated by `;`); returns the last statement's result."""
        results = self.engine.run(text)
        if not results:
            raise ObsqlError("syntax", "the query is empty", suggestion="try `components` or `recent`")
        return results[-1]

    def sql(self, text: str) -> Result:
        """Run one read-only SQL SELECT over the store's tables."""
        return self.engine.run_statement(ast.Query(ast.Sql(text)), text)

    def log_feedback(self, ids: Sequence[str] | str, labels: Sequence[Any] | Any,
                     ts: datetime | Sequence[datetime] | None = None) -> None:
        """Record labels that arrived (possibly late) for prediction ids."""
        write_feedback(self.files, ids, labels, ts)

    # -- OpenLineage ----------------------------------------------------------------------------------------------
    def import_openlineage(self, source: str | Path | Iterable[dict[str, Any]]) -> ImportReport:
        """Log the runs OpenLineage RunEvents describe: a JSON-lines file (`-` for standard input) or decoded events.
        Every event is checked before any run is written; a run with no COMPLETE, FAIL or ABORT is left out with a
        warning, and one the store already has is not logged again (docs/openlineage.md has the mapping)."""
        from obsql.openlineage.importer import import_events, read_events

        report = import_events(read_events(source), self.logger, self.engine)
        for sentence in report.unfinished:
            warnings.warn(f"obsql: {sentence}", stacklevel=2)
        self.flush()
        return report

    def export_openlineage(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """The runs that started at or after `since` (all when None) as OpenLineage RunEvents: a START and a COMPLETE
        (or FAIL) per run, with inputs, outputs and facets."""
        from obsql.openlineage.exporter import export_events

        self.engine.refresh()
        return list(export_events(self.engine, since))

    # -- housekeeping ---------------------------------------------------------------------------------------------
    def forget(self, pointer: str, forward: bool = False, *, runs: bool = False, dry_run: bool = False,
               requested_by: str | None = None) -> Removal:
        """Delete a pointer's data (sampled rows, summaries, feedback, flags, its value in io) from every file, and
        with `forward` that of every pointer derived from it; `runs` removes the runs that touched them too.
        Runs and lineage edges otherwise stay, marked as redacted; the `redactions` table audits it."""
        from obsql import removal

        return removal.forget(self, pointer, forward=forward, runs=runs, dry_run=dry_run, requested_by=requested_by)

    def retain(self, *, samples: str | None = None, feedback: str | None = None, summaries: str | None = None,
               runs: str | None = None, dry_run: bool = False, requested_by: str | None = None) -> Removal:
        """Delete data older than each age given (`samples="90d"`, `feedback="1y"`, `runs="2y"`: whole runs with
        their lineage); the `redactions` table audits it."""
        from obsql import removal

        ages = {"samples": samples, "feedback": feedback, "summaries": summaries, "runs": runs}
        return removal.retain(self, {kind: age for kind, age in ages.items() if age}, dry_run=dry_run,
                              requested_by=requested_by)

    def flush(self) -> None:
        """Write everything logged so far to Parquet (also done every few seconds and at exit)."""
        BACKGROUND.wait()
        self.files.flush()

    def close(self) -> None:
        BACKGROUND.wait()
        self.files.close()
        _open_stores.pop(self.path, None)


_open_stores: dict[Path, Store] = {}


def connect(path: str | Path | None = None, **options: Any) -> Store:
    """Open (creating if needed) the store at `path`; later module-level calls use it.

    `engine="spark"` (else `$OBSQL_ENGINE`, else DuckDB) runs its queries on Spark: `spark=` a SparkSession, or a
    master URL (else `$OBSQL_SPARK_MASTER`, else local[2]); pyspark comes with `pip install 'obsql[spark]'`."""
    root = Path(path if path is not None else default_root()).expanduser().resolve()
    store = _open_stores.get(root)
    if store is None:
        store = _open_stores[root] = Store(root, **options)
        atexit.register(store.close)  # after the writer's own exit hook, so it runs first: triggers, then flush
    elif "engine" in options or "spark" in options:  # connected again to query it on another engine
        store.use_engine(options.get("engine"), options.get("spark"))
    global _current
    active.use(store.logger)
    _current = store
    return store


_current: Store | None = None


def current() -> Store:
    """The last connected store (connecting the default one if none is)."""
    return _current if _current is not None else connect()


active.when_none_connected(lambda: current().logger)


def run(name: str | Component, inputs: Iterable = (), outputs: Iterable = (), start: datetime | None = None,
        end: datetime | None = None) -> AbstractContextManager[RunRecord]:
    """`with obsql.run("clean", inputs=[...]) as r:` logs the block as one run of `clean`."""
    return current()._block(name, sys._getframe(1), inputs, outputs, start, end)


def register(name: str, *, description: str = "", owner: str = "", tags: Iterable[str] = (),
             input_vars: Iterable[str] = (), output_vars: Iterable[str] = (), inputs: Iterable[str] = (),
             outputs: Iterable[str] = (), input_values: dict[str, str] | None = None,
             output_values: dict[str, str] | None = None, endpoint: bool = False, auto_log: bool = False,
             staleness_days: float = 30.0, static: bool = False) -> Callable:
    """The run decorator without a Component object: `@obsql.register("clean", input_vars=["raw"])`."""
    component = Component(name, description=description, owner=owner, tags=tags, staleness_days=staleness_days,
                          static=static)
    return component.run(input_vars=input_vars, output_vars=output_vars, inputs=inputs, outputs=outputs,
                         input_values=input_values, output_values=output_values, endpoint=endpoint,
                         auto_log=auto_log)


def flag(*pointers: str) -> None:
    current().flag(*pointers)


def unflag(*pointers: str) -> None:
    current().unflag(*pointers)


def unflag_all() -> None:
    current().unflag_all()


def tag(component: str, *tags: str) -> None:
    current().tag(component, *tags)


def untag(component: str, *tags: str) -> None:
    current().untag(component, *tags)


def add_notes(run_id: str, text: str) -> None:
    current().add_notes(run_id, text)


def log_feedback(ids: Sequence[str] | str, labels: Sequence[Any] | Any,
                 ts: datetime | Sequence[datetime] | None = None) -> None:
    current().log_feedback(ids, labels, ts)


def forget(pointer: str, forward: bool = False, **options: Any) -> Removal:
    """`Store.forget` on the last connected store."""
    return current().forget(pointer, forward, **options)


def retain(**ages_and_options: Any) -> Removal:
    """`Store.retain` on the last connected store."""
    return current().retain(**ages_and_options)


def import_openlineage(source: str | Path | Iterable[dict[str, Any]]) -> ImportReport:
    """`Store.import_openlineage` on the last connected store."""
    return current().import_openlineage(source)


def export_openlineage(since: datetime | None = None) -> list[dict[str, Any]]:
    """`Store.export_openlineage` on the last connected store."""
    return current().export_openlineage(since)


def query(text: str) -> Result:
    """Run OQL on the last connected store; returns the last statement's result."""
    return current().query(text)


def sql(text: str) -> Result:
    """Run one read-only SQL SELECT on the last connected store."""
    return current().sql(text)
