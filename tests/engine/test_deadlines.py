"""The watchdog behind statement time limits: an armed callback runs once its deadline passes, a disarmed one
never does (nor is it still running once disarm returns), and many deadlines share one thread."""
from __future__ import annotations

import threading
import time

from obsql.engine.deadlines import Watchdog


def test_an_armed_callback_runs_once_its_deadline_passes():
    watchdog, fired = Watchdog(), threading.Event()
    watchdog.arm(0.01, fired.set)
    assert fired.wait(60)


def test_a_disarmed_callback_never_runs():
    watchdog, calls = Watchdog(), []
    token = watchdog.arm(2.0, lambda: calls.append("late"))
    watchdog.disarm(token)
    done = threading.Event()
    watchdog.arm(2.1, done.set)  # a later deadline: by the time it fires, the first one's has long passed
    assert done.wait(60) and calls == []


def test_disarm_waits_for_a_callback_already_running():
    watchdog, started, log = Watchdog(), threading.Event(), []

    def slow() -> None:
        started.set()
        time.sleep(0.2)
        log.append("callback ended")

    token = watchdog.arm(0.0, slow)
    assert started.wait(60)
    watchdog.disarm(token)
    log.append("disarm returned")
    assert log == ["callback ended", "disarm returned"]


def test_deadlines_fire_in_their_order_whatever_the_order_they_were_armed_in():
    watchdog, order, done = Watchdog(), [], threading.Event()
    watchdog.arm(0.3, lambda: (order.append("second"), done.set()))
    watchdog.arm(0.05, lambda: order.append("first"))
    assert done.wait(60) and order == ["first", "second"]
    assert len([t for t in threading.enumerate() if t.name == "obsql-deadlines"]) >= 1


def test_a_failing_callback_leaves_the_watchdog_working():
    watchdog, fired = Watchdog(), threading.Event()

    def broken() -> None:
        raise RuntimeError("the connection was closed meanwhile")

    watchdog.arm(0.0, broken)
    watchdog.arm(0.05, fired.set)
    assert fired.wait(60)
