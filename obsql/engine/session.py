"""The DuckDB engine: a sandboxed in-process connection over one store that runs compiled OQL plans.

The connection sees the store's tables as views over the live Parquet files (refreshed before each statement) plus
the lineage views the walks read. It is locked down as DuckDB allows: file access only under the store, no
extensions, no settings changes; `sql` statements are further limited to one SELECT by the compiler.
"""
from __future__ import annotations

import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

import duckdb

from obsql.compiler.compile import compile_statement
from obsql.compiler.lineage import RUN_FIELDS
from obsql.monitor.slas import parse_slas
from obsql.compiler.plans import RESULT_RELATION, ExpectPlan, Plan, SqlPlan, StepPlan
from obsql.engine import cards, walks
from obsql.engine.blame import explain_duckdb_error
from obsql.engine.result import Result
from obsql.errors import ObsqlError
from obsql.grammar import ast, parse
from obsql.storage import lineage_index
from obsql.storage.reader import StoreReader
from obsql.storage.store import ParquetStore

CORE_LIMIT = 2_000_000  # edges; a larger core stays on disk and walks query it level by level
CORE_FROM_WALK = 2  # the first walk of an engine goes level by level: one `obsql -c trace` need not load the core
CORE_LINKS = "SELECT run_id, dep_run_id, pointer FROM lineage_inner_edges"
CORE_RUNS = f"SELECT {RUN_FIELDS} FROM lineage_inner_runs"


class StoreCatalog:
    """Component and metric names, read from the store once per statement."""

    def __init__(self, engine: "Engine") -> None:
        self._engine = engine
        self._metrics: dict[str, list[str]] = {}
        self._logged: dict[tuple[str, str], bool] = {}
        self._components: list[str] | None = None

    def components(self) -> list[str]:
        if self._components is None:
            runs = self._engine.store.root / "runs"
            names = {unquote(d.name.partition("=")[2]) for d in runs.glob("component=*")} if runs.is_dir() else set()
            self._components = sorted(names)
        return self._components

    def slas(self, component: str) -> dict[str, float]:
        """The SLA bounds the component declared most recently, by metric."""
        rows = self._engine.query("SELECT slas FROM components WHERE name = $c ORDER BY ts DESC LIMIT 1",
                                  {"c": component})
        parsed = parse_slas({text.split(" ", 1)[0]: text.split(" ", 1)[1] for text in (rows[0][0] or [])}) \
            if rows else ()
        return {sla.metric: sla.bound for sla in parsed}

    def columns(self, component: str) -> list[str]:
        return [name for (name,) in self._engine.query(
            "SELECT DISTINCT column_name FROM summaries WHERE component = $c ORDER BY column_name", {"c": component})]

    def metrics(self, component: str) -> list[str]:
        if component not in self._metrics:
            rows = self._engine.query("SELECT DISTINCT name FROM metrics WHERE component = $c ORDER BY name",
                                      {"c": component})
            self._metrics[component] = [name for (name,) in rows]
        return self._metrics[component]

    def logged(self, component: str, metric: str) -> bool:
        if component in self._metrics:
            return metric in self._metrics[component]
        if (component, metric) not in self._logged:
            self._logged[component, metric] = bool(self._engine.query(
                "SELECT 1 FROM metrics WHERE component = $c AND name = $m LIMIT 1", {"c": component, "m": metric}))
        return self._logged[component, metric]


class Engine:
    """Runs OQL against one store."""

    def __init__(self, store: ParquetStore) -> None:
        self.store = store
        self.reader = StoreReader(store.root)
        self.con = self.reader.con
        lineage_index.attach_views(self.reader, store.root)
        _sandbox(self.con, store.root)
        self._core_key: tuple | None = None
        self._loaded_core: walks.UpstreamCore | None = None
        self._walks = 0  # walks run so far: the core is loaded once they are frequent enough to repay it
        self._walked: tuple[list[str], list[tuple]] | None = None

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
            plan = compile_statement(statement, StoreCatalog(self), text, now or datetime.now(timezone.utc))
            return self.execute(plan, text)
        except ObsqlError as err:
            raise err.with_source(source if source is not None else text)
        except duckdb.Error as exc:
            error = explain_duckdb_error(exc, statement, lambda query: self._binds(query, now))
            raise error.with_source(source if source is not None else text) from None

    def _binds(self, query: ast.Query, now: datetime | None) -> bool | None:
        """Whether `query` compiles and DuckDB binds it. A walk's pipes are bound over a row of what the walk just
        made (None when no walk ran)."""
        try:
            plan = compile_statement(query, StoreCatalog(self), "", now or datetime.now(timezone.utc))
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
            plans = [compile_statement(s, StoreCatalog(self), t, now or datetime.now(timezone.utc))
                     for s, t in zip(script.statements, script.texts)]
        except ObsqlError as err:
            raise err.with_source(text)
        return "\n\n".join(plan.explain() for plan in plans)

    def refresh(self) -> None:
        """Pick up files written since the last statement."""
        self.store.flush()
        self.reader.refresh()

    def interrupt(self) -> None:
        self.con.interrupt()

    # -- plans ----------------------------------------------------------------------------------------------------
    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple]:
        return self.reader.execute(sql, params or {}).fetchall()

    def execute(self, plan: Plan, text: str = "") -> Result:
        if isinstance(plan, SqlPlan):
            columns, rows = self.reader.fetch(plan.sql, _used(plan.sql, plan.params))
            return Result(columns, rows, plan.explain(), plan.shape, text, bounds=plan.bounds)
        if isinstance(plan, StepPlan):
            walking = plan.action in _WALKS
            if walking:
                self._walks += 1
            core = self._core() if walking and self._walks >= CORE_FROM_WALK else None
            built = _ACTIONS[plan.action](self, walks.Steps(plan, self.reader, core), plan.args)
            self._walked = (list(built.columns), built.rows[:1])  # to find which pipe fails, if one does
            columns, rows = self._refine(list(built.columns), built.rows, plan.pipe_sql, plan.params)
            return Result(columns, rows, plan.explain(), plan.shape if plan.pipe_sql is None else "table", text)
        return self._expect(plan, text)

    def _core(self) -> walks.UpstreamCore | None:
        """The upstream core of the run graph, loaded once and again only when the store changed."""
        self.reader.prepare(f"{CORE_LINKS} {CORE_RUNS}")
        manifest = self.store.root / lineage_index.INDEX_DIR / lineage_index.MANIFEST
        key = (self.reader.generation("deps"), self.reader.generation("runs"),
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
                self._loaded_core = walks.UpstreamCore(links, runs)
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
        return Result(["expectation", "passed", "observed"], [(text, passed, detail)], plan.explain(), "expect",
                      text, passed=passed)


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters a SQL text refers to (DuckDB refuses extra ones)."""
    return {name: params[name] for name in dict.fromkeys(re.findall(r"\$(\w+)", sql)) if name in params}


def _flag(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    pointer, flagged = args["pointer"], args["flagged"]
    if not (steps.rows("exists", pointer=pointer)[0][0] or steps.rows("exists_as_input", pointer=pointer)[0][0]):
        raise walks.unknown_pointer(steps, pointer)
    write_flags(engine.store, [pointer], flagged)
    return walks.Tabular(("pointer", "flagged"), [(pointer, flagged)])


def _unflag_all(engine: Engine, steps: walks.Steps, args: dict) -> walks.Tabular:
    pointers = [p for (p,) in steps.rows("flagged")]
    write_flags(engine.store, pointers, False)
    return walks.Tabular(("pointer", "flagged"), [(p, False) for p in pointers])


def write_flags(store: ParquetStore, pointers: list[str], flagged: bool) -> None:
    """Append flag events (the latest per pointer wins) and make them visible at once."""
    if not pointers:
        return
    moment = datetime.now(timezone.utc)
    micros = int(moment.timestamp() * 1_000_000)
    columns = {"pointer": list(pointers), "flagged": [flagged] * len(pointers), "ts": [micros] * len(pointers)}
    store.writer.append([("flags", (moment.date().isoformat(),), columns)])
    store.flush()


def _statistics():
    """The drift and adversarial actions, imported when first used: they load polars and scipy."""
    from obsql.engine import statistics

    return statistics


_WALKS = {"trace", "trace_forward", "slice", "rank", "review"}

_ACTIONS: dict[str, Callable[[Engine, walks.Steps, dict], walks.Tabular]] = {
    "trace": lambda e, steps, a: walks.trace(steps, a["pointer"], a["depth"]),
    "trace_forward": lambda e, steps, a: walks.trace_forward(steps, a["pointer"], a["depth"]),
    "slice": lambda e, steps, a: walks.slice_traces(steps),
    "rank": lambda e, steps, a: walks.rank_runs(steps, walks.slice_outputs(steps)),
    "review": lambda e, steps, a: walks.review(steps),
    "inspect_run": lambda e, steps, a: cards.run_card(steps, a["run_id"]),
    "inspect_pointer": lambda e, steps, a: cards.pointer_card(steps, a["pointer"]),
    "drift": lambda e, steps, a: _statistics().drift_table(steps, a["columns"]),
    "adversarial": lambda e, steps, a: _statistics().adversarial_table(steps, a["columns"]),
    "flag": _flag,
    "unflag_all": _unflag_all,
}


def _sandbox(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Lock the connection to reading the store (DuckDB's own sandbox settings).

    DuckDB also allows its spill directory; it is made a fresh private one, so nothing else can be read there."""
    spill = tempfile.mkdtemp(prefix="obsql-spill-")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute(f"SET allowed_directories = ['{str(root).replace(chr(39), chr(39) * 2)}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET lock_configuration = true")
