"""The lineage index as a store meets it: built by compaction, extended by later runs, ignored when out of date."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pyarrow.parquet as pq

import obsql
from obsql.storage import lineage_index
from obsql.storage.compact import compact

T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)


def step(component, hours, inputs, outputs):
    with obsql.run(component, inputs=inputs, outputs=outputs, start=T0 + timedelta(hours=hours),
                   end=T0 + timedelta(hours=hours, minutes=5)):
        pass


def traced(store, pointer):
    return [(row[1], row[0]) for row in store.engine.run(f"trace '{pointer}'")[-1].rows]


def test_an_index_written_by_an_older_obsql_is_ignored_until_compaction_rebuilds_it(store):
    step("etl", 0, ["raw"], ["a"])
    step("train", 1, ["a"], ["model"])
    store.flush()
    compact(store.files.root)
    expected = [("train", 0), ("etl", 1)]
    assert traced(store, "model") == expected
    # what obsql wrote before producers carried run attributes: no version, narrower producers
    directory = store.files.root / lineage_index.INDEX_DIR
    manifest = directory / lineage_index.MANIFEST
    described = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({"covers": described["covers"]}))
    producers = lineage_index.index_file(store.files.root, "producers")
    pq.write_table(pq.read_table(producers).select(["pointer", "run_id", "component", "start_time", "end_time"]),
                   producers)
    assert lineage_index.covered_files(store.files.root) == {}
    step("serve", 2, ["model"], ["pred"])
    assert traced(store, "pred") == [("serve", 0), *[(c, d + 1) for c, d in expected]]
    compact(store.files.root)
    assert lineage_index.covered_files(store.files.root)
    assert traced(store, "pred") == [("serve", 0), *[(c, d + 1) for c, d in expected]]
