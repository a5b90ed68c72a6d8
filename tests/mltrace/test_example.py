"""The mltrace-style example pipeline runs unchanged after `import obsql.mltrace as mltrace`, and its answers are
right when asked in OQL."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import obsql

EXAMPLE = Path(__file__).parents[2] / "examples" / "mltrace_pipeline.py"


def test_the_mltrace_style_example_runs_and_its_store_answers_in_oql(tmp_path):
    done = subprocess.run([sys.executable, str(EXAMPLE), str(tmp_path / "store")], capture_output=True, text=True,
                          env={"SAVE_DIR": str(tmp_path / "artifacts"), "PATH": ""}, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "flagged: ['reading-2']" in done.stdout
    store = obsql.connect(tmp_path / "store")
    trace = store.query("trace 'reading-2'").to_dicts()
    assert [row["component"] for row in trace] == ["score", "fit", "ingest"]
    assert store.query("review | limit 1").rows[0][2] == "score"
    checks = store.sql("select phase, passed from checks order by start_time, phase").rows
    assert checks == [("after", True), ("before", True)] * 2  # both runs passed both tests
    components = {c["component"]: c for c in store.query("components").to_dicts()}
    assert components["ingest"]["owner"] == "shreya" and components["score"]["tags"] == ["sensors", "model"]
