"""A newer obsql reads a store written by an older one: a column added later reads as null in older files."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from obsql.storage.layout import create_or_open
from obsql.storage.reader import StoreReader
from obsql.storage.writer import Writer


def old_components_file(root, name: str, file_name: str) -> None:
    """A components file as obsql wrote it before the `slas` column existed."""
    directory = root / "components" / "date=2020-01-01"
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"name": [name], "description": [""], "owner": [""], "tags": [[]],
                             "staleness_days": [30.0], "ts": pa.array([0], pa.timestamp("us", tz="UTC"))}),
                   directory / file_name)


@pytest.mark.parametrize("file_name", ["0-old.parquet", "ZZ-old.parquet"])  # listed before or after the new file
def test_old_and_new_files_read_together(tmp_path, file_name):
    old_name = "old"
    create_or_open(tmp_path)
    old_components_file(tmp_path, old_name, file_name)
    writer = Writer(tmp_path)
    writer.append([("components", ("2020-01-01",), {"name": ["new"], "slas": [["accuracy >= 0.9"]], "ts": [1]})])
    writer.close()
    reader = StoreReader(tmp_path)
    rows = reader.execute("SELECT name, slas FROM components ORDER BY name").fetchall()
    assert sorted(rows) == sorted([(old_name, None), ("new", ["accuracy >= 0.9"])])


def test_compaction_rewrites_old_files_in_the_current_schema(tmp_path):
    from datetime import date

    import pyarrow.parquet as pq

    from obsql.storage.compact import compact

    create_or_open(tmp_path)
    old_components_file(tmp_path, "old", "0-old.parquet")
    old_components_file(tmp_path, "older", "1-old.parquet")
    compact(tmp_path, closed_before=date(2020, 6, 1))
    (merged,) = (tmp_path / "components" / "date=2020-01-01").glob("*.parquet")
    table = pq.read_table(merged, partitioning=None)
    assert "slas" in table.column_names and table.column("slas").null_count == 2
