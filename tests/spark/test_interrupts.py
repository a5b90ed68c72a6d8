"""A Spark statement past its time limit, and one interrupted from another thread (the shell's Ctrl-C calls
`Engine.interrupt`), stop as DuckDB's do: the same error, its Spark jobs cancelled, and the engine answers the next
statement."""
from __future__ import annotations

import threading
import time

import pytest

from obsql.errors import ObsqlError
from tests.oql.conftest import NOW
from tests.spark.test_same_answers import answers

pytestmark = pytest.mark.spark

# minutes on either engine: a cross product of 7 copies of io (~6e9 rows), each row concatenating text
SLOW = ("sql select count(*) from io a, io b, io c, io d, io e, io f, io g "
        "where a.pointer < b.pointer || c.pointer || d.pointer || e.pointer || f.pointer || g.pointer")
LIMIT = 3.0
NEXT = "runs | group by component aggregate count(*) as n | order by component"


@pytest.fixture
def engines(both):
    """Both engines, and on the way out their time limits as they were and no Spark job left running."""
    limits = [engine.timeout for engine in both]
    yield both
    for engine, limit in zip(both, limits):
        engine.timeout = limit
    assert _settled(both[1])


def test_a_statement_past_its_time_limit_is_cancelled_on_spark_as_on_duckdb(engines):
    errors = []
    for engine in engines:
        engine.timeout = LIMIT
        started = time.monotonic()
        with pytest.raises(ObsqlError) as raised:
            engine.run(SLOW, now=NOW)
        assert time.monotonic() - started < LIMIT + 30  # stopped, not run to its end
        errors.append(str(raised.value))
        engine.timeout = 120  # the next statement may take more than LIMIT on a loaded machine
    assert errors[1] == errors[0]
    assert f"ran past its time limit ({LIMIT:g} s)" in errors[0]
    assert _settled(engines[1])
    assert answers(engines[1], NEXT) == answers(engines[0], NEXT)


def test_interrupting_a_running_spark_statement_cancels_it_as_on_duckdb(engines):
    errors = [str(_interrupted(engine)) for engine in engines]
    assert errors[1] == errors[0]
    assert "query cancelled" in errors[0]
    assert _settled(engines[1])
    assert answers(engines[1], NEXT) == answers(engines[0], NEXT)


def test_an_interrupt_between_statements_stops_nothing(engines):
    duck, spark = engines
    spark.interrupt()
    assert answers(spark, NEXT) == answers(duck, NEXT)


def _interrupted(engine) -> ObsqlError:
    """The error of SLOW on `engine`, interrupted once from this thread while its query runs."""
    engine.timeout = 120  # a missed interrupt fails the test in minutes, not hangs it
    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            engine.run(SLOW, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    _until_running(engine)
    engine.interrupt()
    thread.join(60)
    assert not thread.is_alive(), "the interrupted statement still runs"
    assert isinstance(outcome.get("error"), ObsqlError), outcome
    return outcome["error"]


def _until_running(engine) -> None:
    """Wait until the engine's query runs: a Spark job is active (DuckDB's starts at once)."""
    spark = getattr(engine.reader, "spark", None)
    if spark is None:
        time.sleep(0.5)
        return
    for _ in range(600):
        if spark.sparkContext.statusTracker().getActiveJobsIds():
            return
        time.sleep(0.1)
    raise AssertionError("the slow query never started a Spark job")


def _settled(engine, seconds: float = 30) -> bool:
    """Whether Spark's jobs all ended (cancelled tasks may take a moment to stop)."""
    tracker = engine.reader.spark.sparkContext.statusTracker()
    deadline = time.monotonic() + seconds
    while tracker.getActiveJobsIds():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
