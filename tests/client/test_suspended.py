"""Generator and `async def` functions decorated as components: a generator's run is logged when it is exhausted or
closed, a coroutine's when it completes, with the locals they had then; failures are failed runs, re-raised."""
from __future__ import annotations

import asyncio

import pytest

import obsql
from tests.helpers import rows


def runs(store) -> list[tuple]:
    return rows(store, "SELECT component, status, notes FROM runs ORDER BY start_time, run_id")


def outputs(store, component: str) -> list[str]:
    return [p for (p,) in rows(store, f"SELECT pointer FROM io WHERE component = '{component}' "
                                      "AND direction = 'output' ORDER BY pointer")]


@obsql.register("batches", input_vars=["source"], output_vars=["written"])
def batches(source, count=3):
    written = f"{source}.batches"
    for i in range(count):
        if i == 99:
            raise RuntimeError("batch 99 is bad")
        yield i


def test_a_generator_is_one_run_logged_when_it_is_exhausted(store):
    produced = batches("raw")
    assert runs(store) == []  # creating the generator runs nothing yet
    assert list(produced) == [0, 1, 2]
    assert runs(store) == [("batches", "ok", "")]
    assert outputs(store, "batches") == ["raw.batches"]


def test_a_generator_closed_early_is_a_run_that_says_so(store):
    produced = batches("raw", count=10)
    assert next(produced) == 0
    produced.close()
    assert runs(store) == [("batches", "ok", "closed before it was exhausted")]


def test_a_generator_that_raises_is_a_failed_run_and_the_error_reaches_the_consumer(store):
    with pytest.raises(RuntimeError, match="batch 99"):
        list(batches("raw", count=100))
    assert runs(store) == [("batches", "failed", "")]


def test_send_and_throw_reach_the_generator(store):
    @obsql.register("echo", output_vars=["last"])
    def echo():
        last = None
        while True:
            try:
                last = yield last
            except KeyError:
                return

    produced = echo()
    next(produced)
    assert produced.send("a.csv") == "a.csv"
    with pytest.raises(StopIteration):
        produced.throw(KeyError("done"))
    assert outputs(store, "echo") == ["a.csv"]


def test_a_coroutine_is_one_run_logged_when_it_completes(store):
    @obsql.register("fetch", input_vars=["url"], output_vars=["saved"])
    async def fetch(url):
        saved = url.replace("https://", "") + ".json"
        await asyncio.sleep(0)
        return saved

    async def main():
        return await asyncio.gather(fetch("https://a"), fetch("https://b"))

    assert asyncio.run(main()) == ["a.json", "b.json"]
    assert [r[:2] for r in runs(store)] == [("fetch", "ok"), ("fetch", "ok")]
    assert outputs(store, "fetch") == ["a.json", "b.json"]


def test_a_coroutine_that_raises_is_a_failed_run(store):
    @obsql.register("flaky")
    async def flaky():
        await asyncio.sleep(0)
        raise ConnectionError("the service went away")

    with pytest.raises(ConnectionError):
        asyncio.run(flaky())
    assert runs(store) == [("flaky", "failed", "")]
