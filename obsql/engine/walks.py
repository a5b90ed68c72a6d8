"""Walking the run graph: trace (upstream), trace forward (downstream), slice traces, rank runs and review.

Each walk runs its plan's SQL steps a level at a time: one lookup per level for the whole frontier, so the cost
follows the size of the answer, not of the store. Runs come back in the graph's own order: every dependency began
before the run that read it, which is what lets ranking fold reach sets in one pass by descending start time.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any, ContextManager

from obsql.compiler.lineage import BASELINE_SAMPLE
from obsql.compiler.plans import StepPlan
from obsql.errors import UnknownName, did_you_mean
from obsql.result import RANK_COLUMNS, SLICE_COLUMNS, TRACE_COLUMNS
from obsql.storage.reader import StoreReader

_PARAM = re.compile(r"\$(\w+)")
MAX_LISTED_OUTPUTS = 100  # of one run, in a trace's `outputs` column
MAX_POINTERS_COMPARED = 1_000_000  # an unknown pointer is compared with every pointer only on stores this small
STEM_CANDIDATES = 20_000  # pointers compared per stem: an empty pointer's stem spans the store (3.5 s at 10M runs)
BASELINE_PER_OUTPUT = 20  # baseline outputs a ranking draws per output it weighs, at least MIN_BASELINE
MIN_BASELINE = 2_000
MAX_RUNS_WITH_OUTPUTS = 10_000  # a trace forward past this lists no outputs: looking them up would cost more than
                                # the walk itself


@dataclass
class Tabular:
    """Rows built by a walk or a card, before pipes refine them, and notes for the reader."""

    columns: tuple[str, ...]
    rows: list[tuple]
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, columns: tuple[str, ...], records: list[dict]) -> "Tabular":
        """Rows of the records' values in `columns` order (None where a record lacks one)."""
        if len(columns) > 1:  # (one column's itemgetter gives the value, not a tuple)
            pick = itemgetter(*columns)  # a ranking's 20k records: a third of the time of a get per value
            try:
                return cls(columns, [pick(record) for record in records])
            except KeyError:  # a record lacks one
                pass
        return cls(columns, [tuple(map(record.get, columns)) for record in records])


class Steps:
    """Runs a plan's named SQL steps, binding only the parameters each one uses.

    Lookups by a list of ids test membership with `list_contains` (which prunes row groups); for long lists
    the step is rewritten as a semi-join, whose cost does not grow with list length times rows, bounded by the
    list's least and greatest value so row-group statistics still prune (run ids sort by time, so the runs of a
    time window are a narrow range of the index).
    """

    LONG_LIST = 1000

    def __init__(self, plan: StepPlan, reader: StoreReader, core: "UpstreamCore | None" = None) -> None:
        self.plan = plan
        self._reader = reader
        self.core = core

    def rows(self, name: str, **params: Any) -> list[tuple]:
        sql, bound = self._bind(name, params)
        return self._reader.execute(sql, bound).fetchall()

    def arrow(self, name: str, **params: Any):
        """A step's rows as an Arrow table (for steps whose rows feed a dataframe)."""
        return self._reader.fetch_arrow(*self._bind(name, params))

    def tabular(self, name: str, **params: Any) -> "Tabular":
        """A step's rows with the columns it names."""
        columns, rows = self._reader.fetch(*self._bind(name, params))
        return Tabular(tuple(columns), rows)

    def tabular_in_partitions(self, name: str, table: str, column: str, values: list[str],
                              **params: Any) -> "Tabular":
        """`tabular` with `table` read from only the partitions whose `column` is one of `values`."""
        with self._reader.partitions_only(table, column, values):
            return self.tabular(name, **params)

    def partition_dates(self, table: str) -> list[date]:
        """The days a table has partitions for (from the names of its live files: nothing is read)."""
        return [date.fromisoformat(day) for day in self._reader.partition_values(table, "date")]

    def kept(self, name: str, table: str, **params: Any) -> ContextManager[None]:
        """A step's rows held as `table` while the block runs, for the steps that read them again."""
        return self._reader.kept(table, *self._bind(name, params))

    def dicts(self, name: str, **params: Any) -> list[dict]:
        columns, rows = self._reader.fetch(*self._bind(name, params))
        return [dict(zip(columns, row)) for row in rows]

    def _bind(self, name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        sql = self.plan.steps[name]
        params = dict(params)
        for key, value in list(params.items()):
            if isinstance(value, list) and len(value) > self.LONG_LIST:
                sql = re.sub(rf"list_contains\(\${key}, ([\w.]+)\)",
                             rf"(\1 BETWEEN ${key}_least AND ${key}_greatest AND \1 IN (SELECT unnest(${key})))", sql)
                params[f"{key}_least"], params[f"{key}_greatest"] = min(value), max(value)
        available = {**self.plan.params, **params}
        return sql, {key: available[key] for key in dict.fromkeys(_PARAM.findall(sql))}


@dataclass
class UpstreamCore:
    """Every run that another run depends on, with its own dependencies and attributes, held in memory.

    At scale the leaves (one inference run per prediction) are nearly all runs, while the runs they depend on are
    few; with this core a trace needs SQL only for its root.
    """

    links: dict[str, list[tuple[str, str]]]
    runs: dict[str, dict]
    outputs: dict[str, tuple[list[str], int]] = field(default_factory=dict)  # run -> first outputs, how many


@dataclass
class Graph:
    """The part of the run graph a walk visited: edges by run, and each run's attributes."""

    links: dict[str, list[tuple[str, str]]]  # run -> [(neighbour run, pointer)]
    runs: dict[str, dict]


def _expand(steps: Steps, step: str, roots: list[str], max_depth: int | None,
            known: dict[str, dict] | None = None, known_links: dict[str, list[tuple[str, str]]] | None = None) -> Graph:
    """Breadth-first from `roots` through `step` lookups (rows of run, neighbour, pointer); each run expands once.

    Upstream, runs in the in-memory core, and runs whose dependencies are `known_links`, are expanded without SQL;
    with no core in memory (Spark's reader, or a core too large), the frontier's runs in the core are looked up in
    its small files first, and only the others in the whole index (a level past the first is nearly all core: on
    Spark at 10M runs a review's level took 1.4 s over the edges' file).
    """
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    core = steps.core
    known_links = known_links or {}
    known = dict(known or {})
    core_runs, core_links = (core.runs, core.links) if core is not None else ({}, {})
    seen = set(roots)
    frontier, depth = list(roots), 0
    while frontier and (max_depth is None or depth < max_depth):
        if step == "upstream":  # held dependencies need no lookup; the others' are looked up
            held = {r: known_links[r] if r in known_links else core_links.get(r, []) for r in frontier
                    if r in known_links or r in core_runs}
            elsewhere = [r for r in frontier if r not in held]
            if elsewhere and core is None:
                held |= _looked_up_in_core(steps, elsewhere, known)
                elsewhere = [r for r in elsewhere if r not in held]
            found = [(r, *link) for r, run_links in held.items() for link in run_links]
            found += steps.rows(step, frontier=elsewhere) if elsewhere else []
        elif core is None:
            found = steps.rows(step, frontier=frontier)
        else:  # downstream: a run outside the core has, by definition, no run depending on it
            inside = [r for r in frontier if r in core.runs]
            found = steps.rows(step, frontier=inside) if inside else []
        next_frontier = []
        for run_id, neighbour, pointer in found:
            links[run_id].append((neighbour, pointer))
            if neighbour not in seen:
                seen.add(neighbour)
                next_frontier.append(neighbour)
        frontier, depth = next_frontier, depth + 1
    return Graph(dict(links), _run_attributes(steps, list(seen), known))


def _looked_up_in_core(steps: Steps, frontier: list[str], known: dict[str, dict]) -> dict[str, list[tuple]]:
    """Of the frontier's runs in the core, their dependencies (dependency, pointer), from the core's files; their
    attributes go into `known`."""
    found: dict[str, list[tuple]] = {}
    for row in steps.dicts("upstream_in_core", frontier=frontier):
        child = row.pop("child_run_id")
        dependency, pointer = row.pop("run_id"), row.pop("pointer")
        known.setdefault(child, {"run_id": child, **row})
        found.setdefault(child, [])
        if dependency is not None:
            found[child].append((dependency, pointer))
    return found


def _run_attributes(steps: Steps, run_ids: list[str], known: dict[str, dict]) -> dict[str, dict]:
    """Each run's attributes: those already at hand, the core's, and the rest looked up."""
    core = steps.core.runs if steps.core is not None else {}
    attributes = {r: known.get(r) or core[r] for r in run_ids if r in known or r in core}
    missing = [r for r in run_ids if r not in attributes]
    if missing:
        attributes.update((row["run_id"], row) for row in steps.dicts("runs", ids=missing))
    return attributes


def _tree_rows(graph: Graph, roots: list[tuple[str, str | None]], max_depth: int | None,
               outputs: dict[str, list[str]]) -> list[tuple]:
    """Depth-first rows (in TRACE_COLUMNS order) from the roots, newest neighbours first; a run reached again is
    listed once more, marked repeated, and not expanded. Iterative, so long version chains do not recurse."""
    rows: list[tuple] = []
    expanded: set[str] = set()
    missing: dict = {}
    stack = [(run_id, 0, via, None) for run_id, via in reversed(roots)]
    while stack:
        run_id, depth, via, parent = stack.pop()
        a = graph.runs.get(run_id, missing)
        repeated = run_id in expanded
        rows.append((depth, a.get("component"), run_id, a.get("start_time"), a.get("end_time"), a.get("status"),
                     a.get("stale"), a.get("stale_reasons"), via, parent, repeated, outputs.get(run_id)))
        if repeated or (max_depth is not None and depth >= max_depth):
            continue
        expanded.add(run_id)
        neighbours = sorted(graph.links.get(run_id, ()), key=lambda link: _start_key(graph, link[0]))
        stack.extend((neighbour, depth + 1, pointer, run_id) for neighbour, pointer in neighbours)
    return rows


def _start_key(graph: Graph, run_id: str) -> tuple:
    start = graph.runs.get(run_id, {}).get("start_time")
    return (start is not None, start.timestamp() if start is not None else 0.0, run_id)


def trace(steps: Steps, pointer: str, depth: int | None) -> Tabular:
    """The runs that led to the newest version of `pointer`, from its producer upstream.

    The producer and its own dependencies are the walk's only lookups in the big tables; the core does the rest."""
    found = steps.dicts("producer", pointer=pointer)
    if not found:
        if steps.rows("exists_as_input", pointer=pointer)[0][0]:
            return Tabular(TRACE_COLUMNS, [])  # read by runs, written by none: nothing upstream
        raise unknown_pointer(steps, pointer)
    root = found[0]["run_id"]
    graph = _expand(steps, "upstream", [root], depth, known={root: found[0]})
    return _trace_table(steps, graph, [(root, pointer)], depth)


def _trace_table(steps: Steps, graph: Graph, roots: list[tuple[str, str]], depth: int | None) -> Tabular:
    outputs, notes = outputs_of_runs(steps, graph)
    return Tabular(TRACE_COLUMNS, _tree_rows(graph, roots, depth, outputs), notes)


def outputs_of_runs(steps: Steps, graph: Graph) -> tuple[dict[str, list[str]], list[str]]:
    """Every output of each run in a trace (as mltrace's trace shows them), not only the one it was reached
    through: sorted names, the first MAX_LISTED_OUTPUTS of a run that wrote more. The core's runs have theirs in
    memory; the others take one lookup (the index, or the partitions of their components and days); a trace of more
    than MAX_RUNS_WITH_OUTPUTS runs lists none (say so)."""
    if not graph.runs:
        return {}, []
    if len(graph.runs) > MAX_RUNS_WITH_OUTPUTS:
        return {}, [f"outputs are listed for traces of up to {MAX_RUNS_WITH_OUTPUTS:,} runs; this one has "
                    f"{len(graph.runs):,} (`inspect run '<id>'` lists a run's outputs)"]
    held = steps.core.outputs if steps.core is not None else {}
    found = [(run_id, names[:MAX_LISTED_OUTPUTS], total) for run_id in graph.runs if run_id in held
             for names, total in [held[run_id]]]
    elsewhere = {run_id: attributes for run_id, attributes in graph.runs.items() if run_id not in held}
    if elsewhere:
        looked_up = elsewhere.values()
        found += steps.rows("outputs_of", ids=list(elsewhere), limit=MAX_LISTED_OUTPUTS,
                            components=sorted({a["component"] for a in looked_up if a.get("component")}),
                            days=sorted({a["start_time"].date() for a in looked_up if a.get("start_time")}))
    outputs = {run_id: list(names) for run_id, names, _ in found}
    notes = [f"run {run_id} wrote {total:,} outputs; `outputs` lists the first {MAX_LISTED_OUTPUTS}"
             for run_id, _, total in found if total > MAX_LISTED_OUTPUTS]
    return outputs, notes


def unknown_pointer(steps: Steps, pointer: str) -> UnknownName:
    """The error for a pointer the store never saw, with the nearest one it has: a typo is most often near the end,
    so the pointers sharing all but its last few characters are asked first, then those sharing two thirds and
    half of it; all pointers only on a store small enough to compare them all quickly."""
    closest = next((found for stem in _stems(pointer) if (found := steps.rows(
        "nearest_by_stem", pointer=pointer, stem=stem, stem_end=stem + "\uffff", cap=STEM_CANDIDATES))), [])
    if not closest and steps.rows("pointers_produced")[0][0] <= MAX_POINTERS_COMPARED:
        closest = steps.rows("nearest", pointer=pointer)
    suggestion = did_you_mean(pointer, [name for (name,) in closest])
    return UnknownName(f"no pointer '{pointer}' in this store", suggestion=suggestion)


def _stems(pointer: str) -> list[str]:
    """Ever shorter beginnings of `pointer`, longest first."""
    lengths = (len(pointer) - 3, len(pointer) * 2 // 3, len(pointer) // 2)
    return list(dict.fromkeys(pointer[:max(n, 1)] for n in lengths))


# -- slices and ranking -------------------------------------------------------------------------------------------


def _reach(graph: Graph, producers: dict[str, int]) -> dict[str, int]:
    """For each run, a bit set of the outputs whose trace contains it (one bit per output, set at its producer)."""
    reach: dict[str, int] = defaultdict(int)
    for run_id, bits in producers.items():
        reach[run_id] |= bits
    order = sorted(graph.runs, key=lambda r: (graph.runs[r].get("start_time"), r), reverse=True)
    for run_id in order:
        for dependency, _ in graph.links.get(run_id, []):
            reach[dependency] |= reach[run_id]
    return reach


def coverage(graph: Graph, roots: list[str]) -> dict[str, float]:
    """For each run in the traces of `roots` (the roots included), the share of the roots whose trace holds it."""
    unique = list(dict.fromkeys(roots))
    reach = _reach(graph, {run_id: 1 << index for index, run_id in enumerate(unique)})
    return {run_id: bits.bit_count() / len(unique) for run_id, bits in reach.items() if bits}


@dataclass
class Outputs:
    """The outputs a ranking compares, one bit each: the slice's and the baseline's (which may overlap), laid out
    group by group (slice only, both, baseline only) with each producer's outputs of a group side by side."""

    producer_bits: dict[str, int]
    in_slice: int  # mask of the slice's bits
    in_baseline: int

    @classmethod
    def of(cls, slice_outputs: list[tuple[str, str]], baseline_outputs: list[tuple[str, str]]) -> "Outputs":
        """From (pointer, producing run) pairs; an output in both lists is one output."""
        chosen, baseline = dict.fromkeys(slice_outputs), dict.fromkeys(baseline_outputs)
        groups = ([run for output, run in chosen if (output, run) not in baseline],
                  [run for output, run in chosen if (output, run) in baseline],
                  [run for output, run in baseline if (output, run) not in chosen])
        bits: dict[str, int] = defaultdict(int)
        masks, offset = [], 0
        for group in groups:
            start = offset
            for run_id, count in Counter(group).items():
                bits[run_id] |= ((1 << count) - 1) << offset
                offset += count
            masks.append(((1 << (offset - start)) - 1) << start)
        return cls(dict(bits), masks[0] | masks[1], masks[1] | masks[2])


def upstream_graph(steps: Steps, roots: list[str]) -> Graph:
    """Every run upstream of `roots`, with the links between them."""
    return _expand(steps, "upstream", roots, None)


@dataclass
class Ranking:
    """The graph a ranking walked, and one record per run in the slice's traces, most over-represented first."""

    graph: Graph
    records: list[dict]
    producers: list[str]  # the runs that wrote the slice's outputs


@dataclass
class Known:
    """What lookups already brought about some runs: their attributes, and (for some) their dependencies."""

    runs: dict[str, dict] = field(default_factory=dict)
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def ranking(steps: Steps, slice_outputs: list[tuple[str, str]], baseline_outputs: list[tuple[str, str]],
            known: Known | None = None) -> Ranking:
    """How much more often each run appears in the traces of the slice than in those of the baseline (lift),
    scored by the hypergeometric test (see monitor.enrichment); each record carries the run's attributes too."""
    import numpy as np

    from obsql.monitor.enrichment import over_representation

    known = known or Known()
    outputs = Outputs.of(slice_outputs, baseline_outputs)
    graph = _expand(steps, "upstream", list(outputs.producer_bits), None, known.runs, known.links)
    reach = _reach(graph, outputs.producer_bits)
    found = [(run_id, bits) for run_id, bits in reach.items() if bits & outputs.in_slice]
    n, n_baseline = outputs.in_slice.bit_count(), outputs.in_baseline.bit_count()
    population = (outputs.in_slice | outputs.in_baseline).bit_count()

    def counted(mask: int | None) -> np.ndarray:
        return np.fromiter(((bits if mask is None else bits & mask).bit_count() for _, bits in found),
                           dtype=np.int64, count=len(found))

    k, k_baseline, k_all = counted(outputs.in_slice), counted(outputs.in_baseline), counted(None)
    scores = over_representation(k, k_all, n, population)
    coverage = k / n
    baseline_coverage = k_baseline / n_baseline if n_baseline else np.zeros(len(found))
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(baseline_coverage > 0, coverage / np.where(baseline_coverage > 0, baseline_coverage, 1), 0)
    run_ids = [run_id for run_id, _ in found]
    attributes = [graph.runs.get(run_id, {}) for run_id in run_ids]
    newest = np.fromiter((_negated_time(run) for run in attributes), dtype=np.float64, count=len(found))
    # most over-represented first; ties by lift, coverage, the newest run, then run id (np.lexsort's last key leads)
    order = np.lexsort((np.array(run_ids, dtype=object).astype(str), newest, -coverage, -lift, -scores))
    records = [{"run_id": run_ids[i], "outputs": int(k[i]), "coverage": float(coverage[i]),
                "baseline_coverage": float(baseline_coverage[i]) if n_baseline else None,
                "lift": float(lift[i]) if lift[i] else None, "score": float(scores[i]),
                "component": attributes[i].get("component"), "start_time": attributes[i].get("start_time"),
                "stale": attributes[i].get("stale"), "stale_reasons": attributes[i].get("stale_reasons")}
               for i in order.tolist()]
    return Ranking(graph, records, list(dict.fromkeys(run for _, run in slice_outputs)))


def rank_runs(steps: Steps, slice_outputs: list[tuple[str, str]], baseline_outputs: list[tuple[str, str]],
              known: Known | None = None) -> Tabular:
    """The runs in the slice's traces, most over-represented first, with their attributes."""
    if not slice_outputs:
        return Tabular(RANK_COLUMNS, [])
    records = ranking(steps, slice_outputs, baseline_outputs, known).records
    for position, record in enumerate(records, start=1):
        record["rank"] = position
    return Tabular.of(RANK_COLUMNS, records)


def _negated_time(attributes: dict) -> float:
    start = attributes.get("start_time")
    return -start.timestamp() if start is not None else 0.0


def rank_slice(steps: Steps, component: str) -> Tabular:
    """`trace outputs of ... | rank runs [against ...]`: the slice ranked against its baseline outputs (those
    meeting `against`, else every output of the component written over the slice's span)."""
    outputs = steps.arrow("outputs")  # columnar: a slice may hold many outputs, and only three columns are used
    chosen = list(zip(outputs["pointer"].to_pylist(), outputs["run_id"].to_pylist()))
    if "baseline_sample" not in steps.plan.steps:
        return rank_runs(steps, chosen, steps.rows("baseline"))
    import pyarrow.compute  # loaded by the first ranking, not by every command line

    span = pyarrow.compute.min_max(outputs["start_time"]).as_py()
    if span["min"] is None:
        return rank_runs(steps, chosen, [])
    known = Known()
    return rank_runs(steps, chosen, baseline_between(steps, [component], span["min"], span["max"], len(chosen),
                                                     known), known)


def baseline_between(steps: Steps, components: list[str], since: Any, until: Any, compared: int,
                     known: Known) -> list[tuple]:
    """(pointer, run) of a uniform sample of the components' outputs written between `since` and `until`: enough
    to weigh `compared` outputs against (BASELINE_PER_OUTPUT each, within bounds), drawn from the index's fixed
    sample when it holds that many there (adding what it says of their producers to `known`), else from the
    outputs themselves (then the span is short)."""
    size = min(BASELINE_SAMPLE, max(MIN_BASELINE, BASELINE_PER_OUTPUT * compared))
    span = {"components": components, "since": since, "until": until}
    sampled = steps.dicts("baseline_sample", size=size, **span)
    if len(sampled) < size:
        return steps.rows("baseline", **span)
    for row in sampled:
        known.links[row["run_id"]] = [(dep["run_id"], dep["pointer"]) for dep in row.pop("deps")]
        known.runs[row["run_id"]] = row
    return [(row["pointer"], row["run_id"]) for row in sampled]


def slice_traces(steps: Steps) -> Tabular:
    """One row per (output, run in its trace), the outputs oldest first (each engine returns them in its own
    order)."""
    outputs = sorted(steps.dicts("outputs"), key=_written_order)
    producing = list(dict.fromkeys(o["run_id"] for o in outputs))
    graph = _expand(steps, "upstream", producing, None)
    closures: dict[str, list[tuple[str, int]]] = {}
    rows = []
    for output in outputs:
        run_id = output["run_id"]
        if run_id not in closures:
            closures[run_id] = _closure(graph, run_id)
        for member, depth in closures[run_id]:
            attributes = graph.runs.get(member, {})
            rows.append({"pointer": output["pointer"], "value": output["value"], "depth": depth, "run_id": member,
                         "component": attributes.get("component"), "start_time": attributes.get("start_time"),
                         "stale": attributes.get("stale")})
    return Tabular.of(SLICE_COLUMNS, rows)


def _written_order(output: dict) -> tuple:
    start = output["start_time"]
    return (start is None, start.timestamp() if start is not None else 0.0, output["pointer"], output["run_id"])


def _closure(graph: Graph, root: str) -> list[tuple[str, int]]:
    """A run and everything upstream of it, each once, with its shortest depth; nearest first, then newest first
    as in a trace, whatever order the engine found the links in."""
    newest_first = sorted(upstream_depths(graph, [root]).items(), key=lambda m: _start_key(graph, m[0]), reverse=True)
    return sorted(newest_first, key=lambda member: member[1])


def upstream_depths(graph: Graph, roots: list[str]) -> dict[str, int]:
    """Every run upstream of `roots` (and the roots), with its shortest distance from them."""
    depths = {run_id: 0 for run_id in roots}
    frontier = list(roots)
    while frontier:
        next_frontier = []
        for run_id in frontier:
            for dependency, _ in graph.links.get(run_id, []):
                if dependency not in depths:
                    depths[dependency] = depths[run_id] + 1
                    next_frontier.append(dependency)
        frontier = next_frontier
    return depths


def review(steps: Steps) -> Tabular:
    """The runs most over-represented in the traces of the flagged outputs, against every output of the same
    components over the time the flagged ones were written."""
    flagged = [pointer for (pointer,) in steps.rows("flagged")]
    written = steps.dicts("latest_producers", pointers=flagged) if flagged else []  # with their attributes
    if not written:
        return Tabular(RANK_COLUMNS, [])
    known = Known(runs={row["run_id"]: row for row in written})
    starts = [run["start_time"] for run in written if run["start_time"] is not None]
    baseline = baseline_between(steps, sorted({run["component"] for run in written}), min(starts), max(starts),
                                len(written), known) if starts else []
    return rank_runs(steps, [(row["pointer"], row["run_id"]) for row in written], baseline, known)
