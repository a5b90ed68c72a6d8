"""Statements run with Python's cycle collector paused.

A walk builds hundreds of thousands of small objects (a review of 100 flagged outputs ranks ~20k runs), and each
allocation burst sets off collections that traverse every object the process holds, the engine's in-memory lineage
core included: in a review at 10M runs the collector took ~100 ms, as long as the ranking itself. What a statement
leaves behind is freed by reference counting (it builds no reference cycles worth collecting mid-statement), so the
collector waits until the statement ends. Statements running at once in several threads (`obsql serve`) share one
pause: the collector resumes when the last of them ends, and is left alone if it was off to begin with.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_running = 0  # statements inside the pause now
_paused_by_us = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the block (nested and concurrent blocks share the pause)."""
    global _running, _paused_by_us
    with _lock:
        if _running == 0 and gc.isenabled():
            gc.disable()
            _paused_by_us = True
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _paused_by_us:
                _paused_by_us = False
                gc.enable()
