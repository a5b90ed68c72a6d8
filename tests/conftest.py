"""Shared fixtures: a fresh store per test, closed afterwards so no writer leaks between tests; and hypothesis set
never to fail a test for being slow, since the suite runs on shared, busy machines."""
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


@pytest.fixture
def store(tmp_path):
    """A connected, empty store in a temporary directory."""
    connected = obsql.connect(tmp_path / "store")
    yield connected
    connected.close()
