"""Executing a component run: the decorator for functions and the `with` block for everything else.

The steps follow the system paper: run `before_run`, run the code while capturing the variables asked for, run
`after_run`, work out dependencies and staleness, and log the run with its inputs, outputs, code and context. A run
that raises is logged as failed and the exception re-raised; a failing check is stored with the run before anything
propagates, so no outcome is ever lost.
"""
from __future__ import annotations

import functools
import inspect
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from obsql.client.active import RUNNING, active_logger
from obsql.client.capture import LocalsCapture
from obsql.client.background import BACKGROUND
from obsql.client.component import Component, TriggerOutcome, run_trigger, runs_in_background
from obsql.client.context import HOST, git_commit_for, source_of
from obsql.client.logger import RunLogger
from obsql.client.clock import now, utc
from obsql.client.record import RunRecord
from obsql.client.suspended import Awaiting, Watch, drive
from obsql.client.values import as_frame

MAX_ERROR_CHARS = 8000


@dataclass(frozen=True)
class RunSpec:
    """What a decorated function logs: variables read at the call or at return, fixed names, and options.

    `input_values` / `output_values` pair a variable of pointer names with a variable of their values (a number is
    kept as the pointer's value, anything else as a hash of its content, so a changed value shows as a new version).
    `endpoint` types every output as an endpoint; `auto_log` logs the data- and model-like arguments as inputs and
    such locals as outputs (mltrace's rule: the name holds "data" or "model", or the value is a dataframe or over
    1 MB), each named `<component>.<variable>` unless the same content was already logged under a name."""

    input_vars: tuple[str, ...] = ()
    output_vars: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    input_values: dict[str, str] = field(default_factory=dict)
    output_values: dict[str, str] = field(default_factory=dict)
    endpoint: bool = False
    auto_log: bool = False


def decorate(component: Component, func: Callable, spec: RunSpec) -> Callable:
    """Wrap `func` so each call is logged as a run of `component`. A generator function's run is logged when the
    generator is exhausted or closed, an `async def` function's when its coroutine completes."""
    signature = inspect.signature(func)
    positional = _positional_names(signature)
    read_at_call, read_at_return = _split_input_vars(func, signature, spec.input_vars)
    needs_locals = bool(spec.output_vars or spec.output_values or spec.input_values or read_at_return
                        or spec.auto_log) or component.has_trigger("after")
    capture = LocalsCapture(func) if needs_locals else None
    source, code_hash = source_of(func)
    commit = git_commit_for(func)

    def begin(args: tuple, kwargs: dict) -> tuple[RunLogger, RunRecord]:
        """A new run with its inputs, once `before_run` let it start."""
        logger = active_logger()
        record = logger.new_record(component.name)
        record.code, record.code_hash, record.git_commit, record.host = source, code_hash, commit, HOST
        arguments = _arguments(signature, positional, args, kwargs)
        for var in read_at_call:
            record.add_input(arguments[var], var)
        record.add_input(list(spec.inputs))
        if spec.auto_log:
            for var, value in _artifacts(arguments).items():
                record.add_artifact(value, var, produced=False)
        stop = _run_before(component, record, logger, arguments)
        if stop is not None:
            _log_failed(record, logger, component, stop)
            raise stop
        return logger, record

    def end(record: RunRecord, values: dict) -> None:
        record.end = now()
        for var in read_at_return:
            record.add_input(_local(values, var, "input_vars"), var)
        for names_var, values_var in spec.input_values.items():
            record.add_input(_local(values, names_var, "input_values"), names_var,
                             values=_local(values, values_var, "input_values"))
        _record_outputs(record, values, spec)
        if spec.auto_log:
            for var, value in _artifacts({k: v for k, v in values.items() if k not in signature.parameters}).items():
                record.add_artifact(value, var, produced=True)
        if spec.endpoint:
            for pointer in record.outputs:
                pointer.type = "endpoint"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        logger, record = begin(args, kwargs)
        running = RUNNING.set(record)
        try:
            if capture is None:
                result, values = func(*args, **kwargs), {}
            else:
                result, values = capture.call(args, kwargs)
            end(record, values)
        except BaseException as exc:
            _log_failed(record, logger, component, exc)
            raise
        finally:
            RUNNING.reset(running)
        _finish(component, record, logger, values)
        return result

    @functools.wraps(func)
    def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
        logger, record = begin(args, kwargs)
        watch = Watch()
        try:
            result = yield from drive(func(*args, **kwargs), lambda generator: generator.gi_frame, watch)
            end(record, watch.locals)
        except GeneratorExit:
            if watch.closed_early:  # its consumer stopped early: still a run, with what it had made by then
                record.notes = "closed before it was exhausted"
                _finish_quietly(component, record, logger, watch.locals, end)
            raise
        except BaseException as exc:
            _log_failed(record, logger, component, exc)
            raise
        _finish(component, record, logger, watch.locals)
        return result

    @functools.wraps(func)
    async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
        logger, record = begin(args, kwargs)
        watch = Watch()
        try:
            result = await Awaiting(func(*args, **kwargs), watch)
            end(record, watch.locals)
        except BaseException as exc:
            _log_failed(record, logger, component, exc)
            raise
        _finish(component, record, logger, watch.locals)
        return result

    if inspect.isgeneratorfunction(func):
        return generator_wrapper
    return coroutine_wrapper if inspect.iscoroutinefunction(func) else wrapper


@contextmanager
def run_block(logger: RunLogger, component: Component, caller, inputs: Iterable = (), outputs: Iterable = (),
              start: datetime | None = None, end: datetime | None = None) -> Iterator[RunRecord]:
    """`with obsql.run(...) as r:` — a run of code that is not one function; explicit times allow backfills.

    `caller` is the frame the block sits in, whose code is recorded as the run's code.
    """
    began = now()
    record = logger.new_record(component.name, utc(start))
    record.code, record.code_hash = source_of_frame(caller)
    record.git_commit, record.host = git_commit_for(None), HOST
    record.add_input(list(inputs), "inputs")
    record.add_output(list(outputs), "outputs")
    stop = _run_before(component, record, logger, dict(record.values))
    if stop is not None:
        _log_failed(record, logger, component, stop)
        raise stop
    running = RUNNING.set(record)
    try:
        yield record
    except BaseException as exc:
        record.end = utc(end) or record.start + (now() - began)
        _log_failed(record, logger, component, exc)
        raise
    finally:
        RUNNING.reset(running)
    record.end = utc(end) or record.start + (now() - began)
    _finish(component, record, logger, record.values)


def source_of_frame(frame) -> tuple[str, str]:
    """(source, hash) of the function a `with` block sits in."""
    function = frame.f_globals.get(frame.f_code.co_name)
    return source_of(function) if callable(function) else source_of(_CodeHolder(frame.f_code))


class _CodeHolder:
    """Lets `source_of` read a bare code object (a module body, a notebook cell)."""

    def __init__(self, code) -> None:
        self.__code__ = code


def mark_failed(record: RunRecord, exc: BaseException) -> None:
    record.status = "failed"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    record.error = text[-MAX_ERROR_CHARS:]


def _run_before(component: Component, record: RunRecord, logger: RunLogger, arguments: dict) -> BaseException | None:
    """Run `before_run`; returns the exception that must stop the run, if any."""
    if not component.has_trigger("before"):
        return None
    if runs_in_background(component, "before"):
        _in_background(component, "before", arguments, record, logger)
        return None
    outcome = run_trigger(component, "before", arguments)
    _keep(record, outcome)
    return outcome.error if component.raise_on_failure else None


def _finish(component: Component, record: RunRecord, logger: RunLogger, values: dict) -> None:
    """Run `after_run`, log the run, and raise a failed check if the component wants it raised."""
    outcome = None
    background = component.has_trigger("after") and runs_in_background(component, "after")
    if component.has_trigger("after") and not background:
        outcome = run_trigger(component, "after", values)
        _keep(record, outcome)
        if outcome.error is not None and component.raise_on_failure:
            mark_failed(record, outcome.error)
    record.alerts = component.alert_watch.evaluate(record.run_id, record.metrics)
    logger.log(record, component.info)
    _notify(component, record.alerts)
    if background:
        _in_background(component, "after", values, record, logger)
    if outcome is not None and outcome.error is not None and component.raise_on_failure:
        raise outcome.error


def _finish_quietly(component: Component, record: RunRecord, logger: RunLogger, values: dict,
                    end: Callable[[RunRecord, dict], None]) -> None:
    """End and log a run while its generator is being closed, where nothing may be raised: a problem (a missing
    output variable, a failed check) is logged as the run's failure instead."""
    try:
        end(record, values)
        _finish(component, record, logger, values)
    except Exception as exc:
        _log_failed(record, logger, component, exc)


def _log_failed(record: RunRecord, logger: RunLogger, component: Component, exc: BaseException) -> None:
    record.end = record.end or now()
    mark_failed(record, exc)
    logger.log(record, component.info)


def _keep(record: RunRecord, outcome: TriggerOutcome) -> None:
    record.checks.extend(outcome.checks)
    record.metrics.update(outcome.metrics)


def _in_background(component: Component, phase: str, values: dict, record: RunRecord, logger: RunLogger) -> None:
    def work() -> None:
        outcome = run_trigger(component, phase, values)
        alerts = component.alert_watch.evaluate(record.run_id, outcome.metrics)
        logger.log_checks(record, outcome.checks, outcome.metrics, alerts)
        _notify(component, alerts)

    BACKGROUND.start(work)


def _notify(component: Component, alerts: list) -> None:
    if component.on_alert is not None:
        for event in alerts:
            component.on_alert(event)


def _split_input_vars(func: Callable, signature: inspect.Signature,
                      input_vars: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The input variables read at the call (arguments: `before_run` sees them) and those read when the function
    returns (any other local variable, as mltrace allows); a name that is neither is an error now, not at a run."""
    parameters = signature.parameters
    keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    code = getattr(inspect.unwrap(func), "__code__", None)
    local_names = [] if code is None else [n for n in (*code.co_varnames, *code.co_cellvars) if n not in parameters]
    at_return = tuple(var for var in input_vars if var not in parameters and var in local_names)
    unknown = [var for var in input_vars if var not in parameters and var not in at_return]
    if unknown and not keywords:
        known = ", ".join(dict.fromkeys([*parameters, *local_names])) or "none"
        raise ValueError(f"input_vars names '{unknown[0]}', which is neither an argument nor a variable of "
                         f"{func.__qualname__} (its variables: {known})")
    return tuple(var for var in input_vars if var not in at_return), at_return


def _arguments(signature: inspect.Signature, positional: tuple[str, ...] | None, args: tuple,
               kwargs: dict) -> dict[str, Any]:
    """The call's arguments by name, defaults filled in, extra keyword arguments flattened."""
    if positional is not None and not kwargs and len(args) == len(positional):  # all given by position
        return dict(zip(positional, args))
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    for name, parameter in signature.parameters.items():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(name, {}))
    return arguments


def _positional_names(signature: inspect.Signature) -> tuple[str, ...] | None:
    """The parameter names when all can be given by position (no *args, **kwargs or keyword-only), else None:
    a call that gives them all so needs no binding (binding costs about 10 microseconds)."""
    plain = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    parameters = signature.parameters.values()
    return tuple(p.name for p in parameters) if all(p.kind in plain for p in parameters) else None


def _record_outputs(record: RunRecord, values: dict, spec: RunSpec) -> None:
    for var in spec.output_vars:
        record.add_output(_local(values, var, "output_vars"), var)
    for names_var, values_var in spec.output_values.items():
        record.add_output(_local(values, names_var, "output_values"), names_var,
                          values=_local(values, values_var, "output_values"))
    record.add_output(list(spec.outputs))


def _artifacts(values: dict[str, Any]) -> dict[str, Any]:
    """The values auto-logging keeps: named like data or a model, a dataframe, or over a megabyte in memory."""
    return {name: value for name, value in values.items()
            if not name.startswith("_") and value is not None
            and ("data" in name or "model" in name or as_frame(value) is not None or _size(value) > 1_000_000)}


def _size(value: Any) -> int:
    try:
        return sys.getsizeof(value)
    except TypeError:
        return 0


def _local(values: dict, name: str, option: str) -> Any:
    if name not in values:
        known = ", ".join(sorted(values)) or "none"
        raise ValueError(f"{option} names '{name}', which is not a variable of the function when it returns"
                         f" (its variables: {known})")
    return values[name]
