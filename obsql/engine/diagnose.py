"""`diagnose`: rank the upstream runs that most likely explain a component's outputs in a time range.

Every run in the traces of those outputs is compared with the earlier runs of its own component (its history: the
runs that began before the time range, or before the run if it is older; `obsql.monitor.anomalies` judges how
unusual each value is against it, and documents the baselines), using only what obsql
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

The user's range is when the outputs were bad, so the outputs of an as long range, one range before it, are taken
for good ones: what is wrong with a run that was already in their traces explains less, in proportion to how much
of its presence is old (a run upstream of all the bad outputs and of all the good ones explains nothing); a
dependency read late is the exception, since the late reads are the new thing. A change in a column that a run
upstream of it showed in the same column, or in a run downstream of a dependency read late, is that cause's echo
and counts ECHO.
Suspects are collapsed per (component, kind, subject), keeping the strongest run. Ties go to the most upstream
suspect: faults flow downstream.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from obsql.engine.walks import Graph, Steps, Tabular, coverage, ranking, upstream_depths, upstream_graph
from obsql.monitor.anomalies import (COLUMN_TESTS, MIN_HISTORY, Z_CAP, Z_MIN, age_change, judged, least_unusual,
                                     metric_change, series_by)
from obsql.result import DIAGNOSE_COLUMNS

HISTORY_DAYS = 120  # how far before the earliest traced run the history is read
READS_KEPT = 300  # of a pair of components, the latest reads of earlier versions that show the usual age
CHECK_SCORE = 20.0  # a check failing for the first time: the user said this must not happen
CODE_SCORE = 6.0  # a code change: always worth a look, below a measured anomaly at its cap
LINEAGE_LIFT = 1.5  # over-representation smaller than this is not a suspect, however significant
ECHO = 0.5  # weight of a column change an upstream run shows in the same column


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
    context = _Context(steps, graph, producers, args)
    if ranked is not None:
        suspects += _lineage(context, ranked.records)
    for gather in (_checks, _code, _data, _metrics, _stale):
        suspects += gather(context)
    suspects = [s for s in suspects if s.score > 0]
    suspects, concept = _concept(suspects, context)
    suspects = _collapsed(_echoes_discounted(suspects, context), context)
    return Tabular(DIAGNOSE_COLUMNS, _ranked_rows(suspects + [concept]))


class _Context:
    """The traced runs, their components' histories, what was already upstream of the good outputs, and the
    evidence steps bound to them."""

    def __init__(self, steps: Steps, graph: Graph, producers: list[str], args: dict[str, Any]) -> None:
        self.steps, self.graph, self.producers, self.since = steps, graph, producers, args["since"]
        self.before = args["before"]
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
    for series in series_by(context.rows("component_runs"), lambda r: (r["component"],)).values():
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
    for (_, column), series in series_by(rows, lambda r: (r["component"], r["column_name"])).items():
        for row in series.rows:
            run = context.traced.get(row["run_id"])
            if run is None:
                continue
            cutoff = context.cutoff(run)
            changes = [change for change in (judged(row, series, cutoff, test) for test in COLUMN_TESTS) if change]
            if changes:
                found.append(context.suspect(row["run_id"], "data", column, *max(changes, key=lambda c: c[1])))
    return found


def _metrics(context: _Context) -> list[Suspect]:
    found = []
    rows = [row for row in context.rows("metric_values") if row["value"] is not None and math.isfinite(row["value"])]
    for (_, name), series in series_by(rows, lambda r: (r["component"], r["name"])).items():
        for row in series.rows:
            run = context.traced.get(row["run_id"])
            change = judged(row, series, context.cutoff(run), metric_change) if run else None
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
            change = least_unusual(read, [earlier], age_change) if len(earlier) >= MIN_HISTORY else None
            if change is not None:
                found.append(context.suspect(dependency, "stale", run["component"], change.evidence,
                                             min(Z_CAP, change.z)))
    return found


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
