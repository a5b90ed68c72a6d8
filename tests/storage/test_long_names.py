"""Names of any length and any script log and read back exactly: a component name too long for a directory name is
cut in its path (a readable prefix and a hash) and read back whole, before and after compaction."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import pytest

import obsql
from obsql.storage.compact import compact

LONG_NAMES = [
    "模型" * 150,  # 300 CJK characters: 2,700 bytes once percent-encoded
    "a" * 240,
    "étape de nettoyage / ünïcode ✓ " * 12,
]


@pytest.mark.parametrize("name", LONG_NAMES, ids=["cjk", "ascii", "mixed"])
def test_a_long_component_name_logs_and_reads_back_exactly(tmp_path, name):
    root = tmp_path / "store"
    store = obsql.connect(root)
    try:
        start = datetime(2020, 1, 1, tzinfo=timezone.utc)
        for i in range(3):
            with obsql.run(name, inputs=[f"raw-{i}"], outputs=[f"{name}/out-{i}"], start=start) as run:
                run.log_metric(name, float(i))
        with obsql.run("short", inputs=[f"{name}/out-2"], outputs=["after"], start=start + timedelta(hours=1)):
            pass  # runs after a long-named one still land
        store.flush()
        check_reads_back(store, name)
        compact(root, closed_before=date(2020, 6, 1))
        check_reads_back(store, name)
        longest = max(len(os.fsencode(part)) for path in root.rglob("*") for part in path.relative_to(root).parts)
        assert longest <= 255
    finally:
        store.close()


def check_reads_back(store, name: str) -> None:
    assert [row[1] for row in store.query(f"runs of '{name}'").rows] == [name] * 3
    assert [row[0] for row in store.query("components").rows] == [name, "short"]
    assert store.query(f"history '{name}' metric \"{name}\"").rows[-1][-1] == 2.0
    assert [(row[0], row[1]) for row in store.query("trace 'after'").rows] == [(0, "short"), (1, name)]
    assert store.sql(f"SELECT count(*) FROM io WHERE component = '{name.replace(chr(39), chr(39) * 2)}'").rows == [(6,)]
