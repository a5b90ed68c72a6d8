"""The lineage index's lookup database: written by compaction beside the Parquet index, attached by DuckDB's readers,
replaced by the next compaction, and never needed (without it the Parquet files answer the same)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

import obsql
from obsql.engine.session import Engine
from obsql.storage import lineage_index
from obsql.storage.compact import compact

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
WALKS = ["trace 'pred'", "trace forward 'raw'", "trace outputs of serve | rank runs"]


def step(component: str, hours: int, inputs: list[str], outputs: list[str]) -> None:
    with obsql.run(component, inputs=inputs, outputs=outputs, start=T0 + timedelta(hours=hours),
                   end=T0 + timedelta(hours=hours, minutes=5)):
        pass


@pytest.fixture
def compacted(store):
    """A small pipeline's store, compacted: its index has a lookup database."""
    step("etl", 0, ["raw"], ["features"])
    step("train", 1, ["features"], ["model"])
    step("serve", 2, ["model", "features"], ["pred", "pred-2"])
    store.flush()
    compact(store.files.root)
    return store


def lookups(store) -> list[str]:
    return sorted(p.name for p in (store.files.root / lineage_index.INDEX_DIR).glob(f"{lineage_index.LOOKUP_PREFIX}*"))


def named_lookup(store) -> str | None:
    manifest = store.files.root / lineage_index.INDEX_DIR / lineage_index.MANIFEST
    return json.loads(manifest.read_text())["lookup"]


def answers(engine: Engine) -> list[list[tuple]]:
    return [engine.run(text)[-1].rows for text in WALKS]


def producers_view(engine: Engine) -> str:
    engine.run("trace 'pred'")
    (sql,), = engine.reader.con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'lineage_producers'").fetchall()
    return sql


def test_compaction_writes_one_lookup_database_which_the_manifest_names_and_lookups_read(compacted):
    assert lookups(compacted) == [named_lookup(compacted)]
    assert "obsql_lookup.producers" in producers_view(compacted.engine)
    trace = compacted.engine.run("trace 'pred'")[-1]
    assert [row[trace.columns.index("component")] for row in trace.rows] == ["serve", "train", "etl", "etl"]


def test_the_next_compaction_replaces_it_and_an_open_engine_moves_to_the_new_one(compacted):
    engine = compacted.engine
    first = named_lookup(compacted)
    assert engine.run("trace 'pred'")[-1].rows
    step("serve", 3, ["model"], ["pred-3"])
    compacted.flush()
    compact(compacted.files.root, closed_before=(T0 + timedelta(days=2)).date())
    second = named_lookup(compacted)
    assert second != first and lookups(compacted) == [second]
    assert [row[1] for row in engine.run("trace 'pred-3'")[-1].rows] == ["serve", "train", "etl"]
    assert engine.reader.attach_lookup(lineage_index.lookup_database(compacted.files.root)) == "obsql_lookup"
    assert engine.reader._lookup.name == second


def test_without_its_lookup_database_the_parquet_index_gives_the_same_answers(compacted):
    expected = answers(compacted.engine)
    for name in lookups(compacted):
        (compacted.files.root / lineage_index.INDEX_DIR / name).unlink()
    engine = Engine.open(compacted.files.root)
    try:
        assert "obsql_lookup" not in producers_view(engine)
        assert answers(engine) == expected
    finally:
        engine.reader.close()


def test_a_lookup_database_duckdb_cannot_build_leaves_the_index_to_its_parquet_files(store, monkeypatch):
    step("etl", 0, ["raw"], ["features"])
    step("serve", 1, ["features"], ["pred"])
    store.flush()
    monkeypatch.setattr(lineage_index, "LOOKUPS", ("producers", "no_such_index_file"))
    with pytest.warns(UserWarning, match="no lookup database"):
        compact(store.files.root)
    assert named_lookup(store) is None and lookups(store) == []
    assert not [p for p in (store.files.root / lineage_index.INDEX_DIR).iterdir() if p.name.startswith(".")]
    assert [row[1] for row in store.engine.run("trace 'pred'")[-1].rows] == ["serve", "etl"]
