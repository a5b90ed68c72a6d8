"""Tests for obsql.client.capture: a function's locals at return, through every mechanism.

Runs under pytest, or as `python tests/client/test_capture.py` on any Python from 3.10, even one without packages
(how the sys.monitoring path is tested on 3.12 and 3.13 here). Run that way, the capture module is loaded by file
path so nothing else of obsql is imported, and the property tests run only if hypothesis is installed.
"""
import importlib.util
import math
import sys
import tempfile
import threading
import traceback
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, NamedTuple

try:
    from hypothesis import given, settings, strategies as st
except ImportError:
    given = None


def import_file(path: Path, name: str) -> types.ModuleType:
    """Import one Python file as a module of its own."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    pytest = None
    capture = import_file(Path(__file__).resolve().parents[2] / "obsql" / "client" / "capture.py", "obsql_capture")
else:
    import pytest
    from obsql.client import capture

LocalsCapture = capture.LocalsCapture
CHEAPEST = "monitoring" if sys.version_info >= (3, 12) else "rewrite"
WITHOUT_SOURCE = "monitoring" if sys.version_info >= (3, 12) else "trace"


def table(names: str, rows: list, ids: Callable | None = None) -> Callable:
    """pytest's parametrize under pytest; run directly, the rows are kept on the test for `run_without_pytest`."""
    if pytest is not None:
        return pytest.mark.parametrize(names, rows, ids=ids)

    def keep_rows(test: Callable) -> Callable:
        test.rows = rows if "," in names else [(row,) for row in rows]
        return test
    return keep_rows


class AnyFunction:
    """Equal to any Python function: stands for closures created inside the function under test."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, types.FunctionType)

    def __repr__(self) -> str:
        return "<any function>"


ANY_FUNCTION = AnyFunction()

# Side effects of defining `keyword_only`: each must happen once, at definition, and never again.
DEFAULTS_BUILT: list[str] = []
ANNOTATIONS_EVALUATED: list[str] = []
DECORATIONS: list[str] = []


def built_default() -> dict:
    DEFAULTS_BUILT.append("options")
    return {"limit": 3}


def noted(label: str) -> str:
    ANNOTATIONS_EVALUATED.append(label)
    return label


def counted(func: Callable) -> Callable:
    DECORATIONS.append(func.__name__)
    return func


@counted
def keyword_only(values, *, options=built_default(), reverse: noted("reverse") = False) -> noted("return"):
    limit = options["limit"]
    chosen = sorted(values, reverse=reverse)[:limit]
    return chosen


# The functions under test: their otherwise unused locals are what the tests expect to capture.
def plain(a, b):
    total = a + b
    doubled = total * 2
    return doubled


def early_return(x):
    if x > 0:
        sign = "positive"
        return sign
    sign = "not positive"
    magnitude = -x
    return sign


def no_return(items):
    total = 0
    for item in items:
        total += item


def return_in_try_finally(x):
    try:
        half = x / 2
        return half
    finally:
        cleaned = True


def return_in_loop(items, target):
    for index, item in enumerate(items):
        if item == target:
            found = index
            return found
    return -1


def return_in_nested_loops(rows):
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            while value > 10:
                value -= 10
                if value == 5:
                    return i, j
    return None


def inner_closures(n):
    seen = []

    def remember(value):
        seen.append(value)
    calls = 0

    def bump():
        nonlocal calls
        calls += 1
    for value in range(n):
        remember(value)
        bump()
    return calls


def make_counter(step):
    count = 0

    def increment():
        nonlocal count
        count += step
        return count

    def read():
        return count
    return increment, read


def snapshot_of_locals(a):
    b = a * 2
    names = sorted(locals())
    return names


def factorial(n):
    product = 1 if n <= 1 else n * factorial(n - 1)
    return product


class Shape:
    def describe(self, unit):
        return f"shape in {unit}"


class Square(Shape):
    def __init__(self, side):
        self.__side = side  # name-mangled: a rewrite must mangle it the same way

    def describe(self, unit):
        base = super().describe(unit)
        area = self.__side ** 2
        return f"{base}: {area}"

    @staticmethod
    def scale(value, factor=2):
        scaled = value * factor
        return scaled

    @classmethod
    def from_sides(cls, sides):
        count = len(sides)
        return count


def make_local_class():
    offset = 100

    class Local(Shape):
        def describe(self, unit):
            text = super().describe(unit) + "!"
            shifted = offset + 1
            return text
    return Local


SQUARE = Square(3)
LOCAL_CLASS = make_local_class()
LOCAL_SHAPE = LOCAL_CLASS()
EXEC_NAMESPACE: dict[str, Any] = {}
exec("def from_exec(x):\n    y = x * 3\n    return y\n", EXEC_NAMESPACE)


class Case(NamedTuple):
    name: str
    func: Callable
    args: tuple
    kwargs: dict
    result: Any
    locals: dict
    method: str = CHEAPEST


CASES = [
    Case("plain", plain, (2, 5), {}, 14, {"a": 2, "b": 5, "total": 7, "doubled": 14}),
    Case("early return", early_return, (3,), {}, "positive", {"x": 3, "sign": "positive"}),
    Case("late return", early_return, (-3,), {}, "not positive", {"x": -3, "sign": "not positive", "magnitude": 3}),
    Case("no return statement", no_return, ([1, 2, 3],), {}, None, {"items": [1, 2, 3], "total": 6, "item": 3}),
    Case("return in try/finally", return_in_try_finally, (8,), {}, 4.0, {"x": 8, "half": 4.0, "cleaned": True}),
    Case("return in loop", return_in_loop, (["a", "b", "c"], "b"), {}, 1,
         {"items": ["a", "b", "c"], "target": "b", "index": 1, "item": "b", "found": 1}),
    Case("return in nested loops", return_in_nested_loops, ([[1, 2], [3, 25]],), {}, (1, 1),
         {"rows": [[1, 2], [3, 25]], "i": 1, "row": [3, 25], "j": 1, "value": 5}),
    Case("closures inside", inner_closures, (3,), {}, 3,
         {"n": 3, "seen": [0, 1, 2], "remember": ANY_FUNCTION, "calls": 3, "bump": ANY_FUNCTION, "value": 2}),
    Case("method with super()", Square.describe, (SQUARE, "cm"), {}, "shape in cm: 9",
         {"self": SQUARE, "unit": "cm", "base": "shape in cm", "area": 9, "__class__": Square}),
    Case("bound method", SQUARE.describe, ("cm",), {}, "shape in cm: 9",
         {"self": SQUARE, "unit": "cm", "base": "shape in cm", "area": 9, "__class__": Square}),
    Case("method of a local class", LOCAL_CLASS.describe, (LOCAL_SHAPE, "m"), {}, "shape in m!",
         {"self": LOCAL_SHAPE, "unit": "m", "text": "shape in m!", "shifted": 101, "offset": 100,
          "__class__": LOCAL_CLASS}),
    Case("staticmethod", Square.scale, (4,), {}, 8, {"value": 4, "factor": 2, "scaled": 8}),
    Case("staticmethod object", Square.__dict__["scale"], (4,), {"factor": 3}, 12,
         {"value": 4, "factor": 3, "scaled": 12}),
    Case("classmethod", Square.from_sides, ([1, 2, 3],), {}, 3, {"cls": Square, "sides": [1, 2, 3], "count": 3}),
    Case("keyword-only defaults", keyword_only, ([3, 1, 2, 5],), {"reverse": True}, [5, 3, 2],
         {"values": [3, 1, 2, 5], "options": {"limit": 3}, "reverse": True, "limit": 3, "chosen": [5, 3, 2]}),
    Case("locals() inside sees only its own", snapshot_of_locals, (1,), {}, ["a", "b"],
         {"a": 1, "b": 2, "names": ["a", "b"]}),
    Case("recursion keeps the outer call", factorial, (5,), {}, 120, {"n": 5, "product": 120}),
    Case("defined with exec", EXEC_NAMESPACE["from_exec"], (4,), {}, 12, {"x": 4, "y": 12}, WITHOUT_SOURCE),
    Case("lambda", lambda x: x + 1, (1,), {}, 2, {"x": 1}, WITHOUT_SOURCE),
]
CASE_ROWS = [(case, force_trace) for case in CASES for force_trace in (False, True)]


def case_id(value: Any) -> str:
    if isinstance(value, Case):
        return value.name
    return "trace" if value else "cheapest"


@table("case, force_trace", CASE_ROWS, ids=case_id)
def test_locals_at_return(case: Case, force_trace: bool) -> None:
    locals_capture = LocalsCapture(case.func, force_trace=force_trace)
    result, values = locals_capture.call(case.args, case.kwargs)
    assert locals_capture.method == ("trace" if force_trace else case.method)
    assert result == case.result
    assert values == case.locals


def numbers():
    yield 1


async def fetch():
    return 1


@table("func, args, result_type", [(numbers, (), types.GeneratorType), (fetch, (), types.CoroutineType),
                                   (len, ([1, 2],), int), (Square, (2,), Square)])
def test_generators_coroutines_and_non_functions_give_no_locals(func: Callable, args: tuple,
                                                                 result_type: type) -> None:
    locals_capture = LocalsCapture(func)
    result, values = locals_capture.call(args, {})
    if isinstance(result, types.CoroutineType):
        result.close()
    assert (locals_capture.method, values) == ("none", {})
    assert isinstance(result, result_type)


@table("force_trace", [False, True])
def test_nonlocal_write_reaches_the_original_cell(force_trace: bool) -> None:
    increment, read = make_counter(step=5)
    locals_capture = LocalsCapture(increment, force_trace=force_trace)
    assert locals_capture.call((), {}) == (5, {"count": 5, "step": 5})
    assert locals_capture.call((), {}) == (10, {"count": 10, "step": 5})
    assert read() == 10
    assert increment() == 15


def test_functions_made_inside_keep_their_qualified_names() -> None:
    (increment, read), _ = LocalsCapture(make_counter).call((1,), {})
    assert (increment.__qualname__, read.__qualname__) == ("make_counter.<locals>.increment",
                                                          "make_counter.<locals>.read")


def test_defaults_annotations_and_decorators_are_not_evaluated_again() -> None:
    side_effects = (DEFAULTS_BUILT, ANNOTATIONS_EVALUATED, DECORATIONS)
    assert side_effects == (["options"], ["reverse", "return"], ["keyword_only"])
    locals_capture = LocalsCapture(keyword_only)
    _, values = locals_capture.call(([4, 1],), {})
    assert side_effects == (["options"], ["reverse", "return"], ["keyword_only"])
    assert values["options"] is keyword_only.__kwdefaults__["options"]


def countdown(n, locals_capture):
    below = locals_capture.call((n - 1, locals_capture), {})[1] if n > 0 else {}
    return n


@table("force_trace", [False, True])
def test_calls_nested_through_capture_each_get_their_own_locals(force_trace: bool) -> None:
    locals_capture = LocalsCapture(countdown, force_trace=force_trace)
    _, values = locals_capture.call((3, locals_capture), {})
    seen = []
    while values:
        seen.append(values["n"])
        values = values["below"]
    assert seen == [3, 2, 1, 0]


def meet_then_add(tag, barrier):
    before = tag * 10
    barrier.wait(timeout=300)  # all threads meet long before; the bound only stops a capture that serialises calls
    after = before + tag
    return after


@table("force_trace", [False, True])
def test_threads_calling_at_once_each_get_their_own_locals(force_trace: bool) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    locals_capture = LocalsCapture(meet_then_add, force_trace=force_trace)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(locals_capture.call, (tag, barrier), {}) for tag in range(threads)]
        outcomes = [future.result() for future in futures]
    assert outcomes == [(tag * 11, {"tag": tag, "barrier": barrier, "before": tag * 10, "after": tag * 11})
                        for tag in range(threads)]


def fail_with(error):
    checked = True
    raise error


@table("force_trace", [False, True])
def test_exceptions_propagate_unchanged_with_their_original_line(force_trace: bool) -> None:
    error = ValueError("boom")
    tracer_before = sys.gettrace()
    locals_capture = LocalsCapture(fail_with, force_trace=force_trace)
    try:
        locals_capture.call((error,), {})
    except ValueError as raised:
        caught = raised
    else:
        caught = None
    assert caught is error
    assert sys.gettrace() is tracer_before
    innermost = traceback.extract_tb(error.__traceback__)[-1]
    assert (innermost.filename, innermost.lineno, innermost.name) == (
        fail_with.__code__.co_filename, fail_with.__code__.co_firstlineno + 2, "fail_with")


def observe_hooks():
    tracer = sys.gettrace()
    profiler = sys.getprofile()
    return tracer, profiler


def test_cheapest_mechanism_installs_no_tracer_or_profiler() -> None:
    outside = (sys.gettrace(), sys.getprofile())
    result, _ = LocalsCapture(observe_hooks).call((), {})
    assert result == outside


def outside_tracer(frame: types.FrameType, event: str, arg: Any) -> None:
    return None


def test_trace_fallback_restores_the_previous_trace_function() -> None:
    before = sys.gettrace()
    sys.settrace(outside_tracer)
    try:
        (tracer_inside, _), _ = LocalsCapture(observe_hooks, force_trace=True).call((), {})
        tracer_after = sys.gettrace()
    finally:
        sys.settrace(before)
    assert tracer_inside is not outside_tracer
    assert tracer_after is outside_tracer


def test_source_edited_since_import_is_not_trusted() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edited_module.py"
        path.write_text("def step(x):\n    y = x + 1\n    return y\n")
        module = import_file(path, "edited_module")
        path.write_text("def step(x):\n    y = x + 1000\n    return y\n")
        locals_capture = LocalsCapture(module.step)
        assert locals_capture.call((1,), {}) == (2, {"x": 1, "y": 2})
        assert locals_capture.method == WITHOUT_SOURCE


def test_modules_with_postponed_annotations_are_rewritten_alike() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "postponed_module.py"
        path.write_text("from __future__ import annotations\n\n\ndef outer(x: int) -> int:\n"
                        "    def inner(y: int) -> int:\n        return y + x\n    z = inner(1)\n    return z\n")
        module = import_file(path, "postponed_module")
        locals_capture = LocalsCapture(module.outer)
        assert locals_capture.call((2,), {}) == (3, {"x": 2, "inner": ANY_FUNCTION, "z": 3})
        assert locals_capture.method == CHEAPEST


if sys.version_info >= (3, 12):
    def test_monitoring_leaves_other_tools_ids_alone_and_falls_back_to_trace_without_a_free_one() -> None:
        monitoring = sys.monitoring
        assert LocalsCapture(plain).method == "monitoring"  # the module under test now holds a tool id
        candidates = (monitoring.PROFILER_ID, 3, 4)
        free = [tool for tool in candidates if monitoring.get_tool(tool) is None]
        for tool in free:
            monitoring.use_tool_id(tool, "another tool")
        try:
            holders = [monitoring.get_tool(tool) for tool in candidates]
            fresh_copy = import_file(Path(capture.__file__), "obsql_capture_without_free_ids")
            locals_capture = fresh_copy.LocalsCapture(plain)
            assert locals_capture.method == "trace"
            assert locals_capture.call((2, 5), {}) == (14, {"a": 2, "b": 5, "total": 7, "doubled": 14})
            assert [monitoring.get_tool(tool) for tool in candidates] == holders
        finally:
            for tool in free:
                monitoring.free_tool_id(tool)
        assert "obsql locals capture" in holders


def summarize(values, threshold):
    kept = [value for value in values if value >= threshold]
    if not kept:
        return None
    total = sum(kept)
    largest = max(kept)
    return total


if given is not None:
    @settings(max_examples=60)
    @given(st.lists(st.integers(-50, 50), max_size=20), st.integers(-50, 50), st.booleans())
    def test_locals_match_a_direct_computation(values: list[int], threshold: int, force_trace: bool) -> None:
        kept = [value for value in values if value >= threshold]
        expected = {"values": values, "threshold": threshold, "kept": kept}
        if kept:
            expected.update(total=sum(kept), largest=max(kept))
        result, captured = LocalsCapture(summarize, force_trace=force_trace).call((values, threshold), {})
        assert result == (sum(kept) if kept else None)
        assert captured == expected

    @settings(max_examples=30)
    @given(st.integers(0, 60), st.booleans())
    def test_recursion_always_reports_the_outermost_call(n: int, force_trace: bool) -> None:
        result, captured = LocalsCapture(factorial, force_trace=force_trace).call((n,), {})
        assert result == math.factorial(n)
        assert captured == {"n": n, "product": math.factorial(n)}


def run_without_pytest() -> int:
    """Call every test with each row of its table, print a summary, and return the number of failures."""
    tests = [test for name, test in globals().items() if name.startswith("test_") and callable(test)]
    runs = failures = 0
    for test in tests:
        for row in getattr(test, "rows", [()]):
            runs += 1
            try:
                test(*row)
            except Exception:
                failures += 1
                print(f"FAILED {test.__name__}{row!r}")
                traceback.print_exc()
    skipped = "" if given is not None else " (hypothesis missing: property tests left out)"
    print(f"Python {sys.version.split()[0]}: {runs - failures} passed, {failures} failed{skipped}")
    return failures


if __name__ == "__main__":
    sys.exit(1 if run_without_pytest() else 0)
