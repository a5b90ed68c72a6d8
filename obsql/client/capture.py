"""Reading a function's local variables as they are when it returns, without slowing the rest of the program.

`LocalsCapture(func).call(args, kwargs)` runs `func` and hands back `(result, locals_at_return)`. The mechanism is
chosen once per function, cheapest first, and named by `LocalsCapture.method`:

- "monitoring" (Python 3.12+): a `sys.monitoring` PY_RETURN event enabled on `func.__code__` alone, so no other code
  pays anything.
- "rewrite" (Python 3.10 and 3.11): a copy of `func` compiled from its source with the body inside
  `try: ... finally:` that hands the frame to a hook. The copy shares the original globals, closure cells, defaults
  and metadata, keeps file names, line numbers and qualified names, and evaluates no default, annotation or decorator
  again. The hook is a constant of the copy's code, not a variable, so `locals()` inside it sees what it always did.
- "trace": `sys.settrace` during the call, following only `func`'s own frame. The trace function still fires on
  every call `func` makes (5 to 6 times slower on call-heavy code), so it is only used when the others cannot be:
  before 3.12 for functions without source (lambdas, `exec`'d code) or whose source no longer matches their code,
  and from 3.12 when every monitoring tool id is taken.
- "none": generators, coroutines and callables that are not Python functions. Their locals at return say nothing
  about the value handed back, so the dict is always empty.

Only the frame called directly by `call` is read, so recursive calls cost no copy and never replace the outer call's
locals, and each thread keeps its own calls in progress. This module uses the standard library only, so its tests
also run on interpreters without obsql's dependencies.
"""
from __future__ import annotations

import __future__
import ast
import functools
import inspect
import sys
import threading
import types
import warnings
from typing import Any, Callable

_HOOK_PLACEHOLDER = "__obsql_capture_hook__"  # compiled as a constant, then swapped for the hook itself
_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


class _PendingCall:
    """One `LocalsCapture.call` in progress: the frame it calls `func` from, and `func`'s locals once it returns."""

    __slots__ = ("caller", "locals")

    def __init__(self, caller: types.FrameType) -> None:
        self.caller = caller
        self.locals: dict[str, Any] = {}


class _ThreadCalls(threading.local):
    """The calls in progress in one thread, innermost last."""

    def __init__(self) -> None:
        self.pending: list[_PendingCall] = []


_calls = _ThreadCalls()


def _record_locals(frame: types.FrameType) -> None:
    """Keep the locals of `frame` if it was called directly by this thread's innermost call in progress.

    Frames of nested (recursive) calls return earlier and are skipped, which keeps one copy of the locals per call.
    """
    pending = _calls.pending
    if pending and frame.f_back is pending[-1].caller:
        pending[-1].locals = dict(frame.f_locals)


def _record_returning_frame(*_event: Any) -> None:
    """Called by the function that is returning: as the rewrite's `finally` hook, or as the PY_RETURN callback."""
    _record_locals(sys._getframe(1))


def _trace_new_frame(frame: types.FrameType, event: str, arg: Any) -> Callable | None:
    """Global trace function: follow only the frame a call in progress makes directly, without line events."""
    pending = _calls.pending
    if not pending or frame.f_back is not pending[-1].caller:
        return None
    frame.f_trace_lines = False
    return _trace_target_frame


def _trace_target_frame(frame: types.FrameType, event: str, arg: Any) -> Callable:
    """Local trace function of the followed frame: record its locals when it returns."""
    if event == "return":
        _record_locals(frame)
    return _trace_target_frame


_monitoring_lock = threading.Lock()
_monitoring_tool: int | None = None


def _monitoring_tool_id() -> int | None:
    """The sys.monitoring tool id this process captures with, claimed on first use; None when all are taken."""
    global _monitoring_tool
    monitoring = sys.monitoring
    with _monitoring_lock:
        if _monitoring_tool is None:
            for tool in (monitoring.PROFILER_ID, 3, 4):
                try:
                    monitoring.use_tool_id(tool, "obsql locals capture")
                except ValueError:
                    continue
                monitoring.register_callback(tool, monitoring.events.PY_RETURN, _record_returning_frame)
                _monitoring_tool = tool
                break
        return _monitoring_tool


def _watch_returns(code: types.CodeType) -> bool:
    """Turn on PY_RETURN events for `code` alone; False when no monitoring tool id is free."""
    tool = _monitoring_tool_id()
    if tool is None:
        return False
    sys.monitoring.set_local_events(tool, code, sys.monitoring.events.PY_RETURN)
    return True


def _source_node(code: types.CodeType) -> ast.FunctionDef | None:
    """The `def` statement `code` was compiled from, at its original lines and columns; None without usable source."""
    try:
        lines, first_line = inspect.getsourcelines(code)
        indented = lines[0][:1] in (" ", "\t")
        statement = ast.parse(("if 1:\n" if indented else "") + "".join(lines)).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    node = statement.body[0] if indented else statement
    if not isinstance(node, ast.FunctionDef) or node.name != code.co_name:
        return None
    return ast.increment_lineno(node, first_line - 1 - indented)


def _hand_frame_to_hook_on_return(node: ast.FunctionDef) -> None:
    """Put the body after any docstring inside `try: ... finally: "<placeholder>"()`."""
    docstring = node.body[:1] if ast.get_docstring(node, clean=False) is not None else []
    statements = node.body[len(docstring):] or [ast.Pass()]
    hook_call = ast.Expr(ast.Call(ast.Constant(_HOOK_PLACEHOLDER), [], []))
    node.body = [*docstring, ast.Try(body=statements, handlers=[], orelse=[], finalbody=[hook_call])]


def _enclosing_module(node: ast.FunctionDef, code: types.CodeType, qualname: str) -> tuple[ast.Module, list[str]]:
    """A module that compiles `node` in scopes that reproduce its qualname, name mangling and free variables.

    The function sits in a factory whose parameters are its free variables, inside the classes its qualname names.
    A function at module level is declared `global` in the factory so its qualname has no prefix.
    The module is compiled but never run, so the decorators, defaults and annotations it copies are never evaluated.
    Returns the module and the names leading from the module's code to the function's code.
    """
    outer, _, inner = qualname.rpartition(".<locals>.")
    *class_names, _ = inner.split(".")
    scoped: ast.stmt = node
    for class_name in reversed(class_names):
        scoped = ast.ClassDef(name=class_name, bases=[], keywords=[], body=[scoped], decorator_list=[])
    body = [scoped] if outer else [ast.Global([inner.split(".")[0]]), scoped]
    free_names = sorted(set(code.co_freevars) - {"__class__"})
    factory_name = outer or "__obsql_factory__"
    factory = ast.FunctionDef(name=factory_name, args=_parameters(free_names), body=body, decorator_list=[],
                              returns=None)
    ast.copy_location(factory, node)
    module = ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))
    return module, [factory_name, *class_names, node.name]


def _parameters(names: list[str]) -> ast.arguments:
    """Plain positional parameters with these names."""
    return ast.arguments(posonlyargs=[], args=[ast.arg(name) for name in names], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])


def _nested_code(code: types.CodeType, names: list[str]) -> types.CodeType | None:
    """The code object reached from `code` by following nested definitions with these names, if there is one."""
    for name in names:
        nested = [const for const in code.co_consts if isinstance(const, types.CodeType) and const.co_name == name]
        if not nested:
            return None
        code = nested[0]
    return code


_SHAPE = ("co_name", "co_filename", "co_firstlineno", "co_argcount", "co_posonlyargcount",
          "co_kwonlyargcount", "co_varnames", "co_cellvars", "co_freevars", "co_names")
if sys.version_info >= (3, 11):
    _SHAPE += ("co_qualname",)


def _same_shape(rewritten: types.CodeType, original: types.CodeType) -> bool:
    """Whether the rewrite has the original's names, constants (nested code included), arguments and place.

    This guards against source edited since the function was compiled, and against anything the rewrite mishandles.
    """
    return (all(getattr(rewritten, field) == getattr(original, field) for field in _SHAPE)
            and tuple(const for const in rewritten.co_consts if not _is_placeholder(const)) == original.co_consts)


def _is_placeholder(const: object) -> bool:
    """Whether a constant of the compiled copy is the stand-in for the hook."""
    return type(const) is str and const == _HOOK_PLACEHOLDER


def _compiled_function(module: ast.Module, path: list[str], code: types.CodeType) -> types.CodeType | None:
    """The function's code out of `module`, compiled like `code` (same file, postponed annotations or not)."""
    future_flags = code.co_flags & __future__.annotations.compiler_flag
    with warnings.catch_warnings():  # calling the placeholder string is flagged, rightly, as a likely mistake
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            module_code = compile(module, code.co_filename, "exec", future_flags, dont_inherit=True)
        except (SyntaxError, ValueError, TypeError):
            return None
    return _nested_code(module_code, path)


def _rewritten(func: types.FunctionType) -> types.FunctionType | None:
    """A copy of `func` that hands its frame to the capture hook when it returns; None if that cannot be done safely."""
    code = func.__code__
    node = _source_node(code)
    if node is None:
        return None
    _hand_frame_to_hook_on_return(node)
    module, path = _enclosing_module(node, code, getattr(code, "co_qualname", func.__qualname__))
    new_code = _compiled_function(module, path, code)
    if new_code is None or not _same_shape(new_code, code):
        return None
    hooked = tuple(_record_returning_frame if _is_placeholder(const) else const for const in new_code.co_consts)
    new_code = new_code.replace(co_consts=hooked)
    copy = types.FunctionType(new_code, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = func.__kwdefaults__
    return functools.update_wrapper(copy, func)


class LocalsCapture:
    """Calls `func` and hands back its locals as they are when it returns."""

    method: str  # "monitoring", "rewrite", "trace" or "none", as described above

    def __init__(self, func: Callable, *, force_trace: bool = False) -> None:
        """Choose the cheapest mechanism for `func`; `force_trace` picks settrace (for comparisons and benchmarks)."""
        self.method, self._callable = _choose_mechanism(func, force_trace)

    def call(self, args: tuple, kwargs: dict) -> tuple[Any, dict[str, Any]]:
        """Return (result, locals_at_return). Exceptions from func propagate unchanged (no locals needed then)."""
        pending = _PendingCall(sys._getframe())
        _calls.pending.append(pending)
        tracing = self.method == "trace"
        previous_trace = sys.gettrace()
        if tracing:
            sys.settrace(_trace_new_frame)
        try:
            result = self._callable(*args, **kwargs)
        finally:
            if tracing:
                sys.settrace(previous_trace)
            _calls.pending.pop()
        return result, pending.locals


def _choose_mechanism(func: Callable, force_trace: bool) -> tuple[str, Callable]:
    """The mechanism's name and what `call` should invoke to run `func` with it."""
    function = getattr(func, "__func__", func)  # bound methods and staticmethod objects wrap a plain function
    if not isinstance(function, types.FunctionType) or function.__code__.co_flags & _SUSPENDABLE:
        return "none", func
    if force_trace:
        return "trace", func
    if sys.version_info >= (3, 12):
        return ("monitoring" if _watch_returns(function.__code__) else "trace"), func
    rewritten = _rewritten(function)
    if rewritten is None:
        return "trace", func
    if isinstance(func, types.MethodType):
        return "rewrite", types.MethodType(rewritten, func.__self__)
    return "rewrite", rewritten
