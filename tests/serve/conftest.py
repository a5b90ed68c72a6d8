"""The server's fixtures: the bakery store logged once per session, a fresh copy of it per test that writes, and
clients of servers over it (read-only, or taking writes with a token)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install -e '.[dev]'")

from starlette.testclient import TestClient  # noqa: E402

from obsql.serve.app import create_app  # noqa: E402
from obsql.serve.config import ServeConfig  # noqa: E402
from tests.serve.pipeline import bake  # noqa: E402

TOKEN = "bakery-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="session")
def baked(tmp_path_factory) -> Path:
    """The bakery pipeline's store, logged once and never written to (tests that write use a copy)."""
    store = bake(tmp_path_factory.mktemp("bakery") / "store")
    store.close()
    return store.path


@pytest.fixture
def bakery(baked, tmp_path) -> Path:
    """A copy of the bakery store of this test's own."""
    return Path(shutil.copytree(baked, tmp_path / "store"))


@contextmanager
def client_of(root: Path, writes: bool = False, **options) -> Iterator[TestClient]:
    """A client of a server over `root` (taking writes with TOKEN when `writes`), closed at the end."""
    config = ServeConfig(root, token=TOKEN if writes else options.pop("token", None), allow_writes=writes, **options)
    with TestClient(create_app(config)) as client:
        yield client


@pytest.fixture(scope="module")
def reader(baked) -> Iterator[TestClient]:
    """A read-only server over the untouched store."""
    with client_of(baked) as client:
        yield client


@pytest.fixture
def writer(bakery) -> Iterator[TestClient]:
    """A server taking writes, over this test's copy."""
    with client_of(bakery, writes=True) as client:
        yield client
