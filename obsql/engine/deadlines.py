"""Statement time limits without a thread per statement: one watchdog thread per process calls each armed callback
once its deadline passes, unless it was disarmed first.

A `threading.Timer` per statement had to be joined when the statement ended (a timer thread still ending when the
interpreter exits makes the process abort), and the join waits for that thread to be scheduled: up to 46 ms on a
loaded 2-core machine, longer than a whole trace takes. Arming and disarming here only take a lock.
"""
from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from typing import Callable


class Watchdog:
    """Deadlines of this process: `arm` one, `disarm` it when its work ended in time."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: list[tuple[float, int]] = []  # (deadline, token), earliest first
        self._armed: dict[int, Callable[[], None]] = {}
        self._tokens = itertools.count()
        self._firing: int | None = None  # the token whose callback runs now
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Callable[[], None]) -> int:
        """Call `callback` (from the watchdog's thread) in `seconds` unless disarmed before; returns the token."""
        with self._changed:
            token = next(self._tokens)
            self._armed[token] = callback
            heapq.heappush(self._due, (time.monotonic() + seconds, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="obsql-deadlines", daemon=True)
                self._thread.start()
            self._changed.notify()
        return token

    def disarm(self, token: int) -> None:
        """The work ended: its callback will not be called, and is not running when this returns."""
        with self._changed:
            self._armed.pop(token, None)
            while self._firing == token:
                self._changed.wait()

    def _watch(self) -> None:
        with self._changed:
            while True:
                while self._due and self._due[0][1] not in self._armed:  # disarmed: forget it
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                deadline, token = self._due[0]
                if deadline > time.monotonic():
                    self._changed.wait(deadline - time.monotonic())
                    continue
                heapq.heappop(self._due)
                self._fire(token, self._armed.pop(token))

    def _fire(self, token: int, callback: Callable[[], None]) -> None:
        """Run a callback outside the lock (it may take a while), then wake a `disarm` waiting for it."""
        self._firing = token
        self._changed.release()
        try:
            callback()
        except Exception:  # noqa: BLE001 - e.g. interrupting a connection closed meanwhile: nothing left to stop
            pass
        finally:
            self._changed.acquire()
            self._firing = None
            self._changed.notify_all()

    def _forget_after_fork(self) -> None:
        """A forked child has no watchdog thread, and none of its parent's deadlines."""
        self.__init__()


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG._forget_after_fork)
