"""Each test gets its own store through `mltrace.set_db_uri`, as mltrace's tests got a fresh database."""
from __future__ import annotations

import pytest

import obsql.mltrace as mltrace


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("SAVE_DIR", str(tmp_path / "artifacts"))
    mltrace.set_db_uri(tmp_path / "store")
    import obsql

    yield obsql.current()
    obsql.current().close()
