"""The interactive shell and `obsql serve` run on the engine they are given (`--engine`, `$OBSQL_ENGINE`), as
`obsql -c` does. An unaliased `count(*)` tells the engines apart: DuckDB names it `count_star()`, Spark `count(1)`."""
from __future__ import annotations

import io

import pytest

from obsql.repl.app import open_shell
from obsql.repl.settings import Settings
from obsql.spark.reader import SparkReader
from obsql.storage.reader import StoreReader

pytestmark = pytest.mark.spark

COUNTED = "sql select count(*) from runs"


@pytest.fixture
def root(both):
    return both[0].store.root


def shell_output(shell, text: str) -> str:
    shell.out = shell.err = io.StringIO()
    shell.handle(text)
    return shell.out.getvalue()


def test_the_shell_runs_on_spark_when_told(root, spark):
    shell = open_shell(root, Settings(mode="csv"), engine="spark", spark=spark)
    try:
        assert isinstance(shell.engine.reader, SparkReader)
        assert shell_output(shell, f"{COUNTED};").splitlines()[0] == "count(1)"
        duck = open_shell(root, Settings(mode="csv"), engine="duckdb")
        text = "runs of train | select component, start_time;"
        assert shell_output(shell, text) == shell_output(duck, text)
        duck.close()
        shell.out = io.StringIO()
        shell.open_store(root)  # `.store`: another store, the same engine
        assert isinstance(shell.engine.reader, SparkReader)
    finally:
        shell.close()


def test_the_shell_takes_the_engine_from_the_environment(root, spark, monkeypatch):
    for name, reader in (("spark", SparkReader), ("duckdb", StoreReader)):
        monkeypatch.setenv("OBSQL_ENGINE", name)
        shell = open_shell(root, Settings(), spark=spark)
        assert type(shell.engine.reader) is reader
        shell.close()


def test_the_server_reads_with_spark_when_told(root, spark):
    pytest.importorskip("starlette")
    from tests.serve.conftest import client_of

    with client_of(root, engine="spark", workers=2) as client:
        body = client.get("/api/v1/query", params={"q": COUNTED}).json()
        assert body["columns"] == ["count(1)"]
        runs = client.get("/api/v1/runs", params={"limit": 5}).json()
    with client_of(root, engine="duckdb") as client:
        assert client.get("/api/v1/query", params={"q": COUNTED}).json()["columns"] == ["count_star()"]
        assert client.get("/api/v1/runs", params={"limit": 5}).json()["rows"] == runs["rows"]
