"""Statements pause Python's cycle collector: it is off inside, back on after (also when the block fails), shared by
nested and concurrent statements, and left off when it was off to begin with."""
from __future__ import annotations

import gc
import threading

import pytest

from obsql.engine.cycles import collector_paused


@pytest.fixture(autouse=True)
def collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_back_on_after_even_on_error():
    gc.enable()
    with pytest.raises(RuntimeError):
        with collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("the statement failed")
    assert gc.isenabled()


def test_nested_and_concurrent_blocks_share_one_pause():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other_statement() -> None:
        with collector_paused():
            inside.set()
            release.wait(60)

    thread = threading.Thread(target=other_statement)
    with collector_paused():
        thread.start()
        assert inside.wait(60)
        with collector_paused():
            assert not gc.isenabled()
    assert not gc.isenabled()  # the other statement still runs
    release.set()
    thread.join(60)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_user_stays_off():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
