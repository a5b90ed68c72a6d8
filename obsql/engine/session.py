"""The DuckDB engine: a sandboxed in-process connection over one store that runs compiled OQL plans.

The connection (the store's `StoreReader`, locked down as DuckDB allows) sees the store's tables as views over the
live Parquet files (refreshed before each statement) plus the lineage views the walks read; `sql` statements are
further limited to one SELECT by the compiler. Opening a store to query it never writes to it: only `flag` and
`unflag` statements write, and they hand their rows to the client (`obsql.client.events`).
"""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from obsql.compiler.compile import compile_statement
from obsql.compiler.lineage import RUN_FIELDS
from obsql.compiler.plans import RESULT_RELATION, ExpectPlan, Plan, SqlPlan, StepPlan
from obsql.engine import cards, forward, recent, walks
from obsql.engine.catalog import StoreCatalog
from obsql.engine.cycles import collector_paused
from obsql.engine.deadlines import WATCHDOG
from obsql.engine.duckdb_errors import explain_duckdb_error
from obsql.errors import ObsqlError
from obsql.grammar import ast, parse
from obsql.result import EXPECT_COLUMNS, ArrowRows, Result
from obsql.storage import lineage_index
from obsql.storage.reader import DEFAULT_MEMORY_LIMIT, StoreReader
from obsql.storage.store import ParquetStore
from obsql.storage.writer import waiting_spools

DEFAULT_TIMEOUT = 600.0  # seconds a statement may run; 0 for no limit
CORE_LIMIT = 2_000_000  # edges; a larger core stays on disk and walks query it level by level
CORE_FROM_WALK = 2  # the first trace of an engine goes level by level: one `obsql -c trace` need not load the core
#                    (slices, rankings and reviews walk from many runs and load it at once)
CORE_LINKS = "SELECT run_id, dep_run_id, pointer FROM lineage_inner_edges"
CORE_RUNS = f"SELECT {RUN_FIELDS} FROM lineage_inner_runs"
CORE_OUTPUTS = "SELECT run_id, outputs, total FROM lineage_inner_outputs"


ReaderFactory = Callable[..., StoreReader]  # (root, memory_limit=...) -> a reader: DuckDB's, or Spark's (obsql.spark)


class Engine:
    """Runs OQL against one store, through the reader `reader_factory` makes (DuckDB's by default)."""

    def __init__(self, store: ParquetStore, timeout: float = DEFAULT_TIMEOUT,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT, reader_factory: ReaderFactory = StoreReader) -> None:
        self.store = store
        self.timeout = timeout  # seconds a statement may run before it is cancelled (0: no limit)
        self.memory_limit = memory_limit
        self.reader = reader_factory(store.root, memory_limit=memory_limit)
        self.con = self.reader.con
        lineage_index.attach_views(self.reader, store.root)
        self._core_key: tuple | None = None
        self._loaded_core: walks.UpstreamCore | None = None
        self._walks = 0  # walks run so far: the core is loaded once they are frequent enough to repay it
        self._walked: tuple[list[str], list[tuple]] | None = None
        self._timed_out = False  # whether the last statement ran out of time
        self.as_of: datetime | None = None  # what `now` means for relative times (None: the clock's now)

    @classmethod
    def open(cls, path: str | Path, timeout: float = DEFAULT_TIMEOUT, memory_limit: str = DEFAULT_MEMORY_LIMIT,
             reader_factory: ReaderFactory = StoreReader) -> "Engine":
        """An engine over the existing store at `path`, opened to read: nothing in it is written or recovered."""
        return cls(ParquetStore(path, create=False), timeout, memory_limit, reader_factory)

    # -- running text ---------------------------------------------------------------------------------------------
    def run(self, text: str, now: datetime | None = None) -> list[Result]:
        """Every statement of an OQL text, in order; stops at the first error."""
        script = parse(text)
        return [self.run_statement(statement, statement_text, now, source=text)
                for statement, statement_text in zip(script.statements, script.texts)]

    def run_statement(self, statement: ast.Statement, text: str = "", now: datetime | None = None,
                      source: str | None = None) -> Result:
        """Run one parsed statement; `source` is the whole text its positions point into (for error carets)."""
        self.refresh()
        self._walked = None  # what a walk of this statement made, not of an earlier one
        try:
            with self._time_limit(), collector_paused():
                plan = compile_statement(statement, StoreCatalog(self.reader), text, self._now(now))
                result = self.execute(plan, text)
        except ObsqlError as err:
            raise err.with_source(source if source is not None else text)
        except duckdb.Error as exc:
            error = self._past_a_limit(exc) or explain_duckdb_error(exc, statement, lambda q: self._binds(q, now))
            raise error.with_source(source if source is not None else text) from None
        result.notes += self._store_notes()
        return result

    def _now(self, now: datetime | None) -> datetime:
        """The instant relative times count back from: given, else the engine's `as_of`, else the clock's."""
        return now or self.as_of or datetime.now(timezone.utc)

    @contextmanager
    def _time_limit(self) -> Iterator[None]:
        """Cancel the statement once it has run `timeout` seconds: the query running then is interrupted, and the
        reader refuses to start another."""
        if not self.timeout:
            yield
            return
        self.reader.deadline = time.monotonic() + self.timeout
        token = WATCHDOG.arm(self.timeout, self.interrupt)
        try:
            yield
        finally:
            WATCHDOG.disarm(token)
            self._timed_out = self.reader.deadline is not None and time.monotonic() >= self.reader.deadline
            self.reader.deadline = None

    def _past_a_limit(self, exc: duckdb.Error) -> ObsqlError | None:
        """The error for a statement stopped by its time or memory limit (None for any other DuckDB error)."""
        if isinstance(exc, duckdb.InterruptException) and self._timed_out:
            return ObsqlError("input", f"the statement ran past its time limit ({self.timeout:g} s) and was cancelled",
                              suggestion="narrow it (a component, a time range), or allow more time: --timeout "
                                         "SECONDS on the command line, .timeout SECONDS in the shell, 0 for none")
        if isinstance(exc, duckdb.OutOfMemoryException):
            return ObsqlError("input", f"the statement needs more memory than its limit ({self.memory_limit})",
                              suggestion="narrow it (a component, a time range), or allow more: --memory-limit "
                                         "(e.g. 80% or 16GB)")
        return None

    def _store_notes(self) -> list[str]:
        """What a reader should know about the store itself: rows of stopped writers not recovered yet."""
        waiting = waiting_spools(self.store.root)
        if not waiting:
            return []
        return [f"{waiting} spool file(s) of stopped writers hold rows not in these results yet: "
                "`obsql recover` (or the next writer, or `obsql compact`) adds them"]

    def _binds(self, query: ast.Query, now: datetime | None) -> bool | None:
        """Whether `query` compiles and DuckDB binds it. A walk's pipes are bound over a row of what the walk just
        made (None when no walk ran)."""
        try:
            plan = compile_statement(query, StoreCatalog(self.reader), "", self._now(now))
            if isinstance(plan, SqlPlan):
                self.reader.execute(f"SELECT * FROM ({plan.sql}) AS probe LIMIT 0", _used(plan.sql, plan.params))
            elif isinstance(plan, StepPlan) and plan.pipe_sql is not None:
                if self._walked is None:
                    return None
                self._refine(*self._walked, f"SELECT * FROM ({plan.pipe_sql}) AS probe LIMIT 0", plan.params)
            elif not isinstance(plan, StepPlan):
                return None
            return True
        except (ObsqlError, duckdb.Error):
            return False

    def explain(self, text: str, now: datetime | None = None) -> str:
        """The SQL each statement compiles to."""
        script = parse(text)
        self.refresh()
        try:
            plans = [compile_statement(s, StoreCatalog(self.reader), t, self._now(now))
                     for s, t in zip(script.statements, script.texts)]
        except ObsqlError as err:
            raise err.with_source(text)
        return "\n\n".join(plan.explain() for plan in plans)

    def refresh(self) -> None:
        """Pick up files written since the last statement."""
        self.store.flush()
        self.reader.refresh()

    def interrupt(self) -> None:
        """Stop the statement's running query, on whichever engine the reader runs it (the deadline's watchdog
        and Ctrl-C in the shell call this)."""
        self.reader.interrupt()

    # -- plans ----------------------------------------------------------------------------------------------------
    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return self.reader.execute(sql, params or {}).fetchall()

    def execute(self, plan: Plan, text: str = "") -> Result:
        if isinstance(plan, SqlPlan):  # columnar to the renderer: rows become Python only where they are read
            table = self.reader.fetch_arrow(plan.sql, _used(plan.sql, plan.params))
            return Result(table.column_names, ArrowRows(table), plan.explain(), plan.shape, text, bounds=plan.bounds)
        if isinstance(plan, StepPlan):
            walking = plan.action in _WALKS
            if walking:
                self._walks += 1
            wide = plan.action in _WIDE_WALKS  # walks from many runs at once repay the core at once
            core = self._core() if walking and (wide or self._walks >= CORE_FROM_WALK) else None
            built = _ACTIONS[plan.action](self, walks.Steps(plan, self.reader, core), plan.args)
            self._walked = (list(built.columns), built.rows[:1])  # to find which pipe fails, if one does
            columns, rows = self._refine(list(built.columns), built.rows, plan.pipe_sql, plan.params)
            return Result(columns, rows, plan.explain(), plan.shape if plan.pipe_sql is None else "table", text,
                          notes=list(built.notes))
        return self._expect(plan, text)

    def _core(self) -> walks.UpstreamCore | None:
        """The upstream core of the run graph, loaded once and again only when the store changed (None when the
        reader walks level by level: `loads_upstream_core`)."""
        if not self.reader.loads_upstream_core:
            return None
        self.reader.prepare(f"{CORE_LINKS} {CORE_RUNS} {CORE_OUTPUTS}")
        manifest = self.store.root / lineage_index.INDEX_DIR / lineage_index.MANIFEST
        key = (self.reader.generation("deps"), self.reader.generation("runs"), self.reader.generation("io"),
               manifest.stat().st_mtime_ns if manifest.exists() else 0)
        if key != self._core_key:
            self._core_key = key
            self._loaded_core = None
            if self.query("SELECT count(*) FROM lineage_inner_edges")[0][0] <= CORE_LIMIT:
                links: dict[str, list[tuple[str, str]]] = {}
                for run_id, dep_run_id, pointer in self.query(CORE_LINKS):
                    links.setdefault(run_id, []).append((dep_run_id, pointer))
                columns, rows = self.reader.fetch(CORE_RUNS)
                runs = {row[0]: dict(zip(columns, row)) for row in rows}
                outputs = {run_id: (names, total) for run_id, names, total in self.query(CORE_OUTPUTS)}
                self._loaded_core = walks.UpstreamCore(links, runs, outputs)
        return self._loaded_core

    def _refine(self, columns: list[str], rows: list[tuple], pipe_sql: str | None,
                params: dict[str, Any]) -> tuple[list[str], list[tuple]]:
        """Run `pipe_sql` over rows registered as the relation __result (rows pass through when there is none)."""
        if pipe_sql is None:
            return columns, rows
        self.con.register(RESULT_RELATION, Result(columns, rows).to_arrow())
        try:
            return self.reader.fetch(pipe_sql, _used(pipe_sql, params))
        finally:
            self.con.unregister(RESULT_RELATION)

    def _expect(self, plan: ExpectPlan, text: str) -> Result:
        inner = self.execute(plan.query, text)
        if plan.kind == "condition":
            names, values = self._refine(inner.columns, inner.rows, plan.condition_sql, plan.params)
            observed = dict(zip(names, values[0]))
            passed = bool(observed.pop("passed"))
            detail = ", ".join(f"{name} = {value}" for name, value in observed.items())
        else:
            passed = (len(inner) == 0) == (plan.kind == "empty")
            detail = f"{len(inner)} row(s)"
        return Result(list(EXPECT_COLUMNS), [(text, passed, detail)], plan.explain(), "expect",
                      text, passed=passed)


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters a SQL text refers to (DuckDB refuses extra ones)."""
    return {name: params[name] for name in dict.fromkeys(re.findall(r"\$(\w+)", sql)) if name in params}


def _flag(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    """Flag (or unflag) named pointers; an unknown one stops the statement before anything is written."""
    pointers, flagged = args["pointers"], args["flagged"]
    known = {pointer for (pointer,) in steps.rows("known_pointers", pointers=pointers)}
    unknown = next((pointer for pointer in pointers if pointer not in known), None)
    if unknown is not None:
        raise walks.unknown_pointer(steps, unknown)
    _write_flags(engine.store, pointers, flagged)
    return walks.Tabular(("pointer", "flagged"), [(pointer, flagged) for pointer in pointers])


def _flag_outputs(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    pointers = list(dict.fromkeys(pointer for pointer, *_ in steps.rows("outputs")))
    _write_flags(engine.store, pointers, args["flagged"])
    return walks.Tabular(("pointer", "flagged"), [(pointer, args["flagged"]) for pointer in pointers])


def _unflag_all(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    pointers = [p for (p,) in steps.rows("flagged")]
    _write_flags(engine.store, pointers, False)
    return walks.Tabular(("pointer", "flagged"), [(p, False) for p in pointers])


def _tag(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    """Tag or untag a component after the fact: events, the latest per tag wins over what its code declared."""
    from obsql.client.events import write_tags

    write_tags(engine.store, args["component"], args["tags"], args["tagged"])
    return walks.Tabular(("component", "tag", "tagged"), [(args["component"], t, args["tagged"]) for t in args["tags"]])


def _note(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    """A note on a run: an event, kept with its time beside the run's earlier notes."""
    from obsql.client.events import write_note
    from obsql.engine.cards import resolve_run

    run_id = resolve_run(steps, args["run_id"])["run_id"]
    write_note(engine.store, run_id, args["text"])
    return walks.Tabular(("run_id", "note"), [(run_id, args["text"])])


def _write_flags(store: ParquetStore, pointers: list[str], flagged: bool) -> None:
    """Flags are written by the client, loaded when a statement first writes (queries never need it)."""
    from obsql.client.events import write_flags

    write_flags(store, pointers, flagged)


def _diagnose():
    """The diagnose action, imported when first used: it loads polars and scipy."""
    from obsql.engine import diagnose

    return diagnose


def _drift():
    """The drift and adversarial actions, imported when first used: they load polars and scipy."""
    from obsql.engine import drift

    return drift


_WALKS = {"trace", "trace_forward", "slice", "rank", "review", "diagnose"}
_WIDE_WALKS = {"slice", "rank", "review", "diagnose"}

_ACTIONS: dict[str, Callable[[Engine, walks.Steps, dict], walks.Tabular]] = {
    "trace": lambda e, steps, a: walks.trace(steps, a["pointer"], a["depth"]),
    "trace_forward": lambda e, steps, a: forward.trace_forward(steps, a["pointer"], a["depth"]),
    "slice": lambda e, steps, a: walks.slice_traces(steps),
    "rank": lambda e, steps, a: walks.rank_slice(steps, a["component"]),
    "review": lambda e, steps, a: walks.review(steps),
    "diagnose": lambda e, steps, a: _diagnose().diagnose(steps, a),
    "recent": lambda e, steps, a: recent.recent(steps, a["limit"]),
    "inspect_run": lambda e, steps, a: cards.run_card(steps, a["run_id"]),
    "inspect_pointer": lambda e, steps, a: cards.pointer_card(steps, a["pointer"]),
    "drift": lambda e, steps, a: _drift().drift_table(steps, a["columns"], a["exclude"]),
    "adversarial": lambda e, steps, a: _drift().adversarial_table(steps, a["columns"], a["exclude"]),
    "flag": _flag,
    "flag_outputs": _flag_outputs,
    "tag": _tag,
    "note": _note,
    "unflag_all": _unflag_all,
}

