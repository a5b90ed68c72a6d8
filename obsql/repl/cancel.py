"""Running a statement so that Ctrl-C cancels it and keeps the shell: the work runs in a thread while the main
thread waits; on Ctrl-C the main thread interrupts the engine's query until the work gives up."""
from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def run_cancellable(work: Callable[[], T], interrupt: Callable[[], None]) -> T:
    """`work()`'s value or exception; after Ctrl-C, `interrupt` is called until `work` returns, raises or gives up.

    Interrupting again and again matters: a statement may run several DuckDB queries in a row (a trace walks the
    graph level by level), and an interrupt stops only the one running at that moment. The wait is on an Event,
    not on `Thread.join`, which a Ctrl-C can leave believing the thread has ended.
    """
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread, which raises it
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=target, name="obsql-statement", daemon=True).start()
    cancelled = False
    while not finished.is_set():
        try:
            finished.wait(POLL_SECONDS)
        except KeyboardInterrupt:
            cancelled = True
        if cancelled and not finished.is_set():
            interrupt()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
