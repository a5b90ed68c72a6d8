"""A fresh, empty store for each storage test."""
from __future__ import annotations

import pytest

from obsql.storage.layout import create_or_open


@pytest.fixture
def root(tmp_path):
    create_or_open(tmp_path)
    return tmp_path
