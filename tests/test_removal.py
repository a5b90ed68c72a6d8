"""Forget and retain on a clinic's pipeline: a patient's record is deleted with everything derived from it, and
nothing else; no removed value is left anywhere in the store's bytes; old data ages out by policy; both are audited,
planned exactly by a dry run, and safe to interrupt."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

import obsql
from obsql.errors import ObsqlError, StoreError, UnknownName
from obsql.removal import parse_age, retention_cutoffs
from obsql.storage.compact import compact
from obsql.storage.rewrite import exclusive

T0 = datetime(2021, 5, 3, tzinfo=timezone.utc)
SECRET_NAME, SECRET_SCORE = "Zelda Quux-Ormond", 0.7315926535  # what the patient asks to have deleted


def clinic(path: Path) -> obsql.Store:
    """Three patients admitted (intake reads each one's raw form and a shared code table), triage scores each one's
    record; labels arrive for the scores, and one score is flagged."""
    store = obsql.connect(path, sample_rows=50)
    names = {17: SECRET_NAME, 18: "Ada Byron", 19: "Max Planck"}
    scores = {17: SECRET_SCORE, 18: 0.25, 19: 0.5}
    for day, patient in enumerate(names):
        start = T0 + timedelta(days=day)
        with obsql.run("intake", inputs=[f"forms/patient-{patient}.json", "ref/icd10.parquet"], start=start,
                       end=start + timedelta(minutes=1)) as run:
            form = pl.DataFrame({"name": [names[patient]], "age": [40.0 + patient], "code": ["J45"]})
            run.add_output(form, var=f"form_{patient}")
            run.add_output([f"record-{patient}"])
        with obsql.run("triage", inputs=[f"record-{patient}", "ref/icd10.parquet"], start=start + timedelta(hours=1),
                       end=start + timedelta(hours=1, minutes=1)) as run:
            run.add_output([f"score-{patient}"], values=[scores[patient]])
            run.add_output(pl.DataFrame({"score": [scores[patient]]}), var="batch")  # one name, every run
    store.log_feedback([f"score-{p}" for p in names], [1, 0, 1], ts=T0 + timedelta(days=5))
    store.flag("score-17", "score-18")
    store.flush()
    return store


@pytest.fixture
def store(tmp_path):
    opened = clinic(tmp_path / "store")
    yield opened
    opened.close()


def count(store: obsql.Store, sql: str) -> int:
    return store.sql(sql).rows[0][0]


def every_value_in_the_store(root: Path) -> tuple[set[str], bytes]:
    """Every cell of every Parquet file under `root` as text, and every other file's bytes."""
    cells, others = set(), b""
    for path in root.rglob("*"):
        if path.is_file() and path.suffix == ".parquet":
            for column in pq.read_table(path, partitioning=None).to_pylist():
                cells.update(str(value) for value in column.values())
        elif path.is_file():
            others += path.read_bytes()
    return cells, others


def test_forget_forward_removes_the_patient_and_all_derived_from_it_and_nothing_else(store):
    removal = store.forget("forms/patient-17.json", forward=True)
    assert set(removal.pointers) == {"forms/patient-17.json", "intake.form_17", "record-17", "score-17",
                                     "triage.batch"}
    assert count(store, "SELECT count(*) FROM samples WHERE pointer = 'intake.form_17'") == 0
    assert count(store, "SELECT count(*) FROM summaries WHERE pointer = 'intake.form_17'") == 0
    assert count(store, "SELECT count(*) FROM feedback WHERE id = 'score-17'") == 0
    assert store.flagged() == ["score-18"]
    assert store.sql("SELECT value FROM io WHERE pointer = 'score-17'").rows == [(None,)]
    # the other patients keep everything, and the lineage of the forgotten one stays, redacted
    assert count(store, "SELECT count(*) FROM samples WHERE pointer = 'intake.form_18'") > 0
    assert store.sql("SELECT value FROM io WHERE pointer = 'score-18'").rows == [(0.25,)]
    assert count(store, "SELECT count(*) FROM feedback") == 2
    assert count(store, "SELECT count(*) FROM runs") == 6
    assert {row["run_id"] for row in store.query("trace 'score-17'").to_dicts()} == set(removal.runs)
    cells, others = every_value_in_the_store(store.path)
    assert SECRET_NAME not in cells and str(SECRET_SCORE) not in cells and "Ada Byron" in cells
    assert SECRET_NAME.encode() not in others and str(SECRET_SCORE).encode() not in others


def test_a_derived_name_other_runs_also_wrote_keeps_their_versions(store):
    removal = store.forget("forms/patient-17.json", forward=True)
    assert "triage.batch" in removal.pointers
    kept = store.sql("SELECT DISTINCT num_value FROM samples WHERE pointer = 'triage.batch' ORDER BY 1").rows
    assert kept == [(0.25,), (0.5,)]  # the batches of patients 18 and 19, written by runs outside the trace


def test_forget_without_forward_leaves_what_was_derived(store):
    store.forget("intake.form_17")
    assert count(store, "SELECT count(*) FROM samples WHERE pointer = 'intake.form_17'") == 0
    assert store.sql("SELECT value FROM io WHERE pointer = 'score-17'").rows == [(SECRET_SCORE,)]


def test_the_audit_says_who_what_and_how_much_and_holds_no_removed_value(store):
    removal = store.forget("forms/patient-17.json", forward=True, requested_by="dpo@clinic")
    [audit] = store.sql("SELECT * FROM redactions").to_dicts()
    assert (audit["action"], audit["requested_by"], audit["pointer"], audit["forward"]) == \
        ("forget", "dpo@clinic", "forms/patient-17.json", True)
    assert audit["pointers"] == 5 and sorted(audit["run_ids"]) == sorted(removal.runs) and len(removal.runs) == 2
    assert json.loads(audit["rows"]) == removal.rows and removal.rows["samples"] == 4  # 3 form cells, 1 score
    assert SECRET_NAME not in json.dumps(audit, default=str)
    card = store.query(f"inspect run '{removal.runs[0]}'").to_dicts()
    assert [row["value"] for row in card if row["section"] == "redacted"] == ["forget 'forms/patient-17.json'"]


def test_a_dry_run_plans_exactly_what_a_real_one_removes_and_writes_nothing(store):
    before = {path: path.read_bytes() for path in store.path.rglob("*.parquet")}
    planned = store.forget("forms/patient-17.json", forward=True, dry_run=True)
    assert {path: path.read_bytes() for path in store.path.rglob("*.parquet")} == before
    assert count(store, "SELECT count(*) FROM redactions") == 0
    done = store.forget("forms/patient-17.json", forward=True)
    assert done.rows == planned.rows and len(done.plan.changes) == len(planned.plan.changes)
    assert "would remove" in planned.describe()[0] and "removed" in done.describe()[0]


def test_forget_with_runs_removes_the_runs_and_their_edges(store):
    compact(store.path, closed_before=date(2030, 1, 1))  # the lineage index covers the runs, and is rebuilt
    removal = store.forget("record-17", forward=True, runs=True)
    assert count(store, "SELECT count(*) FROM runs") == 4
    assert count(store, f"SELECT count(*) FROM io WHERE run_id IN {tuple(removal.runs)}") == 0
    assert count(store, "SELECT count(*) FROM deps WHERE dep_run_id IN "
                        f"(SELECT unnest({list(removal.runs)}))") == 0
    with pytest.raises(UnknownName):
        store.query("trace 'score-17'")
    assert len(store.query("trace 'score-18'").rows) == 2


def test_a_pointer_known_only_by_its_label_can_be_forgotten(store):
    store.log_feedback(["walk-in-3"], [1])
    store.forget("walk-in-3", forward=True)
    assert count(store, "SELECT count(*) FROM feedback WHERE id = 'walk-in-3'") == 0


def test_an_unknown_pointer_is_refused_with_the_nearest_one(store):
    with pytest.raises(UnknownName, match="record-17") as caught:
        store.forget("record-71")
    assert caught.value.suggestion and "record-1" in caught.value.suggestion


def test_a_forget_is_refused_while_another_rewrite_holds_the_store(store):
    with exclusive(store.path, "compact"):
        with pytest.raises(StoreError, match="cannot forget"):
            store.forget("record-17")
    assert store.sql("SELECT value FROM io WHERE pointer = 'score-17'").rows == [(SECRET_SCORE,)]


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), ("6m", 180), ("2y", 730), (" 1Y ", 365)])
def test_ages(text, days):
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["", "90", "d", "0d", "-3d", "1.5y", "3 fortnights"])
def test_bad_ages_are_refused(text):
    with pytest.raises(ObsqlError, match="not an age"):
        parse_age(text)


def test_retention_cutoffs_keep_the_shorter_age_where_two_kinds_share_a_table():
    cutoffs = retention_cutoffs({"samples": "10d", "runs": "30d"}, date(2021, 6, 1))
    assert cutoffs["samples"] == date(2021, 5, 22) and cutoffs["runs"] == date(2021, 5, 2)
    with pytest.raises(ObsqlError, match="cannot age out"):
        retention_cutoffs({"metrics": "1d"}, date(2021, 6, 1))


def test_retain_drops_old_samples_first_and_keeps_summaries_and_lineage(store):
    today = (T0 + timedelta(days=3)).date()  # a day kept: patients 17 and 18 were admitted before it
    planned = store.retain(samples="1d", dry_run=True)  # as of today, years later: every sample is older
    assert planned.rows == {"samples": count(store, "SELECT count(*) FROM samples")}
    removal = obsql.removal.retain(store, {"samples": "1d"}, today=today)
    assert count(store, "SELECT count(*) FROM samples WHERE pointer IN ('intake.form_17', 'intake.form_18')") == 0
    assert count(store, "SELECT count(*) FROM samples WHERE pointer = 'intake.form_19'") > 0
    assert count(store, "SELECT count(*) FROM summaries") > 0 and count(store, "SELECT count(*) FROM runs") == 6
    assert removal.bytes_freed > 0 and set(removal.rows) == {"samples"}
    [audit] = store.sql("SELECT action, policy, pointer FROM redactions").rows
    assert audit == ("retain", "samples=1d", None)


def test_retain_runs_removes_whole_runs_with_their_lineage(store):
    compact(store.path, closed_before=date(2030, 1, 1))
    obsql.removal.retain(store, {"runs": "1d"}, today=(T0 + timedelta(days=3)).date())
    assert count(store, "SELECT count(*) FROM runs") == 2
    assert len(store.query("trace 'score-19'").rows) == 2
    with pytest.raises(UnknownName):
        store.query("trace 'score-17'")


def obsql_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "obsql", *args], capture_output=True, text=True, timeout=600)


def test_the_command_line_forgets_retains_and_saves_a_policy_compact_applies(store):
    root = str(store.path)
    store.close()
    dry = obsql_cli("forget", "forms/patient-17.json", "--forward", "--dry-run", "--store", root)
    assert dry.returncode == 0 and "would remove" in dry.stdout and "would rewrite" in dry.stdout
    done = obsql_cli("forget", "forms/patient-17.json", "--forward", "--by", "dpo", "--store", root)
    assert done.returncode == 0 and "removed" in done.stdout, done.stderr
    unknown = obsql_cli("forget", "nobody", "--store", root)
    assert unknown.returncode == 2 and "no pointer 'nobody'" in unknown.stderr
    missing = obsql_cli("forget", "x", "--store", root + "-missing")
    assert missing.returncode == 2 and not Path(root + "-missing").exists()
    saved = obsql_cli("retain", "--samples", "1d", "--save", "--dry-run", "--store", root)
    assert saved.returncode == 0 and "saved the retention policy samples=1d" in saved.stdout
    assert json.loads((Path(root) / "obsql.json").read_text())["retention"] == {"samples": "1d"}
    compacted = obsql_cli("compact", "--store", root)
    assert compacted.returncode == 0 and "retain samples=1d: removed" in compacted.stdout, compacted.stderr
    assert obsql_cli("retain", "--samples", "soon", "--store", root).returncode == 2
