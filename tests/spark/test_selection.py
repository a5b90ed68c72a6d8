"""Choosing the engine: `connect(engine=, spark=)`, `--engine`, `--spark-master`, `$OBSQL_ENGINE`; DuckDB by default,
pyspark never imported on its way, and a clear error when pyspark is missing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import obsql
from obsql.errors import ObsqlError
from obsql.spark.selection import engine_name, reader_factory
from obsql.storage.reader import StoreReader
from tests.oql.conftest import build


def test_duckdb_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("OBSQL_ENGINE", raising=False)
    assert engine_name() == "duckdb" and reader_factory() is StoreReader
    monkeypatch.setenv("OBSQL_ENGINE", "Spark")
    assert engine_name() == "spark" and engine_name("duckdb") == "duckdb"


def test_an_unknown_engine_is_refused():
    with pytest.raises(ObsqlError, match="unknown engine 'presto'"):
        engine_name("presto")


def test_without_pyspark_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # what `import pyspark` meets where it is not installed
    with pytest.raises(ObsqlError, match=r"pip install 'obsql\[spark\]'") as raised:
        reader_factory("spark")
    assert "needs pyspark" in str(raised.value)


def test_a_duckdb_query_never_imports_pyspark(tmp_path):
    store = build(tmp_path / "store")
    store.close()
    shown = subprocess.run([sys.executable, "-X", "importtime", "-m", "obsql", "-c", "recent 5", "--store",
                            str(tmp_path / "store")], capture_output=True, text=True, check=True)
    assert "infer" in shown.stdout
    assert "pyspark" not in shown.stderr and "py4j" not in shown.stderr


@pytest.mark.spark
def test_connect_with_a_session_queries_on_spark(tmp_path, spark):
    store = build(tmp_path / "store")
    try:
        assert type(store.engine.reader) is StoreReader
        same = obsql.connect(tmp_path / "store", engine="spark", spark=spark)
        assert same is store and type(store.engine.reader).__name__ == "SparkReader"
        assert store.query("runs of train | select component").rows == [("train",), ("train",)]
    finally:
        store.close()


@pytest.mark.spark
def test_the_command_line_runs_on_spark(tmp_path):
    store = build(tmp_path / "store")
    store.close()
    command = [sys.executable, "-m", "obsql", "--store", str(tmp_path / "store"), "-csv", "-c",
               "runs of train | select component", "--engine", "spark"]  # one JVM start: $OBSQL_SPARK_MASTER too
    ran = subprocess.run(command, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OBSQL_SPARK_MASTER": "local[1]"})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["component", "train", "train"]
