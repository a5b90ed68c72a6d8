"""mltrace's client-side objects (IOPointer, ComponentRun, Component, Test) with their names and behaviour.

They are plain holders: `client` turns them into obsql runs and builds them back from what the store answers.
Pointer types are obsql's words ('data', 'model', 'endpoint', 'other'), guessed from names as mltrace guessed its
enum from file extensions.
"""
from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

from obsql.client.pointers import pointer_type


@dataclass(frozen=True)
class IOPointer:
    """A named input or output, with an optional value (a number, or any object: its content is what is kept)."""

    name: str
    value: Any = ""
    pointer_type: str | None = None
    flag: bool = False

    def __post_init__(self) -> None:
        if self.pointer_type is None:
            object.__setattr__(self, "pointer_type", pointer_type(self.name))

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IOPointer) and other.name == self.name

    def to_dictionary(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "pointer_type": self.pointer_type, "flag": self.flag}


def _as_pointer(item: str | IOPointer) -> IOPointer:
    return item if isinstance(item, IOPointer) else IOPointer(str(item))


@dataclass
class ComponentRun:
    """One run of a component as mltrace's client describes it: build one and `log_component_run` it, or get one
    back from `get_history`, `get_component_run_information` or `backtrace`."""

    component_name: str
    notes: str = ""
    start_timestamp: datetime | None = None
    end_timestamp: datetime | None = None
    inputs: list[IOPointer] = field(default_factory=list)
    outputs: list[IOPointer] = field(default_factory=list)
    git_hash: str | None = None
    git_tags: list[str] | None = None
    code_snapshot: str | None = None
    id: str | None = None
    stale: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "notes" and not isinstance(value, str):
            raise TypeError("notes field must be of type str")
        if name == "code_snapshot" and isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8")
        super().__setattr__(name, value)

    def set_start_timestamp(self, ts: datetime | None = None) -> None:
        self.start_timestamp = _timestamp(ts)

    def set_end_timestamp(self, ts: datetime | None = None) -> None:
        self.end_timestamp = _timestamp(ts)

    def add_input(self, inp: str | IOPointer, pointer_type: str | None = None) -> None:
        self._add(self.inputs, [IOPointer(inp, pointer_type=pointer_type) if isinstance(inp, str) else inp])

    def add_inputs(self, inputs: Iterable[str | IOPointer]) -> None:
        self._add(self.inputs, [_as_pointer(i) for i in inputs])

    def add_output(self, out: str | IOPointer, pointer_type: str | None = None) -> None:
        self._add(self.outputs, [IOPointer(out, pointer_type=pointer_type) if isinstance(out, str) else out])

    def add_outputs(self, outputs: Iterable[str | IOPointer]) -> None:
        self._add(self.outputs, [_as_pointer(o) for o in outputs])

    def set_upstream(self, dependencies: str | list[str]) -> None:
        """Depend on the latest run of each named component (besides what the inputs give)."""
        names = [dependencies] if isinstance(dependencies, str) else list(dependencies)
        self.dependencies = list(dict.fromkeys([*self.dependencies, *names]))

    @staticmethod
    def _add(kept: list[IOPointer], pointers: list[IOPointer]) -> None:
        """Each pointer once, in the order first given (mltrace kept a set)."""
        kept.extend(p for p in dict.fromkeys(pointers) if p not in kept)

    def check_completeness(self) -> dict[str, Any]:
        missing = [name for name in ("start_timestamp", "end_timestamp") if getattr(self, name) is None]
        if missing:
            return {"success": False, "msg": f"component run of {self.component_name!r} has no "
                                             f"{' or '.join(missing)}: set it before logging the run"}
        return {"success": True, "msg": ""}

    def to_dictionary(self) -> dict[str, Any]:
        return {"component_name": self.component_name, "notes": self.notes, "inputs": list(self.inputs),
                "outputs": list(self.outputs), "git_hash": self.git_hash, "git_tags": self.git_tags,
                "code_snapshot": self.code_snapshot, "start_timestamp": self.start_timestamp,
                "end_timestamp": self.end_timestamp, "dependencies": list(self.dependencies), "id": self.id,
                "stale": list(self.stale)}


def _timestamp(ts: datetime | None) -> datetime:
    if ts is None:
        from obsql.client.clock import now

        return now()
    if not isinstance(ts, datetime):
        raise TypeError("Timestamp must be of type datetime.")
    return ts


class Test:
    """A group of checks: every method whose name starts with `test` runs, given the values it names."""

    __test__ = False  # a check run by a component, not a test case for pytest to collect

    def __init__(self, name: str = "") -> None:
        self.name = name

    def getTestMethods(self) -> list[Callable]:
        return [method for name, method in inspect.getmembers(self, inspect.ismethod) if name.startswith("test")]

    def runTests(self, **values: Any) -> None:
        for method in self.getTestMethods():
            parameters = inspect.signature(method).parameters
            method(**{k: v for k, v in values.items() if k in parameters})


class Component:
    """mltrace's Component: name, owner, description, tags, and Test classes to run before and after each run.

    `@component.run(...)` takes `register`'s options; each call becomes an obsql run whose before and after tests
    are its checks (a test that raises fails the check, is kept with the run, and the exception reaches the caller
    as it did in mltrace)."""

    def __init__(self, name: str = "", owner: str = "", description: str = "", beforeTests: list | None = None,
                 afterTests: list | None = None, tags: list[str] | None = None) -> None:
        self._name, self._owner, self._description = name, owner, description
        self._beforeTests, self._afterTests = list(beforeTests or []), list(afterTests or [])
        self._tags = list(dict.fromkeys(tags or []))

    name = property(lambda self: self._name)
    owner = property(lambda self: self._owner)
    description = property(lambda self: self._description)
    tags = property(lambda self: self._tags)
    beforeTests = property(lambda self: self._beforeTests)
    afterTests = property(lambda self: self._afterTests)

    def beforeRun(self, **values: Any) -> None:
        for test in self._beforeTests:
            test().runTests(**values)

    def afterRun(self, **values: Any) -> None:
        for test in self._afterTests:
            test().runTests(**values)

    def run(self, inputs: Any = (), *args: Any, **options: Any) -> Callable:
        """Decorate a function (bare `@c.run` or `@c.run(input_vars=[...], ...)`) to log each call as a run."""
        from obsql.mltrace.client import decorator_for

        if callable(inputs):
            return decorator_for(self, {})(inputs)
        return decorator_for(self, {"inputs": inputs, **options})

    def to_dictionary(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "owner": self.owner, "tags": list(self.tags)}

    def __repr__(self) -> str:
        return json.dumps(self.to_dictionary())
