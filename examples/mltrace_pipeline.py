"""A pipeline written for mltrace, unchanged but for its import: decorators, a Component with Test classes,
save/load, notes, flags and review. Run it with `python examples/mltrace_pipeline.py [STORE_DIR]`."""
import sys
import tempfile

import obsql.mltrace as mltrace
from obsql.mltrace import Component, Test

store = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="mltrace-example-")
mltrace.set_db_uri(store)
mltrace.create_component("ingest", "reads raw sensor files", "shreya", tags=["sensors"])


class NotEmpty(Test):
    def __init__(self):
        super().__init__("not empty")

    def testRows(self, readings):
        if not readings:
            raise ValueError("no readings")


class InRange(Test):
    def testScores(self, scores):
        if any(not 0 <= s <= 1 for s in scores):
            raise ValueError("a score is out of [0, 1]")


@mltrace.register("ingest", input_vars=["path"], output_vars=["cleaned_path"])
def ingest(path):
    cleaned_path = path.replace("raw", "clean")
    return cleaned_path


@mltrace.register("fit", input_vars=["cleaned_path"], staleness_threshold=60 * 60 * 24 * 7)
def fit(cleaned_path):
    weights = {"bias": 0.1, "scale": 0.5}
    return mltrace.save(weights)


scorer = Component("score", owner="shreya", description="scores readings", beforeTests=[NotEmpty],
                   afterTests=[InRange], tags=["sensors", "model"])


@scorer.run(input_vars=["model_path"], output_kwargs={"ids": "scores"})
def score(model_path, readings):
    model = mltrace.load(model_path)
    ids = [f"reading-{i}" for i in range(len(readings))]
    scores = [min(1.0, model["bias"] + model["scale"] * r) for r in readings]
    return scores


cleaned = ingest("s3://bucket/raw/day1.csv")
model_path = fit(cleaned)
score(model_path, [0.2, 0.4, 1.9])
score(model_path, [0.1, 0.3])

mltrace.flag_output_id("reading-2")
mltrace.add_notes_to_component_run(mltrace.get_recent_run_ids(1)[0], "looked fine by eye")
flagged, ranked = mltrace.review_flagged_outputs()
print("flagged:", flagged)
for run, count in ranked:
    print(f"  {run.component_name:8} {run.id} behind {count} flagged output(s)")
for depth, run in mltrace.backtrace("reading-2"):
    print("  " * depth + f"{run.component_name} {run.id} outputs={[p.name for p in run.outputs][:3]}")
print("components tagged sensors:", [c.name for c in mltrace.get_components(tag="sensors")])
