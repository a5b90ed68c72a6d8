"""Work that goes on after a run's call returned: triggers marked `@obsql.background`, and the summaries and samples
of large dataframes. Exit and `Store.flush` wait for it, so nothing it logs is lost."""
from __future__ import annotations

import contextvars
import threading
import traceback
from typing import Callable


class BackgroundTriggers:
    """The threads of such work still running in this process, so exit and flush can wait for them."""

    def __init__(self) -> None:
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self, work: Callable[[], None]) -> None:
        def body() -> None:
            try:
                work()
            except Exception:
                traceback.print_exc()
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        context = contextvars.copy_context()  # keeps a simulated clock running in the thread
        thread = threading.Thread(target=context.run, args=(body,), name="obsql-trigger", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every running trigger to finish."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)


BACKGROUND = BackgroundTriggers()
