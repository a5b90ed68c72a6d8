"""The events of one runId become one run: a pure function over a list of events, so a file's import and the
server's requests (START and COMPLETE arriving apart) share it.

- The run starts at its START's eventTime (the earliest event's when there is no START), or at the nominalTime
  facet's nominalStartTime when one is given; it ends at its terminal event's eventTime (COMPLETE, FAIL or ABORT;
  the latest when there are several). FAIL and ABORT make a failed run.
- RUNNING and OTHER events add facets and datasets; for a facet given twice, the later event's wins.
- A run with no terminal event has not finished: it is returned apart as pending (an import skips it with a
  warning; the server keeps it until its COMPLETE arrives).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

from obsql.errors import ObsqlError
from obsql.openlineage.events import TERMINAL, Dataset, RunEvent, parse_time
from obsql.openlineage.naming import obsql_name


@dataclass
class LineageRun:
    """A finished run put together from its events."""

    run_id: str  # the runId (a UUID)
    namespace: str
    job: str
    start: datetime
    end: datetime
    event_type: str  # of the terminal event: COMPLETE, FAIL or ABORT
    run_facets: dict[str, dict] = field(default_factory=dict)
    job_facets: dict[str, dict] = field(default_factory=dict)
    inputs: dict[str, Dataset] = field(default_factory=dict)  # by pointer name
    outputs: dict[str, Dataset] = field(default_factory=dict)

    @property
    def component(self) -> str:
        return obsql_name(self.namespace, self.job)


@dataclass(frozen=True)
class Paired:
    """What a list of events makes: finished runs, and the events of runs that have not finished yet."""

    runs: list[LineageRun]
    pending: list[RunEvent]


def pair_events(events: Sequence[RunEvent]) -> Paired:
    """Merge the events of each runId (in eventTime order) into one run; see the module docstring for the rules."""
    by_run: dict[str, list[RunEvent]] = {}
    for event in events:
        by_run.setdefault(event.run_id, []).append(event)
    runs, pending = [], []
    for run_events in by_run.values():
        ordered = sorted(run_events, key=lambda e: e.event_time)
        _same_job(ordered)
        terminal = [e for e in ordered if e.event_type in TERMINAL]
        if terminal:
            runs.append(_merged(ordered, terminal[-1]))
        else:
            pending.extend(ordered)
    return Paired(runs, pending)


def _same_job(events: list[RunEvent]) -> None:
    first = events[0]
    for event in events[1:]:
        if (event.namespace, event.job) != (first.namespace, first.job):
            raise ObsqlError("input", f"job.name: run {first.run_id} is of job {first.namespace}/{first.job} (line "
                                      f"{first.line}) and of job {event.namespace}/{event.job}: a runId is one job's",
                             line=event.line)


def _merged(events: list[RunEvent], terminal: RunEvent) -> LineageRun:
    starts = [e for e in events if e.event_type == "START"] or events
    run = LineageRun(terminal.run_id, terminal.namespace, terminal.job, starts[0].event_time, terminal.event_time,
                     terminal.event_type)
    for event in events:
        run.run_facets.update(event.run_facets)
        run.job_facets.update(event.job_facets)
        _add_datasets(run.inputs, event.inputs)
        _add_datasets(run.outputs, event.outputs)
    nominal = run.run_facets.get("nominalTime", {}).get("nominalStartTime")
    if nominal:
        run.start = parse_time(nominal)
    return run


def _add_datasets(kept: dict[str, Dataset], datasets: Iterable[Dataset]) -> None:
    """Add datasets by pointer name; one named again keeps its facets, with the later event's added over them."""
    for dataset in datasets:
        name = obsql_name(dataset.namespace, dataset.name)
        known = kept.get(name)
        kept[name] = dataset if known is None else Dataset(dataset.namespace, dataset.name,
                                                           {**known.facets, **dataset.facets})
