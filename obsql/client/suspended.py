"""Functions whose body runs after the call returns: generators and `async def` coroutines.

Calling one only creates a generator or a coroutine; its run is the work done while it is consumed. `drive` steps it
on behalf of whoever consumes the wrapper (every `next`, `send`, `throw` and `close` passes through) and keeps its
local variables as they were at each suspension, so the run can be logged when the generator is exhausted or
closed, or when the coroutine completes, with the locals it had then (those assigned after the last `yield` or
`await` of a body are not seen: the frame is gone once it returns).
"""
from __future__ import annotations

from typing import Any, Callable, Generator


class Watch:
    """What `drive` saw: the locals at the last suspension, and whether the consumer closed it early."""

    def __init__(self) -> None:
        self.locals: dict[str, Any] = {}
        self.closed_early = False


def drive(inner: Any, frame_of: Callable[[Any], Any], watch: Watch) -> Generator[Any, Any, Any]:
    """Step `inner` (a generator or a coroutine) as `yield from inner` would, noting its locals in `watch`."""
    value, error = None, None
    while True:
        try:
            step = inner.send(value) if error is None else inner.throw(error)
        except StopIteration as stop:
            return stop.value
        watch.locals = dict(frame_of(inner).f_locals)
        try:
            value, error = (yield step), None
        except GeneratorExit:
            watch.closed_early = True
            inner.close()
            raise
        except BaseException as exc:  # thrown in by the consumer: handed on to the inner one
            value, error = None, exc


class Awaiting:
    """A coroutine driven by `drive`, awaitable in its place."""

    def __init__(self, coroutine: Any, watch: Watch) -> None:
        self._coroutine, self._watch = coroutine, watch

    def __await__(self) -> Generator[Any, Any, Any]:
        return drive(self._coroutine, lambda coroutine: coroutine.cr_frame, self._watch)
