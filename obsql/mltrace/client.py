"""mltrace 0.17's client functions, each answered by obsql: logging goes through obsql's runner, questions through
its engine (the OQL each one runs is in docs/from-mltrace.md).

Differences a caller can see: run ids are obsql's (sortable text, not integers); `set_db_uri` takes a store
directory; a trace lists a run reached twice once more without expanding it again; `review_flagged_outputs` orders
runs by obsql's over-representation ranking (which agrees with mltrace's counts when every output is flagged).
Unknown ids raise `NotFound`, a RuntimeError as in mltrace and an obsql error (it renders with a suggestion).
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import obsql
from obsql.client import active
from obsql.client.clock import micros, utc
from obsql.client.component import Component as CoreComponent
from obsql.client.dependencies import Dependency, Production
from obsql.client.logger import ComponentInfo
from obsql.client.runner import RunSpec, decorate
from obsql.errors import ObsqlError, UnknownName, did_you_mean
from obsql.mltrace.entities import Component, ComponentRun, IOPointer

DEFAULT_STALENESS_SECONDS = 60 * 60 * 24 * 30
SECONDS_PER_DAY = 86_400


class NotFound(UnknownName, RuntimeError):
    """An id, pointer or component the store does not have (a RuntimeError, as mltrace raised)."""


# -- the store ----------------------------------------------------------------------------------------------------


def set_db_uri(uri: str | os.PathLike) -> None:
    """Log into and read the store at `uri`, a directory (created when missing)."""
    text = os.fspath(uri)
    if "://" in text:
        raise ObsqlError("input", f"obsql stores are directories, not database URIs like {text!r}",
                         suggestion="pass a path, e.g. set_db_uri('./obsql_store')")
    obsql.connect(text)


def get_db_uri() -> str:
    return str(obsql.current().path)


def _engine():
    return obsql.current().engine


def _rows(sql: str, **params: Any) -> list[dict]:
    """Rows of one SQL query over the store, with everything logged so far visible."""
    engine = _engine()
    engine.refresh()
    columns, rows = engine.reader.fetch(sql, params)
    return [dict(zip(columns, row)) for row in rows]


# -- components ---------------------------------------------------------------------------------------------------


def create_component(name: str, description: str, owner: str, tags: list[str] | None = None) -> None:
    """Declare a component, unless the store already has it (as mltrace did)."""
    if _declared(name) is None:
        obsql.current().logger.declare(ComponentInfo(name, description, owner, tuple(dict.fromkeys(tags or []))))


def tag_component(component_name: str, tags: list[str]) -> None:
    obsql.tag(component_name, *tags)


def _declared(name: str) -> dict | None:
    found = [c for c in obsql.query("components").to_dicts() if c["component"] == name]
    return found[0] if found else None


def get_component_information(component_name: str) -> Component:
    """The component's name, description, owner and tags; NotFound when the store has no such component."""
    found = _declared(component_name)
    if found is None:
        names = [c["component"] for c in obsql.query("components").to_dicts()]
        raise NotFound(f"Component with name {component_name} not found.",
                       suggestion=did_you_mean(component_name, names))
    return _component(found)


def get_components(tag: str = "", owner: str = "") -> list[Component]:
    """The components with this tag and/or owner (all when neither is given); NotFound when none matches."""
    found = [_component(c) for c in obsql.query("components").to_dicts()
             if (not tag or tag in (c["tags"] or [])) and (not owner or c["owner"] == owner)]
    if not found:
        raise NotFound("Search yielded no components.")
    return found


def get_all_tags() -> list[str]:
    return sorted({t for c in obsql.query("components").to_dicts() for t in c["tags"] or []})


def _component(row: dict) -> Component:
    return Component(row["component"], owner=row["owner"] or "", description=row["description"] or "",
                     tags=list(row["tags"] or []))


# -- logging ------------------------------------------------------------------------------------------------------

_REGISTER_OPTIONS = ("inputs", "outputs", "input_vars", "output_vars", "input_kwargs", "output_kwargs", "endpoint",
                     "staleness_threshold", "auto_log")


def register(component_name: str, inputs: list[str] | None = None, outputs: list[str] | None = None,
             input_vars: list[str] | None = None, output_vars: list[str] | None = None,
             input_kwargs: dict[str, str] | None = None, output_kwargs: dict[str, str] | None = None,
             endpoint: bool = False, staleness_threshold: int = DEFAULT_STALENESS_SECONDS,
             auto_log: bool = False) -> Callable:
    """Log every call of the decorated function as a run of `component_name` (mltrace's decorator)."""
    options = dict(inputs=inputs, outputs=outputs, input_vars=input_vars, output_vars=output_vars,
                   input_kwargs=input_kwargs, output_kwargs=output_kwargs, endpoint=endpoint,
                   staleness_threshold=staleness_threshold, auto_log=auto_log)
    return decorator_for(component_name, options)


def decorator_for(component: str | Component, options: dict[str, Any]) -> Callable:
    """The decorator of `register` (a component name) and `Component.run` (its tests become the run's checks).

    Other keyword options of `Component.run` are mltrace's renames (`test_argument="function_variable"`) and
    `skip_before` / `skip_after`."""
    known = {k: v for k, v in options.items() if k in _REGISTER_OPTIONS}
    extra = {k: v for k, v in options.items() if k not in _REGISTER_OPTIONS}
    spec = RunSpec(tuple(known.get("input_vars") or ()), tuple(known.get("output_vars") or ()),
                   tuple(_names(known.get("inputs"))), tuple(_names(known.get("outputs"))),
                   dict(known.get("input_kwargs") or {}), dict(known.get("output_kwargs") or {}),
                   bool(known.get("endpoint")), bool(known.get("auto_log")))
    staleness_days = float(known.get("staleness_threshold") or DEFAULT_STALENESS_SECONDS) / SECONDS_PER_DAY

    def decorator(func: Callable) -> Callable:
        core = _core_component(component, staleness_days, extra)
        try:
            return decorate(core, func, spec)
        except ValueError as exc:  # mltrace raised a name that is not a variable when the function ran
            return _raising_when_called(func, exc)

    return decorator


def _names(value: Any) -> list[str]:
    return [] if value is None or callable(value) else list(value)


def _core_component(component: str | Component, staleness_days: float, extra: dict[str, Any]) -> CoreComponent:
    if isinstance(component, str):
        return _Declared(component, staleness_days=staleness_days)
    if component.beforeTests or component.afterTests:
        return _Tested(component, staleness_days, extra)
    return CoreComponent(component.name, description=component.description, owner=component.owner,
                         tags=component.tags, staleness_days=staleness_days)


class _Declared(CoreComponent):
    """A component known by name only: its description, owner and tags are what the store has for it (looked up
    once per process), so a run never blanks what `create_component` declared."""

    _looked_up = False

    @property
    def info(self) -> ComponentInfo:
        if not self._looked_up:
            found = _declared(self.name) or {}
            self.description, self.owner = found.get("description") or "", found.get("owner") or ""
            self.tags = tuple(found.get("tags") or ())
            self._looked_up = True
        return super().info


class _Tested(CoreComponent):
    """A Component whose before and after tests are the run's checks."""

    def __init__(self, component: Component, staleness_days: float, extra: dict[str, Any]) -> None:
        super().__init__(component.name, description=component.description, owner=component.owner,
                         tags=component.tags, staleness_days=staleness_days)
        self.component = component
        self.skip_before, self.skip_after = bool(extra.pop("skip_before", False)), bool(extra.pop("skip_after", False))
        self.renamed = {variable: argument for argument, variable in extra.items()}

    def before_run(self, **inputs: Any) -> None:
        if not self.skip_before:
            self.component.beforeRun(**self._renamed(inputs))

    def after_run(self, **values: Any) -> None:
        if not self.skip_after:
            self.component.afterRun(**self._renamed(values))

    def _renamed(self, values: dict[str, Any]) -> dict[str, Any]:
        return {self.renamed.get(k, k): v for k, v in values.items()}


def _raising_when_called(func: Callable, error: ValueError) -> Callable:
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raise error

    return wrapper


def log_component_run(component_run: ComponentRun, set_dependencies_from_inputs: bool = True,
                      staleness_threshold: int = DEFAULT_STALENESS_SECONDS) -> None:
    """Log a run described by a ComponentRun (it needs a start and an end: RuntimeError otherwise)."""
    status = component_run.check_completeness()
    if not status["success"]:
        raise RuntimeError(status["msg"])
    logger = obsql.current().logger
    record = logger.new_record(component_run.component_name, utc(component_run.start_timestamp))
    record.end = utc(component_run.end_timestamp)
    for pointer in component_run.inputs:
        record.add_input(pointer.name, "inputs", values=_value_of(pointer))
    for pointer in component_run.outputs:
        record.add_output(pointer.name, "outputs", values=_value_of(pointer))
    record.notes, record.git_commit = component_run.notes or "", component_run.git_hash
    if component_run.code_snapshot:
        record.code = component_run.code_snapshot
        record.code_hash = hashlib.blake2b(record.code.encode(), digest_size=16).hexdigest()
    staleness_days = staleness_threshold / SECONDS_PER_DAY
    info = _Declared(component_run.component_name, staleness_days=staleness_days).info
    logger.log(record, info, from_inputs=set_dependencies_from_inputs,
               upstream=[_latest_run_of(name) for name in component_run.dependencies])


def _value_of(pointer: IOPointer) -> Any:
    return None if pointer.value is None or (isinstance(pointer.value, str) and pointer.value == "") else pointer.value


def _latest_run_of(component: str) -> Dependency:
    found = _rows("SELECT run_id, component, start_time, end_time FROM runs WHERE component = $component "
                  "ORDER BY start_time DESC, run_id DESC LIMIT 1", component=component)
    if not found:
        raise NotFound(f"no run of component {component} to depend on")
    run = found[0]
    return Dependency("", Production(micros(run["end_time"]), micros(run["start_time"]), run["run_id"],
                                     component), [])


def create_random_ids(num_outputs: int = 1) -> list[str]:
    import uuid

    return [str(uuid.uuid4()) for _ in range(num_outputs)]


def add_notes_to_component_run(component_run_id: str, notes: str) -> str:
    """Add a note to a run; returns all of the run's notes, oldest first, one per line."""
    run_id = _run_id(component_run_id)
    obsql.add_notes(run_id, notes)
    return _notes_of([run_id])[run_id]


# -- flags --------------------------------------------------------------------------------------------------------


def flag_output_id(output_id: str) -> bool:
    _known_pointer(lambda: obsql.flag(output_id))
    return True


def unflag_output_id(output_id: str) -> bool:
    _known_pointer(lambda: obsql.unflag(output_id))
    return False


def unflag_all() -> None:
    obsql.unflag_all()


def _known_pointer(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except UnknownName as exc:
        raise NotFound(exc.message, suggestion=exc.suggestion) from None


def get_io_pointer(io_pointer_id: str, io_pointer_val: Any = None, create: bool = True) -> IOPointer:
    """A pointer by name; with `create=False`, NotFound unless some run read or wrote it."""
    found = _rows("SELECT pointer_type FROM io WHERE pointer = $pointer LIMIT 1", pointer=io_pointer_id)
    if not found and not create:
        raise NotFound(f"IOPointer with name {io_pointer_id} does not exist.")
    flagged = io_pointer_id in obsql.current().flagged()
    kind = found[0]["pointer_type"] if found else None
    return IOPointer(io_pointer_id, "" if io_pointer_val is None else io_pointer_val, kind, flagged)


# -- questions ----------------------------------------------------------------------------------------------------


def get_history(component_name: str, limit: int | None = 10, date_lower: datetime | str | None = None,
                date_upper: datetime | str | None = None) -> list[ComponentRun]:
    """The component's runs, newest first, that began within the bounds (inclusive, either may be left out)."""
    conditions, params = ["component = $component"], {"component": component_name}
    for name, bound, op in (("lower", date_lower, ">="), ("upper", date_upper, "<=")):
        if bound not in (None, ""):
            conditions.append(f"start_time {op} ${name}")
            params[name] = utc(datetime.fromisoformat(bound) if isinstance(bound, str) else bound)
    limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
    found = _rows(f"SELECT run_id FROM runs WHERE {' AND '.join(conditions)} "
                  f"ORDER BY start_time DESC, run_id DESC{limit_sql}", **params)
    return _component_runs([row["run_id"] for row in found])


def get_component_run_information(component_run_id: str) -> ComponentRun:
    """Everything about one run (its id or a unique prefix); NotFound when there is no such run."""
    return _component_runs([_run_id(component_run_id)])[0]


def get_recent_run_ids(limit: int = 5, last_run_id: str | None = None) -> list[str]:
    """The newest run ids; with `last_run_id`, the ones that began before that run (paging back)."""
    if last_run_id is None:
        found = _rows(f"SELECT run_id FROM runs ORDER BY start_time DESC, run_id DESC LIMIT {int(limit)}")
    else:
        last = _rows("SELECT start_time FROM runs WHERE run_id = $id", id=_run_id(last_run_id))[0]["start_time"]
        found = _rows("SELECT run_id FROM runs WHERE start_time <= $ts AND run_id <> $id "
                      f"ORDER BY start_time DESC, run_id DESC LIMIT {int(limit)}", ts=last, id=last_run_id)
    return [row["run_id"] for row in found]


def _run_id(text: str) -> str:
    """A run id from an id or a unique prefix of one."""
    found = _rows("SELECT DISTINCT run_id FROM runs WHERE starts_with(run_id, $prefix) ORDER BY run_id LIMIT 2",
                  prefix=str(text))
    exact = [row["run_id"] for row in found if row["run_id"] == text]
    if exact or len(found) == 1:
        return exact[0] if exact else found[0]["run_id"]
    if found:
        raise NotFound(f"run id prefix {text} is not unique", suggestion="give more of the id")
    raise NotFound(f"Component run with id {text} not found.", suggestion="`get_recent_run_ids()` lists run ids")


def backtrace(output_pointer: str) -> list[tuple[int, ComponentRun]]:
    """(depth, run) for each run in the trace of `output_pointer`, its producer first at depth 0."""
    rows = _trace(output_pointer)
    runs = {run.id: run for run in _component_runs(list(dict.fromkeys(r["run_id"] for r in rows)))}
    return [(row["depth"], runs[row["run_id"]]) for row in rows]


def web_trace(output_id: str) -> list[dict]:
    """The trace as mltrace's web UI drew it: nested nodes, each run holding its outputs then its dependencies."""
    rows = _trace(output_id)
    nodes: list[dict] = []
    stack: list[tuple[int, dict]] = []
    for row in rows:
        node = _web_node(row)
        while stack and stack[-1][0] >= row["depth"]:
            stack.pop()
        (stack[-1][1]["childNodes"] if stack else nodes).append(node)
        stack.append((row["depth"], node))
    return nodes


def _web_node(row: dict) -> dict:
    node_id = f"componentrun_{row['run_id']}"
    outputs = [{"id": f"iopointer_{name}", "label": name, "hasCaret": False, "parent": node_id,
                **_icon(name)} for name in row.get("outputs") or []]
    return {"id": node_id, "label": row["component"], "hasCaret": True, "isExpanded": not row["repeated"],
            "stale": list(row["stale_reasons"] or []), "childNodes": outputs}


def _icon(name: str) -> dict:
    from obsql.client.pointers import pointer_type

    icon = {"data": "database", "model": "function", "endpoint": "flow-end"}.get(pointer_type(name))
    return {"icon": icon} if icon else {}


def _trace(pointer: str) -> list[dict]:
    """The rows of `trace '<pointer>'`, a run depended on through several pointers listed once under its reader
    (mltrace's dependencies were runs, not pointers)."""
    if not isinstance(pointer, str):
        raise RuntimeError("Please specify an output id of string type.")
    from obsql.grammar import ast

    rows = _known_pointer(lambda: _engine().run_statement(ast.Query(ast.Trace(pointer))).to_dicts())
    if not rows:
        raise NotFound(f"ID {pointer} does not exist as an output of any run.")
    edges: set[tuple] = set()
    kept = []
    for row in rows:
        edge = (row["parent_run_id"], row["run_id"])
        if edge not in edges:
            edges.add(edge)
            kept.append(row)
    return kept


def review_flagged_outputs() -> tuple[list[str], list[tuple[ComponentRun, int]]]:
    """The flagged outputs, and the runs in their traces with how many of the flagged outputs each one is behind,
    most suspicious first (obsql's `review` ranking)."""
    flagged = obsql.current().flagged()
    ranked = obsql.query("review").to_dicts()
    runs = {run.id: run for run in _component_runs([r["run_id"] for r in ranked])}
    return flagged, [(runs[r["run_id"]], r["outputs"]) for r in ranked]


# -- building ComponentRuns from the store -------------------------------------------------------------------------


def _component_runs(run_ids: list[str]) -> list[ComponentRun]:
    """ComponentRuns for run ids, in the order given, with their pointers, dependencies, notes and code."""
    if not run_ids:
        return []
    runs = {row["run_id"]: row for row in _rows(
        "SELECT r.run_id, r.component, r.start_time, r.end_time, r.git_commit, r.stale_reasons, c.source "
        "FROM runs AS r LEFT JOIN (SELECT DISTINCT code_hash, source FROM code) AS c ON c.code_hash = r.code_hash "
        "WHERE list_contains($ids, r.run_id)", ids=run_ids)}
    pointers = _rows("SELECT run_id, direction, pointer, pointer_type FROM io WHERE list_contains($ids, run_id)",
                     ids=run_ids)
    flagged = set(obsql.current().flagged())
    upstream = {row["run_id"]: row["components"] for row in _rows(
        "SELECT run_id, list(DISTINCT dep_component ORDER BY dep_component) AS components FROM deps "
        "WHERE list_contains($ids, run_id) GROUP BY run_id", ids=run_ids)}
    notes = _notes_of(run_ids)
    built = []
    for run_id in run_ids:
        run = runs[run_id]
        mine = [p for p in pointers if p["run_id"] == run_id]
        built.append(ComponentRun(
            run["component"], notes=notes.get(run_id, ""), start_timestamp=run["start_time"],
            end_timestamp=run["end_time"], git_hash=run["git_commit"], code_snapshot=run["source"], id=run_id,
            inputs=_pointers(mine, "input", flagged), outputs=_pointers(mine, "output", flagged),
            stale=list(run["stale_reasons"] or []), dependencies=list(upstream.get(run_id, []))))
    return built


def _pointers(rows: list[dict], direction: str, flagged: set[str]) -> list[IOPointer]:
    return list(dict.fromkeys(IOPointer(r["pointer"], "", r["pointer_type"], r["pointer"] in flagged)
                              for r in rows if r["direction"] == direction))


def _notes_of(run_ids: list[str]) -> dict[str, str]:
    """Each run's notes: those logged with it, then those added later, one per line."""
    found = _rows(
        "SELECT run_id, string_agg(note, chr(10) ORDER BY ts) AS notes FROM (SELECT run_id, notes AS note, "
        "start_time AS ts FROM runs WHERE list_contains($ids, run_id) AND notes <> '' UNION ALL "
        "SELECT run_id, note, ts FROM run_notes WHERE list_contains($ids, run_id)) AS n GROUP BY run_id",
        ids=run_ids)
    return {row["run_id"]: row["notes"] for row in found} | {r: "" for r in run_ids if r not in
                                                              {row["run_id"] for row in found}}


# -- artifacts ----------------------------------------------------------------------------------------------------


def save(obj: Any, pathname: str | None = None) -> str:
    """Write `obj` (joblib when installed, else pickle) and log the file as an output of the run in progress."""
    path = Path(pathname) if pathname is not None else _artifact_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    _dump(obj, path)
    record = active.running_record()
    if record is not None:
        record.add_output(str(path), "save", values=obj)
    return str(path)


def load(pathname: str) -> Any:
    """Read an object `save` wrote, logging the file as an input of the run in progress."""
    obj = _load(Path(pathname))
    record = active.running_record()
    if record is not None:
        record.add_input(str(pathname), "load", values=obj)
    return obj


def _artifact_path() -> Path:
    """`$SAVE_DIR` (mltrace's setting, else ~/.obsql/artifacts), under the running component's name."""
    from obsql.storage.ids import new_id

    root = Path(os.environ.get("SAVE_DIR") or Path.home() / ".obsql" / "artifacts")
    record = active.running_record()
    folder = root / record.component.lower().replace(" ", "_") if record is not None else root
    return folder / f"{new_id(datetime.now().astimezone())}.mlt"


def _dump(obj: Any, path: Path) -> None:
    try:
        import joblib
    except ImportError:
        import pickle

        path.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    else:
        joblib.dump(obj, path)


def _load(path: Path) -> Any:
    try:
        import joblib
    except ImportError:
        import pickle

        return pickle.loads(path.read_bytes())
    return joblib.load(path)
