"""`diagnose`: rank the upstream runs that most likely explain a component's outputs in a time range.

Every run in the traces of those outputs is compared with the earlier runs of its own component (its history: up
to HISTORY_RUNS runs that began before the time range, or before the run if it is older), using only what obsql
logs by itself, so a pipeline whose user wrote no checks still gets an answer. Each kind of evidence becomes a
score on one scale, a robust z-score (how many standard deviations from what the component usually does),
capped at Z_CAP so that one enormous number does not hide the others:

- `data`: a logged column's share of missing values, mean, spread or share of distinct values moved (robust z
  against the history, and an effect-size floor so a significant wobble on large frames is not a suspect); the
  mean and the spread must move in the middle half of the values too (midmean, interquartile range) where the
  column has one, so that a few sentinel or outlying values are not a change of the data;
- `metric`: a logged metric moved (robust z, and at least a 5% change; a count, a metric whose values are whole
  numbers, at least halves or doubles: volume follows the calendar, and rarely explains bad outputs by itself);
- `stale`: a dependency read long after it ran, against its component's cadence (a run's age when read is uniform
  between 0 and the cadence while the component keeps its schedule: a refit skipped for weeks scores high);
- `check`: a check failed (scored by how rarely it failed before);
- `code`: the source hash or git commit differs from the component's previous run;
- `lineage` (with a `where` slice only): the run is over-represented in the slice's traces, by a lift of at
  least 1.5 (the p-value of `| rank runs` read as a z-score);
- `concept`: the diagnosed component itself, when metrics moved and nothing upstream moved beneath them (the
  relationship between the inputs and the outcomes changed: the model is out of date), or, at Z_MIN, as the
  explanation left when nothing else is as strong.

A value is judged against the baseline it looks least unusual against: the last runs, the seasonal peers (same
hour, same weekday and hour) and, for levels (means, metrics), the last runs' robust linear trend carried forward,
so a slow seasonal rise is not an anomaly. A change the component already showed in its history (a run at least
half as unusual, in the same direction) counts RECURRENT: it is something the component does now and then.

The user's range is when the outputs were bad, so the outputs of an as long range, one range before it, are taken
for good ones: what is wrong with a run that was already in their traces explains less, in proportion to how much
of its presence is old (a run upstream of all the bad outputs and of all the good ones explains nothing); a
dependency read late is the exception, since the late reads are the new thing. A change in a column that an
upstream suspect showed in the same column, in a run upstream of it, is the upstream one's echo and counts ECHO.
Suspects are collapsed per (component, kind, subject), keeping the strongest run. Ties go to the most upstream
suspect: faults flow downstream.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from statistics import median
from typing import Any, Callable, Iterable, NamedTuple

import numpy as np

from obsql.engine.walks import Graph, Steps, Tabular, coverage, ranking, upstream_depths, upstream_graph
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
IQR_SD = 1.349  # interquartile range to standard deviation, for normal data
CODE_SCORE = 6.0  # a code change: always worth a look, below a measured anomaly at its cap
LINEAGE_LIFT = 1.5  # over-representation smaller than this is not a suspect, however significant
ECHO = 0.5  # weight of a column change an upstream run shows in the same column
RECURRENT = 0.5  # weight of a change the component already showed in its history
COUNT_RATIO = 2.0  # a count must at least halve or double to be a suspect
TRENDED = ("mean", "midmean", "value")  # the levels a trend baseline carries forward


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


class Verdict(NamedTuple):
    """How a value compares with a baseline: in words, as a robust z, whether the move is large enough to matter,
    and its direction (the signed move, in the test's own units)."""

    evidence: str
    z: float
    large: bool
    shift: float


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
    context = _Context(steps, graph, producers, args)
    if ranked is not None:
        suspects += _lineage(context, ranked.records)
    for gather in (_checks, _code, _data, _metrics, _stale):
        suspects += gather(context)
    suspects = [s for s in suspects if s.score > 0]
    suspects, concept = _concept(suspects, context)
    return Tabular(DIAGNOSE_COLUMNS, _ranked_rows(_collapsed(_echoes_discounted(suspects, context), context) + [concept]))


class _Context:
    """The traced runs, their components' histories, what was already upstream of the good outputs, and the
    evidence steps bound to them."""

    def __init__(self, steps: Steps, graph: Graph, producers: list[str], args: dict[str, Any]) -> None:
        self.steps, self.graph, self.producers, self.since = steps, graph, producers, args["since"]
        self.component, self.before = args["component"], args["before"]
        self.depths = upstream_depths(graph, producers)
        self.traced = {run_id: graph.runs[run_id] for run_id in self.depths if run_id in graph.runs}
        self.components = sorted({run["component"] for run in self.traced.values()})
        self.already = self._already_upstream() if self.before else {}
        self._ancestors: dict[str, set[str]] = {}
        earliest = min(run["start_time"] for run in self.traced.values())
        self.bounds = {"components": self.components,
                       "history_since": earliest - timedelta(days=HISTORY_DAYS), "until": args["until"]}

    def _already_upstream(self) -> dict[str, float]:
        """Of each traced run, how much of its presence in the bad outputs' traces is old: its share of the good
        outputs' traces over its share of the bad ones' (at most 1)."""
        earlier = list(dict.fromkeys(run for _, run in self.steps.rows("earlier_outputs")))
        if not earlier:
            return {}
        before = coverage(upstream_graph(self.steps, earlier), earlier)
        now = coverage(self.graph, self.producers)
        return {run_id: min(1.0, before[run_id] / now[run_id]) for run_id in self.traced
                if before.get(run_id) and now.get(run_id)}

    def rows(self, step: str) -> list[dict]:
        return self.steps.dicts(step, **self.bounds)

    def cutoff(self, run: dict) -> datetime:
        """Where a run's history ends: the start of the time range, or the run's own start if earlier."""
        return run["start_time"] if self.since is None else min(run["start_time"], self.since)

    def ancestors(self, run_id: str) -> set[str]:
        """The run and every run upstream of it."""
        if run_id not in self._ancestors:
            self._ancestors[run_id] = set(upstream_depths(self.graph, [run_id]))
        return self._ancestors[run_id]

    def suspect(self, run_id: str, kind: str, subject: str, evidence: str, score: float) -> Suspect:
        """A suspect, weighed down by how much of its run's presence upstream of the outputs is old."""
        run = self.traced[run_id]
        old = self.already.get(run_id, 0.0)
        if kind != "stale" and old > 0:
            score *= 1 - old
            low, high = self.before
            evidence += (f"; it was upstream of the outputs of {low:%Y-%m-%d} to {high:%Y-%m-%d} too "
                         f"({old:.0%} as often)")
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

    def earlier(self, cutoff: datetime) -> list[dict]:
        return self.rows[:bisect_left(self.times, cutoff)]

    def baselines(self, start: datetime, cutoff: datetime) -> list[list[dict]]:
        """The runs to compare a run that began at `start` with; none when the history is too short."""
        end = bisect_left(self.times, cutoff)
        if end < MIN_HISTORY:
            return []
        chosen = [self.rows[max(0, end - HISTORY_RUNS):end]]
        for key in (("hour", start.hour), ("weekday", start.weekday(), start.hour)):
            indices = self.peers[key]
            earlier = indices[:bisect_left(indices, end)][-HISTORY_RUNS:]
            if len(earlier) >= MIN_PEERS:
                chosen.append([self.rows[i] for i in earlier])
        return chosen

    def trend(self, start: datetime, cutoff: datetime) -> list[dict]:
        """The last runs before the cutoff with their levels carried forward to `start` along their robust
        (Theil-Sen) linear trend: what the component would show now if it kept changing as it has."""
        last = self.rows[max(0, bisect_left(self.times, cutoff) - HISTORY_RUNS):bisect_left(self.times, cutoff)]
        days = np.array([(row["start_time"] - start).total_seconds() / 86_400 for row in last])
        carried = [dict(row) for row in last]
        for field in TRENDED:
            known = [i for i, row in enumerate(last) if row.get(field) is not None]
            if len(known) < MIN_HISTORY:
                continue
            slope = _theil_sen_slope(days[known], np.array([last[i][field] for i in known], dtype=np.float64))
            for i in known:
                carried[i][field] = last[i][field] - slope * days[i]
        return carried


def _theil_sen_slope(x: np.ndarray, y: np.ndarray) -> float:
    """The median of the slopes between every two points: a trend that a few outliers do not bend."""
    i, j = np.triu_indices(len(x), 1)
    run = x[j] - x[i]
    keep = run != 0
    return float(np.median((y[j] - y[i])[keep] / run[keep])) if keep.any() else 0.0


def _series(rows: list[dict], key: Callable[[dict], tuple]) -> dict[tuple, _Series]:
    """Rows grouped by `key` into series."""
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["start_time"], r["run_id"])):
        grouped[key(row)].append(row)
    return {name: _Series(group) for name, group in grouped.items()}


Test = Callable[[dict, list[dict]], "Verdict | None"]


def _least_unusual(row: dict, baselines: list[list[dict]], test: Test) -> Verdict | None:
    """The verdict against the baseline the value looks least unusual against, if it is alarming against all."""
    verdicts = [verdict for verdict in (test(row, past) for past in baselines) if verdict is not None]
    if len(verdicts) < len(baselines) or not verdicts:
        return None
    least = min(verdicts, key=lambda verdict: verdict.z)
    return least if _alarming(least) else None


def _judged(row: dict, series: _Series, cutoff: datetime, test: Test, *, trended: bool = False) \
        -> tuple[str, float] | None:
    """A change of a run of the series, as (evidence, score), or None; `trended`: its trend is a baseline too."""
    baselines = series.baselines(row["start_time"], cutoff)
    if trended and _least_unusual(row, baselines, test) is not None:
        baselines = baselines + [series.trend(row["start_time"], cutoff)]
    least = _least_unusual(row, baselines, test)
    if least is None:
        return None
    evidence, score = least.evidence, min(Z_CAP, least.z)
    seen = _seen_before(least, series.earlier(cutoff), baselines[0], test)
    if seen is not None:
        evidence += f"; about as unusual on {seen:%Y-%m-%d}"
        score *= RECURRENT
    return evidence, score


def _alarming(verdict: Verdict) -> bool:
    return verdict.large and verdict.z >= Z_MIN


def _seen_before(verdict: Verdict, history: list[dict], past: list[dict], test: Test) -> datetime | None:
    """The latest earlier run that moved the same way, at least half as unusually, against the same baseline."""
    for row in reversed(history):
        earlier = test(row, past)
        if earlier is not None and earlier.z >= verdict.z / 2 and earlier.shift * verdict.shift > 0:
            return row["start_time"]
    return None


def _robust_z(value: float, past: list[float], floor: float) -> tuple[float, float]:
    """How unusual `value` is among `past`: (|value - median| / max(robust sd, floor), median)."""
    middle = median(past)
    spread = max(ROBUST * median([abs(p - middle) for p in past]), floor, 1e-12)
    return abs(value - middle) / spread, middle


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
            if run is None:
                continue
            cutoff = context.cutoff(run)
            changes = [change for change in (_judged(row, series, cutoff, test, trended=test is _mean_change)
                                             for test in COLUMN_TESTS) if change]
            if changes:
                found.append(context.suspect(row["run_id"], "data", column, *max(changes, key=lambda c: c[1])))
    return found


def _values(past: list[dict], field: str) -> list[float]:
    return [p[field] for p in past if p[field] is not None]


def _null_change(row: dict, past: list[dict]) -> Verdict | None:
    values, n = _values(past, "null_frac"), max(row["n"] or 0, 1)
    if row["null_frac"] is None or not values:
        return None
    usual = median(values)
    z, usual = _robust_z(row["null_frac"], values, math.sqrt(max(usual, 0.5 / n) * (1 - min(usual, 0.5)) / n))
    effect = 2 * math.asin(math.sqrt(row["null_frac"])) - 2 * math.asin(math.sqrt(usual))
    return Verdict(f"{row['null_frac']:.1%} missing, usually {usual:.1%}", z, abs(effect) >= 0.2, effect)


def _mean_change(row: dict, past: list[dict]) -> Verdict | None:
    """The mean moved, and so did the midmean where the column has one (a few extreme values move the mean
    alone)."""
    values, spreads = _values(past, "mean"), _values(past, "std")
    if row["mean"] is None or not values or not spreads or not median(spreads) > 0:
        return None
    sd, n = median(spreads), max(row["n"] or 0, 1)
    z, usual = _robust_z(row["mean"], values, sd / math.sqrt(n))
    verdict = Verdict(f"mean {row['mean']:.4g}, usually {usual:.4g} (sd {sd:.3g})", z,
                      abs(row["mean"] - usual) >= 0.2 * sd, row["mean"] - usual)
    middle, quartiles = _values(past, "midmean"), _values(past, "iqr")
    if row["midmean"] is None or not middle or not quartiles or not median(quartiles) > 0:
        return verdict
    sd_middle = median(quartiles) / IQR_SD
    z_middle, usual_middle = _robust_z(row["midmean"], middle, sd_middle / math.sqrt(n))
    large = verdict.large and abs(row["midmean"] - usual_middle) >= 0.2 * sd_middle
    return verdict._replace(z=min(z, z_middle), large=large)


def _log_spread(value: float | None, usual: float) -> float | None:
    """log of a spread, a spread of zero (a column gone constant) as a thousandth of the usual one."""
    return None if value is None else math.log(max(value, 1e-3 * usual))


def _spread_move(row: dict, past: list[dict], field: str, n: int) -> tuple[float, float, float] | None:
    """(z, usual spread, signed move in log units) of a spread field, or None without a positive usual spread."""
    values = _values(past, field)
    usual = median(values) if values else 0.0
    if row[field] is None or not usual > 0:
        return None
    logs = [_log_spread(v, usual) for v in values]
    z, middle = _robust_z(_log_spread(row[field], usual), logs, 1 / math.sqrt(2 * n))
    return z, math.exp(middle), _log_spread(row[field], usual) - middle


def _spread_change(row: dict, past: list[dict]) -> Verdict | None:
    """The spread moved, and so did the interquartile range where the column has one."""
    n = max(row["n"] or 0, 1)
    moved = _spread_move(row, past, "std", n)
    if moved is None:
        return None
    z, usual, shift = moved
    verdict = Verdict(f"sd {row['std']:.3g}, usually {usual:.3g}", z, abs(shift) >= 0.2, shift)
    middle = _spread_move(row, past, "iqr", n)
    if middle is None:
        return verdict
    return verdict._replace(z=min(z, middle[0]), large=verdict.large and abs(middle[2]) >= 0.2)


def _distinct_change(row: dict, past: list[dict]) -> Verdict | None:
    values = _values(past, "distinct_share")
    if row["distinct_share"] is None or not values:
        return None
    z, usual = _robust_z(row["distinct_share"], values, math.sqrt(0.25 / max(row["n"] or 0, 1)))
    evidence = f"{row['distinct_share']:.0%} of values distinct, usually {usual:.0%}"
    shift = row["distinct_share"] - usual
    return Verdict(evidence, z, abs(shift) >= 0.2, shift)


COLUMN_TESTS: tuple[Test, ...] = (_null_change, _mean_change, _spread_change, _distinct_change)


def _metric_change(row: dict, past: list[dict]) -> Verdict | None:
    values = _values(past, "value")
    z, usual = _robust_z(row["value"], values, 0.01 * abs(median(values)))
    shift = row["value"] - usual
    if all(float(v).is_integer() and v >= 0 for v in [*values, row["value"]]):  # a count
        large = max(row["value"], usual) >= COUNT_RATIO * max(min(row["value"], usual), 1)
    else:
        large = abs(shift) >= 0.05 * abs(usual)
    return Verdict(f"{row['name']} = {row['value']:.4g}, usually {usual:.4g}", z, large, shift)


def _metrics(context: _Context) -> list[Suspect]:
    found = []
    rows = [row for row in context.rows("metric_values") if row["value"] is not None and math.isfinite(row["value"])]
    for (_, name), series in _series(rows, lambda r: (r["component"], r["name"])).items():
        for row in series.rows:
            run = context.traced.get(row["run_id"])
            change = _judged(row, series, context.cutoff(run), _metric_change, trended=True) if run else None
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
            change = _least_unusual(read, [earlier], _age_change) if len(earlier) >= MIN_HISTORY else None
            if change is not None:
                found.append(context.suspect(dependency, "stale", run["component"], change.evidence,
                                             min(Z_CAP, change.z)))
    return found


def _age_change(read: dict, past: list[dict]) -> Verdict:
    ages = _values(past, "age")
    z, usual = _robust_z(read["age"], ages, 1 / 24)
    evidence = (f"{read['reader']} read {read['pointer']} {_days(read['age'])} after it was written, usually "
                f"{_days(usual)}")
    return Verdict(evidence, z, read["age"] >= 2 * max(usual, 1 / 24), read["age"] - usual)


def _days(days: float) -> str:
    return f"{days:.0f} days" if days >= 2 else f"{days * 24:.0f} hours"


# -- concept drift, and ranking -----------------------------------------------------------------------------------


def _concept(suspects: list[Suspect], context: _Context) -> tuple[list[Suspect], Suspect]:
    """The metric moves that nothing upstream of their run explains (no data, stale, check, code or lineage
    suspect of at least Z_MIN in it or above it), folded into one `concept` suspect of the diagnosed component:
    the outcomes changed while the inputs did not. With none, the same suspect at Z_MIN: what is left when
    nothing else is as strong."""
    causes = {s.run_id for s in suspects if s.kind != "metric" and s.score >= Z_MIN}
    unexplained = [s for s in suspects if s.kind == "metric" and not causes & context.ancestors(s.run_id)]
    latest = max(context.producers, key=lambda r: (context.traced[r]["start_time"], r))
    run = context.traced[latest]
    if unexplained:
        strongest = sorted(unexplained, key=lambda s: -s.score)
        moved = "; ".join(f"{s.component} {s.evidence}" for s in _one_per_subject(strongest)[:3])
        evidence = (f"metrics moved with no change upstream to explain them ({moved}): the relationship between "
                    "the inputs and the outcomes changed; retrain on recent outcomes")
        score = max(Z_MIN, strongest[0].score)
    else:
        evidence = ("no logged change upstream is as strong: if the outputs are wrong, the relationship between "
                    "the inputs and the outcomes may have changed, or the cause is outside what obsql logs")
        score = Z_MIN
    concept = Suspect(run["component"], latest, run["start_time"], "concept", "", evidence, score, 0)
    folded = {id(s) for s in unexplained}
    return [s for s in suspects if id(s) not in folded], concept


def _one_per_subject(suspects: list[Suspect]) -> list[Suspect]:
    return list({(s.component, s.subject): s for s in reversed(suspects)}.values())[::-1]


def _collapsed(suspects: Iterable[Suspect], context: _Context) -> list[Suspect]:
    """One suspect per (component, kind, subject): its strongest run, with how many traced runs showed it."""
    groups: dict[tuple, list[Suspect]] = defaultdict(list)
    for suspect in suspects:
        groups[(suspect.component, suspect.kind, suspect.subject)].append(suspect)
    runs_of: dict[str, int] = defaultdict(int)
    for run in context.traced.values():
        runs_of[run["component"]] += 1
    best = []
    for (component, _, _), group in groups.items():
        strongest = replace(max(group, key=lambda s: (s.score, -s.start_time.timestamp())))
        runs = len({s.run_id for s in group})
        if runs > 1:
            strongest.evidence += f" (in {runs} of {runs_of[component]} traced runs)"
        strongest.depth = max(s.depth for s in group)
        best.append(strongest)
    return best


def _echoes_discounted(suspects: list[Suspect], context: _Context) -> list[Suspect]:
    """A column change in a run downstream of a stronger cause is that cause's echo, and counts ECHO: of a change
    in the same column that an upstream run showed, strongly enough to be a suspect itself, or of a dependency
    read late (a run that used stale parameters shows their effect in its data)."""
    stale = {s.run_id for s in suspects if s.kind == "stale" and s.score >= Z_MIN}
    sources: dict[str, set[str]] = defaultdict(set)
    for suspect in suspects:
        if suspect.kind == "data" and suspect.score >= Z_MIN:
            sources[suspect.subject].add(suspect.run_id)
    for suspect in suspects:
        if suspect.kind != "data":
            continue
        upstream = context.ancestors(suspect.run_id) - {suspect.run_id}
        if upstream & sources[suspect.subject]:
            suspect.score *= ECHO
            suspect.evidence += "; also changed upstream"
        elif upstream & stale:
            suspect.score *= ECHO
            suspect.evidence += "; a dependency upstream of it was read late"
    return suspects


def _ranked_rows(suspects: list[Suspect]) -> list[tuple]:
    ordered = sorted(suspects, key=lambda s: (-round(s.score, 9), -s.depth, s.start_time, s.component, s.subject))
    return [(rank, s.component, s.run_id, s.start_time, s.kind, s.subject, s.evidence, round(s.score, 3))
            for rank, s in enumerate(ordered, start=1)]
