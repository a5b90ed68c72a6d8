"""Shared fixtures: a fresh store per test, closed afterwards so no writer leaks between tests; hypothesis set never
to fail a test for being slow, since the suite runs on shared, busy machines; and the `slow` mark on the modules
that build a whole pipeline or run many processes, so `python -m pytest -m "not slow"` is a quick first check; and
one local Spark session for every test marked `spark` (local[2], two shuffle partitions, no UI)."""
from __future__ import annotations

import pytest

import obsql

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the tests that need hypothesis say so themselves
    settings = None

# Hypothesis fails an example that takes over 200 ms (its deadline), and a test whose data takes long to generate
# (the too_slow health check): both measure the machine's load as much as the code. This conftest is imported before
# any test module, and a settings object takes what it does not name from the profile loaded when it is made, so
# every `@given` and every `@settings(...)` without a deadline of its own runs without one.
if settings is not None:
    settings.register_profile("obsql", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("obsql")


# Modules whose tests build the whole demo, a benchmark's pipelines or many processes (tens of seconds each).
SLOW_MODULES = {
    "tests/demo/test_doc_examples.py", "tests/demo/test_questions.py", "tests/benchmarks/test_diagnosis_pipelines.py",
    "tests/benchmarks/test_scale_store.py", "tests/oql/test_diagnose.py", "tests/repl/test_tmux.py",
    "tests/client/test_durability.py", "tests/client/test_many_processes.py", "tests/storage/test_snapshots.py",
    "tests/oql/test_fuzz.py", "tests/test_cli.py",
}


def pytest_collection_modifyitems(config, items):
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def store(tmp_path):
    """A connected, empty store in a temporary directory."""
    connected = obsql.connect(tmp_path / "store")
    yield connected
    connected.close()


@pytest.fixture(scope="session")
def spark():
    """The Spark session of the whole test session (tests/spark, and the Spark benchmark's smoke test)."""
    pytest.importorskip("pyspark", reason="the Spark tests need the spark extra: pip install -e '.[dev,spark]'")
    from obsql.spark.session import build_session

    session = build_session("local[2]")
    yield session
    session.stop()
