"""`diagnose`: rank the upstream runs that most likely explain a component's outputs in a time range.

Every run in the traces of those outputs is compared with the earlier runs of its own component (its history: up
to HISTORY_RUNS runs that began before the time range, or before the run if it is older), using only what obsql
logs by itself, so a pipeline whose user wrote no checks still gets an answer. Each kind of evidence becomes a
score on one scale, a robust z-score (how many standard deviations from what the component usually does),
capped at Z_CAP so that one enormous number does not hide the others:

- `data`: a logged column's share of missing values, mean, spread or share of distinct values moved (robust z
  against the history, and an effect-size floor so a significant wobble on large frames is not a suspect);
- `metric`: a logged metric moved (robust z, and at least a 5% change);
- `stale`: a dependency read long after it ran, against its component's cadence (a run's age when read is uniform
  between 0 and the cadence while the component keeps its schedule: a refit skipped for weeks scores high);
- `check`: a check failed (scored by how rarely it failed before);
- `code`: the source hash or git commit differs from the component's previous run;
- `lineage` (with a `where` slice only): the run is over-represented in the slice's traces, by a lift of at
  least 1.5 (the p-value of `| rank runs` read as a z-score).

Suspects are collapsed per (component, kind, subject), keeping the strongest run. A change in a column that an
upstream suspect shows in the same column is the upstream one's echo, so it counts half. So does what is wrong
with a run that began long before the time range (earlier than the range's own length before it): it was in the
traces of the outputs before they went bad too, so it explains less of what changed; a dependency read late is
the exception, since the late reads are the new thing. Ties go to the most upstream suspect: faults flow
downstream.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import numpy as np

from obsql.engine.walks import Graph, Steps, Tabular, ranking, upstream_depths, upstream_graph
from obsql.result import DIAGNOSE_COLUMNS

HISTORY_RUNS = 30
MIN_HISTORY = 5  # fewer earlier runs say nothing about what a component usually does
HISTORY_DAYS = 120  # how far before the earliest traced run the history is read
READS_KEPT = 300  # of a pair of components, the latest reads of earlier versions that show the usual age
MIN_PEERS = 3  # seasonal peers needed before they count as a baseline
Z_MIN = 4.0
Z_CAP = 100.0
CHECK_SCORE = 20.0  # a check failing for the first time: the user said this must not happen
ROBUST = 1.4826  # MAD to standard deviation, for normal data
CODE_SCORE = 6.0  # a code change: always worth a look, below a measured anomaly at its cap
LINEAGE_LIFT = 1.5  # over-representation smaller than this is not a suspect, however significant
ECHO = 0.5  # weight of a column change an upstream run shows in the same column
OLD = 0.5  # weight of evidence about a run that began long before the time range


@dataclass
class Suspect:
    component: str
    run_id: str
    start_time: datetime
    kind: str
    subject: str
    evidence: str
    score: float
    depth: int


def diagnose(steps: Steps, args: dict[str, Any]) -> Tabular:
    """Ranked suspects for the outputs of the plan's slice (see the module's docstring)."""
    chosen = [(row["pointer"], row["run_id"]) for row in steps.dicts("outputs")]
    if not chosen:
        return Tabular(DIAGNOSE_COLUMNS, [])
    suspects: list[Suspect] = []
    if args["sliced"]:
        ranked = ranking(steps, chosen, steps.rows("baseline"))
        graph, producers = ranked.graph, ranked.producers
    else:
        producers = list(dict.fromkeys(run for _, run in chosen))
        graph, ranked = upstream_graph(steps, producers), None
    depths = upstream_depths(graph, producers)
    traced = {run_id: graph.runs[run_id] for run_id in depths if run_id in graph.runs}
    context = _Context(steps, graph, traced, depths, args["since"], args["until"])
    if ranked is not None:
        suspects += _lineage(context, ranked.records)
    for gather in (_checks, _code, _data, _metrics, _stale):
        suspects += gather(context)
    return Tabular(DIAGNOSE_COLUMNS, _ranked_rows(_collapsed(suspects, context)))


class _Context:
    """The traced runs, their components' histories, and the evidence steps bound to them."""

    def __init__(self, steps: Steps, graph: Graph, traced: dict[str, dict], depths: dict[str, int],
                 since: datetime | None, until: datetime) -> None:
        self.steps, self.graph, self.traced, self.depths, self.since = steps, graph, traced, depths, since
        self.components = sorted({run["component"] for run in traced.values()})
        self.long_before = None if since is None else since - max(until - since, timedelta(days=1))
        earliest = min(run["start_time"] for run in traced.values())
        self.bounds = {"components": self.components, "history_since": earliest - timedelta(days=HISTORY_DAYS),
                       "until": until}

    def rows(self, step: str) -> list[dict]:
        return self.steps.dicts(step, **self.bounds)

    def cutoff(self, run: dict) -> datetime:
        """Where a run's history ends: the start of the time range, or the run's own start if earlier."""
        return run["start_time"] if self.since is None else min(run["start_time"], self.since)

    def suspect(self, run_id: str, kind: str, subject: str, evidence: str, score: float) -> Suspect:
        """A suspect; one about a run that began long before the time range counts OLD (see the module)."""
        run = self.traced[run_id]
        if kind != "stale" and self.long_before is not None and run["start_time"] < self.long_before:
            score *= OLD
            evidence += f"; it ran {_days((self.since - run['start_time']).total_seconds() / 86_400)} before the range"
        return Suspect(run["component"], run_id, run["start_time"], kind, subject, evidence, score,
                       self.depths.get(run_id, 0))


class _Series:
    """One history (a component's logged column, metric, or reads of another component), in start order, and
    the baselines a run is judged against: the component's last HISTORY_RUNS runs before the run's cutoff, and,
    so that a weekly or daily cycle is not an anomaly, its seasonal peers (earlier runs at the same hour of the day,
    and at the same hour of the same weekday)."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.times = [row["start_time"] for row in rows]
        self.peers: dict[tuple, list[int]] = defaultdict(list)
        for index, start in enumerate(self.times):
            self.peers[("hour", start.hour)].append(index)
            self.peers[("weekday", start.weekday(), start.hour)].append(index)

    def baselines(self, start: datetime, cutoff: datetime) -> list[list[dict]]:
        """The runs to compare a run that began at `start` with; none when the history is too short."""
        end = bisect_left(self.times, cutoff)
        if end < MIN_HISTORY:
            return []
        chosen = [self.rows[end - HISTORY_RUNS if end > HISTORY_RUNS else 0:end]]
        for key in (("hour", start.hour), ("weekday", start.weekday(), start.hour)):
            indices = self.peers[key]
            earlier = indices[:bisect_left(indices, end)][-HISTORY_RUNS:]
            if len(earlier) >= MIN_PEERS:
                chosen.append([self.rows[i] for i in earlier])
        return chosen


def _series(rows: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, _Series]:
    """Rows grouped by `key` into series."""
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["start_time"], r["run_id"])):
        grouped[key(row)].append(row)
    return {name: _Series(group) for name, group in grouped.items()}


Test = Callable[[dict, list[dict]], "tuple[str, float, bool] | None"]


def _judged(row: dict, baselines: list[list[dict]], test: Test) -> tuple[str, float] | None:
    """A change as unusual as it is against the baseline it looks least unusual against: (evidence, score)."""
    verdicts = [verdict for verdict in (test(row, past) for past in baselines) if verdict is not None]
    if len(verdicts) < len(baselines) or not verdicts:
        return None
    evidence, z, large_enough = min(verdicts, key=lambda verdict: verdict[1])
    return (evidence, min(Z_CAP, z)) if large_enough and z >= Z_MIN else None


def _robust_z(value: float, past: np.ndarray, floor: float) -> tuple[float, float]:
    """How unusual `value` is among `past`: (|value - median| / max(robust sd, floor), median)."""
    median = float(np.median(past))
    spread = max(ROBUST * float(np.median(np.abs(past - median))), floor, 1e-12)
    return abs(value - median) / spread, median


# -- the kinds of evidence ----------------------------------------------------------------------------------------


def _lineage(context: _Context, records: list[dict]) -> list[Suspect]:
    """Runs over-represented in the slice's traces by at least LINEAGE_LIFT, their p-value as a z-score."""
    found = []
    for record in records:
        if record["run_id"] in context.traced and (record["lift"] or 0) >= LINEAGE_LIFT:
            z = math.sqrt(2 * math.log(10) * record["score"])  # the normal tail of the same probability, roughly
            evidence = (f"in {record['coverage']:.0%} of the slice's traces, {record['baseline_coverage']:.0%} of all "
                        f"(lift {record['lift']:.2f})")
            if z >= Z_MIN:
                found.append(context.suspect(record["run_id"], "lineage", "", evidence, min(Z_CAP, z)))
    return found


def _checks(context: _Context) -> list[Suspect]:
    failed = context.steps.dicts("failed_checks", ids=list(context.traced))
    if not failed:
        return []
    rates = {(row["component"], row["name"]): row["failed"] / row["runs"] for row in context.rows("check_history")
             if row["runs"]}
    found = []
    for row in failed:
        component = context.traced[row["run_id"]]["component"]
        usual = rates.get((component, row["name"]), 0.0)
        evidence = f"check {row['name']} failed ({row['phase']}): {row['message']}"
        if usual:
            evidence += f"; it failed in {usual:.0%} of earlier runs"
        found.append(context.suspect(row["run_id"], "check", row["name"] or "", evidence, CHECK_SCORE * (1 - usual)))
    return found


def _code(context: _Context) -> list[Suspect]:
    found = []
    for series in _series(context.rows("component_runs"), lambda r: (r["component"],)).values():
        runs = series.rows
        for previous, run in zip(runs, runs[1:]):
            if run["run_id"] not in context.traced:
                continue
            changed = [f"{field} {previous[field][:8]} -> {run[field][:8]}" for field in ("code_hash", "git_commit")
                       if previous[field] and run[field] and previous[field] != run[field]]
            if changed:
                evidence = f"code changed since the run of {previous['start_time']:%Y-%m-%d %H:%M}: " + ", ".join(
                    changed)
                found.append(context.suspect(run["run_id"], "code", "", evidence, CODE_SCORE))
    return found


def _data(context: _Context) -> list[Suspect]:
    found = []
    rows = [row for row in context.rows("column_stats") if not row["temporal"]]
    for (_, column), series in _series(rows, lambda r: (r["component"], r["column_name"])).items():
        for row in series.rows:
            run = context.traced.get(row["run_id"])
            baselines = series.baselines(row["start_time"], context.cutoff(run)) if run else []
            changes = [change for change in (_judged(row, baselines, test) for test in COLUMN_TESTS) if change]
            if changes:
                found.append(context.suspect(row["run_id"], "data", column, *max(changes, key=lambda c: c[1])))
    return found


def _values(past: list[dict], field: str) -> np.ndarray:
    return np.array([p[field] for p in past if p[field] is not None], dtype=np.float64)


def _null_change(row: dict, past: list[dict]) -> tuple[str, float, bool] | None:
    values, n = _values(past, "null_frac"), max(row["n"] or 0, 1)
    if row["null_frac"] is None or len(values) == 0:
        return None
    usual = float(np.median(values))
    z, usual = _robust_z(row["null_frac"], values, math.sqrt(max(usual, 0.5 / n) * (1 - min(usual, 0.5)) / n))
    effect = abs(2 * math.asin(math.sqrt(row["null_frac"])) - 2 * math.asin(math.sqrt(usual)))
    return f"{row['null_frac']:.1%} missing, usually {usual:.1%}", z, effect >= 0.2


def _mean_change(row: dict, past: list[dict]) -> tuple[str, float, bool] | None:
    values, spreads = _values(past, "mean"), _values(past, "std")
    if row["mean"] is None or len(values) == 0 or len(spreads) == 0 or not np.median(spreads) > 0:
        return None
    sd = float(np.median(spreads))
    z, usual = _robust_z(row["mean"], values, sd / math.sqrt(max(row["n"] or 0, 1)))
    return f"mean {row['mean']:.4g}, usually {usual:.4g} (sd {sd:.3g})", z, abs(row["mean"] - usual) >= 0.2 * sd


def _spread_change(row: dict, past: list[dict]) -> tuple[str, float, bool] | None:
    values = np.log(np.array([p["std"] for p in past if p["std"]], dtype=np.float64))
    if not row["std"] or len(values) == 0:
        return None
    z, usual = _robust_z(math.log(row["std"]), values, 1 / math.sqrt(2 * max(row["n"] or 0, 1)))
    return f"sd {row['std']:.3g}, usually {math.exp(usual):.3g}", z, abs(math.log(row["std"]) - usual) >= 0.2


def _distinct_change(row: dict, past: list[dict]) -> tuple[str, float, bool] | None:
    values = _values(past, "distinct_share")
    if row["distinct_share"] is None or len(values) == 0:
        return None
    z, usual = _robust_z(row["distinct_share"], values, math.sqrt(0.25 / max(row["n"] or 0, 1)))
    evidence = f"{row['distinct_share']:.0%} of values distinct, usually {usual:.0%}"
    return evidence, z, abs(row["distinct_share"] - usual) >= 0.2


COLUMN_TESTS: tuple[Test, ...] = (_null_change, _mean_change, _spread_change, _distinct_change)


def _metric_change(row: dict, past: list[dict]) -> tuple[str, float, bool] | None:
    values = _values(past, "value")
    median = float(np.median(values))
    z, usual = _robust_z(row["value"], values, 0.01 * abs(median))
    return f"{row['name']} = {row['value']:.4g}, usually {usual:.4g}", z, abs(row["value"] - usual) >= 0.05 * abs(usual)


def _metrics(context: _Context) -> list[Suspect]:
    found = []
    rows = [row for row in context.rows("metric_values") if row["value"] is not None and math.isfinite(row["value"])]
    for (_, name), series in _series(rows, lambda r: (r["component"], r["name"])).items():
        for row in series.rows:
            run = context.traced.get(row["run_id"])
            change = _judged(row, series.baselines(row["start_time"], context.cutoff(run)), _metric_change) if run \
                else None
            if change is not None:
                found.append(context.suspect(row["run_id"], "metric", name, *change))
    return found


def _stale(context: _Context) -> list[Suspect]:
    """Dependencies read long after they were written, against how old the earlier versions of that component's
    outputs were when the same component read them (a weekly refit is read at 0 to 7 days old; 5 weeks means the
    refit was skipped). Earlier versions, not earlier reads: the reads since a refit stopped are as late as the
    ones in question. Static components never age."""
    static = {row["name"] for row in context.steps.dicts("static") if row["static"]}
    reads: dict[tuple, list[dict]] = defaultdict(list)
    for row in sorted(context.rows("history_reads"), key=lambda r: r["start_time"]):
        reads[(row["component"], row["source"])].append(
            {"written_at": row["written_at"], "age": (row["start_time"] - row["written_at"]).total_seconds() / 86_400})
    found = []
    for run_id, run in context.traced.items():
        for dependency, pointer in context.graph.links.get(run_id, []):
            source = context.traced.get(dependency)
            if source is None or source["component"] in static:
                continue
            earlier = [read for read in reads.get((run["component"], source["component"]), [])
                       if read["written_at"] < source["start_time"]][-READS_KEPT:]
            read = {"pointer": pointer, "reader": run["component"],
                    "age": (run["start_time"] - source["start_time"]).total_seconds() / 86_400}
            change = _judged(read, [earlier], _age_change) if len(earlier) >= MIN_HISTORY else None
            if change is not None:
                found.append(context.suspect(dependency, "stale", run["component"], *change))
    return found


def _age_change(read: dict, past: list[dict]) -> tuple[str, float, bool]:
    ages = _values(past, "age")
    z, usual = _robust_z(read["age"], ages, 1 / 24)
    evidence = (f"{read['reader']} read {read['pointer']} {_days(read['age'])} after it was written, usually "
                f"{_days(usual)}")
    return evidence, z, read["age"] >= 2 * max(usual, 1 / 24)


def _days(days: float) -> str:
    return f"{days:.0f} days" if days >= 2 else f"{days * 24:.0f} hours"


# -- ranking ------------------------------------------------------------------------------------------------------


def _collapsed(suspects: Iterable[Suspect], context: _Context) -> list[Suspect]:
    """One suspect per (component, kind, subject): its strongest run, with how many traced runs showed it."""
    groups: dict[tuple, list[Suspect]] = defaultdict(list)
    for suspect in suspects:
        groups[(suspect.component, suspect.kind, suspect.subject)].append(suspect)
    runs_of = defaultdict(int)
    for run in context.traced.values():
        runs_of[run["component"]] += 1
    best = []
    for (component, _, _), group in groups.items():
        strongest = max(group, key=lambda s: (s.score, -s.start_time.timestamp()))
        if len(group) > 1:
            strongest.evidence += f" (in {len(group)} of {runs_of[component]} traced runs)"
        strongest.depth = max(s.depth for s in group)
        best.append(strongest)
    return _echoes_discounted(best)


def _echoes_discounted(suspects: list[Suspect]) -> list[Suspect]:
    """A column change shown further upstream in the same column is that change's echo: it counts ECHO."""
    deepest: dict[str, int] = {}
    for suspect in suspects:
        if suspect.kind == "data":
            deepest[suspect.subject] = max(deepest.get(suspect.subject, -1), suspect.depth)
    for suspect in suspects:
        if suspect.kind == "data" and deepest[suspect.subject] > suspect.depth:
            suspect.score *= ECHO
            suspect.evidence += "; also changed upstream"
    return suspects


def _ranked_rows(suspects: list[Suspect]) -> list[tuple]:
    ordered = sorted(suspects, key=lambda s: (-round(s.score, 9), -s.depth, s.start_time, s.component, s.subject))
    return [(rank, s.component, s.run_id, s.start_time, s.kind, s.subject, s.evidence, round(s.score, 3))
            for rank, s in enumerate(ordered, start=1)]
