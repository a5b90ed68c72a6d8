"""Shared fixtures: a fresh store per test, closed afterwards so no writer leaks between tests."""
from __future__ import annotations

import pytest

import obsql


@pytest.fixture
def store(tmp_path):
    """A connected, empty store in a temporary directory."""
    connected = obsql.connect(tmp_path / "store")
    yield connected
    connected.close()
