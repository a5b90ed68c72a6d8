"""`obsql compact --engine spark` writes the files the DuckDB compactor writes, and each engine reads a store the
other compacted with the answers it gave before compaction, engines opened before compaction included.

One store of tests/oql is copied twice: Spark compacts one, DuckDB the other (once for the module: Spark's
compaction of 42 partitions and 12 index files takes ~25 s on local[2])."""
from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obsql.engine.session import Engine
from obsql.spark.compaction import spark_compaction
from obsql.spark.reader import spark_reader_factory
from obsql.storage import lineage_index, live_files
from obsql.storage.compact import compact
from obsql.storage.layout import COMPACT_DIR, COMPACTED_PREFIX
from obsql.storage.reader import StoreReader
from obsql.storage.rewrite import exclusive, finish_interrupted, staging_file
from obsql.storage.schemas import TABLES
from tests.oql.conftest import build
from tests.spark.test_same_answers import answers, first_difference

pytestmark = pytest.mark.spark

EVERYTHING = date(2100, 1, 1)  # every partition counts as closed
ASKED = ["runs", "trace 'pred-1'", "trace outputs of infer where value > 0.5 | rank runs",
         "history train metric accuracy every 1 day"]
READ_BY = {"spark": "duckdb", "duckdb": "spark"}  # which engine reads the store each engine compacted


@pytest.fixture(scope="module")
def compacted(tmp_path_factory, spark):
    """{engine that compacted: (root, the other engine's answers before, that engine as it was before)}, over the
    store of tests/oql compacted midway (so the engines read an index before, which compaction then replaces)."""
    base = tmp_path_factory.mktemp("compacting")
    build(base / "duckdb", compact_midway=True).close()
    shutil.copytree(base / "duckdb", base / "spark")
    stores = {}
    for name, engine in (("duckdb", None), ("spark", spark_compaction(spark))):
        root = base / name
        reader = _engine(root, READ_BY[name], spark)
        asked = [answers(reader, text) for text in ASKED]
        compact(root, closed_before=EVERYTHING, engine=engine)
        stores[name] = root, asked, reader
    return stores


def _engine(root: Path, kind: str, spark) -> Engine:
    return Engine.open(root, reader_factory=spark_reader_factory(spark) if kind == "spark" else StoreReader)


@pytest.mark.parametrize("compacted_by", ["spark", "duckdb"])
def test_an_engine_answers_as_before_over_a_store_the_other_compacted(compacted, spark, compacted_by):
    root, asked, before = compacted[compacted_by]
    for engine in (before, _engine(root, READ_BY[compacted_by], spark)):  # opened before, and anew
        for text, expected in zip(ASKED, asked):
            columns, rows, _ = answers(engine, text)
            assert columns == expected[0] and first_difference(rows, expected[1]) is None, text


def test_the_partitions_merge_into_the_same_files(compacted):
    duck, spark = compacted["duckdb"][0], compacted["spark"][0]
    for table in TABLES:
        merged = {_partition(duck, path): path for path in live_files.parquet_files(duck, table)}
        assert {_partition(spark, path) for path in live_files.parquet_files(spark, table)} == set(merged), table
        for path in live_files.parquet_files(spark, table):
            assert Path(path).name.startswith(COMPACTED_PREFIX)
            theirs = pq.ParquetFile(merged[_partition(spark, path)])
            ours = pq.ParquetFile(path)
            assert ours.schema_arrow == theirs.schema_arrow
            assert ours.metadata.num_row_groups == theirs.metadata.num_row_groups
            assert ours.metadata.row_group(0).column(0).compression == "ZSTD"
            assert _sort_keys(ours.read(), TABLES[table].sort_by) == _sort_keys(theirs.read(), TABLES[table].sort_by)
    assert [p.name for p in (spark / COMPACT_DIR).iterdir() if p.name != ".lock"] == []  # nothing staged is left


def test_a_file_staged_by_a_stopped_compaction_is_removed_by_the_next(compacted):
    """Spark's executors write a merged partition out of every table before the rewrite names it; a compaction
    stopped in between leaves the file there, which no reader lists and the next rewrite removes."""
    root = compacted["spark"][0]
    staged = staging_file(root)
    staged.write_bytes(b"PAR1")
    with exclusive(root, "test"):
        finish_interrupted(root)
    assert not staged.exists()


def test_the_lineage_index_is_the_same_files_with_the_same_manifest(compacted):
    duck, spark = compacted["duckdb"][0], compacted["spark"][0]
    for name, view in lineage_index.VIEWS.items():
        ours, theirs = (pq.ParquetFile(lineage_index.index_file(root, name)) for root in (spark, duck))
        assert _types(ours.schema_arrow) == _types(theirs.schema_arrow), name
        assert ours.metadata.num_row_groups == theirs.metadata.num_row_groups
        if ours.metadata.num_rows:
            assert ours.metadata.row_group(0).column(0).compression == "ZSTD"
        keys = [key.strip() for key in view.sort_by.split(",")]
        assert _sort_keys(ours.read(), keys) == _sort_keys(theirs.read(), keys), name
        assert Counter(map(_hashable, ours.read().to_pylist())) == Counter(map(_hashable, theirs.read().to_pylist()))
    manifests = [json.loads((root / lineage_index.INDEX_DIR / lineage_index.MANIFEST).read_text())
                 for root in (spark, duck)]
    assert manifests[0]["version"] == manifests[1]["version"] == lineage_index.INDEX_VERSION
    assert {t: sorted(map(_directory, files)) for t, files in manifests[0]["covers"].items()} == \
        {t: sorted(map(_directory, files)) for t, files in manifests[1]["covers"].items()}
    assert not [p for p in (spark / lineage_index.INDEX_DIR).iterdir() if p.name.startswith(".")]  # no scratch left
    # DuckDB's lookup database is DuckDB's to write: a Spark-built index is read from its Parquet files
    assert manifests[0]["lookup"] is None and manifests[1]["lookup"].startswith(lineage_index.LOOKUP_PREFIX)


def _partition(root: Path, path: str) -> str:
    return str(Path(path).parent.relative_to(root))


def _directory(relative: str) -> str:
    return str(Path(relative).parent)


def _sort_keys(table: pa.Table, keys) -> list[tuple]:
    return list(zip(*(table.column(key).to_pylist() for key in keys if key in table.column_names)))


def _types(schema: pa.Schema) -> list[tuple[str, str]]:
    """Names and types; Spark marks as nullable what DuckDB sometimes writes as required, which no reader asks."""
    return [(field.name, str(_nullable(field.type))) for field in schema]


def _nullable(kind: pa.DataType) -> pa.DataType:
    if pa.types.is_list(kind):
        return pa.list_(_nullable(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _nullable(f.type)) for f in kind])
    return kind


def _hashable(row: dict) -> tuple:
    return tuple((key, repr(value)) for key, value in sorted(row.items()))
