"""Forget and retain, end to end: find what goes, take the store's rewrite lock, plan, rewrite, write the audit.

`forget` serves a person's request to delete their data: a pointer's values and, with `forward`, those of every
pointer derived from it. `retain` keeps the store's size bounded: partitions older than a policy's ages go, oldest
and bulkiest data first (samples), summaries and lineage last. Both write one `redactions` row that says who asked,
what, and how many rows of which tables went, and never holds a removed value. A dry run plans the same removal and
writes nothing.
"""
from __future__ import annotations

import getpass
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from obsql.client.clock import micros
from obsql.engine.forget import forget_scope
from obsql.engine.session import Engine
from obsql.errors import ObsqlError
from obsql.openlineage.pending import PendingEvents
from obsql.storage import redact
from obsql.storage.ids import new_id
from obsql.storage.layout import MARKER, read_marker, write_atomically
from obsql.storage.rewrite import OnProgress, exclusive, finish_interrupted
from obsql.storage.store import ParquetStore


class Store(Protocol):
    """What a removal needs of a connected store (`obsql.Store`)."""

    path: Path
    engine: Engine
    files: ParquetStore

    def flush(self) -> None: ...


# What `retain` may age out, in the order it matters least to keep them; lineage (runs) is kept longest.
RETAINED = {
    "samples": ("samples",),
    "feedback": ("feedback",),
    "summaries": ("summaries",),
    "runs": ("runs", "io", "deps", "checks", "metrics", "summaries", "samples", "alerts"),
}
POLICY_KEY = "retention"  # in the store's settings (obsql.json)
_AGE = re.compile(r"(\d+)\s*(d|w|m|y)")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass
class Removal:
    """What a forget or a retention removed (or, in a dry run, would remove)."""

    action: str
    plan: redact.RemovalPlan
    dry_run: bool
    pointer: str = ""
    pointers: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()
    forward: bool = False
    runs_removed: bool = False
    policy: str = ""
    bytes_freed: int = 0
    waiting_runs: int = 0  # OpenLineage runs not yet ended (obsql serve keeps their events) that the removal reached

    @property
    def rows(self) -> dict[str, int]:
        return self.plan.rows_by_table()

    def describe(self) -> list[str]:
        """The removal in lines for people: what went (or would), table by table."""
        verb = "would remove" if self.dry_run else "removed"
        subject = f"retain {self.policy}"
        if self.action == "forget":
            derived = f" and {_count(len(self.pointers) - 1, 'pointer')} derived from it" if self.forward else ""
            subject = f"forget '{self.pointer}'{derived}"
        lines = [f"{subject}: {verb} {_count(sum(self.rows.values()), 'row')} in "
                 f"{_count(len(self.plan.changes), 'file')}"]
        lines += [f"  {table}: {_count(count, 'row')}" + (" (values blanked, edges kept)" if table == "io" and
                                                          not self.runs_removed else "")
                  for table, count in sorted(self.rows.items())]
        if self.runs and self.action == "forget":
            state = "removed" if self.runs_removed else "kept, marked as redacted"
            lines.append(f"  runs touched: {len(self.runs):,} ({state})")
        if self.waiting_runs:
            done = "dropped" if self.runs_removed or self.action == "retain" else "facets of the datasets removed"
            lines.append(f"  waiting OpenLineage runs: {self.waiting_runs:,} ({done})")
        freed = self.plan.bytes if self.dry_run else self.bytes_freed
        lines.append(f"  space: {freed:,} bytes {'in the files it would rewrite' if self.dry_run else 'freed'}")
        return lines


def forget(store: Store, pointer: str, *, forward: bool = False, runs: bool = False, dry_run: bool = False,
           requested_by: str | None = None, on_progress: OnProgress | None = None) -> Removal:
    """Remove `pointer`'s sampled rows, summaries, feedback and flags (and its value in io); with `forward`, those of
    every pointer derived from it; with `runs`, the runs that touched them too."""
    store.engine.refresh()  # this process's own rows flushed, and seen
    scope = forget_scope(store.engine, pointer, forward, remove_runs=runs)
    reached = scope.selection
    with exclusive(store.path, "forget"):
        finish_interrupted(store.path)
        plan = redact.plan_forget(store.path, reached)
        removal = Removal("forget", plan, dry_run, pointer, reached.pointers + reached.derived, scope.touched,
                          forward, runs)
        removal.waiting_runs = PendingEvents(store.path).forget_datasets(set(removal.pointers), runs, dry_run)
        if not dry_run:
            removal.bytes_freed = redact.apply(store.path, plan, reached, on_progress or _quiet)
            _audit(store, removal, requested_by)
    store.engine.refresh()
    return removal


def retain(store: Store, ages: dict[str, str], *, dry_run: bool = False, requested_by: str | None = None,
           today: date | None = None, on_progress: OnProgress | None = None) -> Removal:
    """Remove partitions older than each kind's age (`{"samples": "90d", "feedback": "1y", "runs": "2y"}`)."""
    cutoffs = retention_cutoffs(ages, today or datetime.now(timezone.utc).date())
    policy = " ".join(f"{kind}={ages[kind]}" for kind in RETAINED if ages.get(kind))
    store.flush()
    with exclusive(store.path, "retain"):
        finish_interrupted(store.path)
        plan = redact.plan_retention(store.path, cutoffs)
        removal = Removal("retain", plan, dry_run, policy=policy)
        if "runs" in cutoffs:
            removal.waiting_runs = PendingEvents(store.path).drop_older_than(_epoch(cutoffs["runs"]), dry_run)
        if not dry_run and plan.changes:
            removal.bytes_freed = redact.apply(store.path, plan, on_progress=on_progress or _quiet)
            _audit(store, removal, requested_by)
    store.engine.refresh()
    return removal


def _epoch(day: date) -> float:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp()


def saved_policy(root: Path) -> dict[str, str]:
    """The retention policy declared in the store's settings (`obsql retain ... --save`), which `obsql compact`
    applies after merging."""
    return dict(read_marker(root).get(POLICY_KEY) or {})


def save_policy(root: Path, ages: dict[str, str]) -> None:
    """Declare `ages` as the store's retention policy (checked first: a bad age is refused, nothing saved)."""
    retention_cutoffs(ages, date.today())
    info = {**read_marker(root), POLICY_KEY: {kind: ages[kind] for kind in RETAINED if ages.get(kind)}}
    write_atomically(root / MARKER, json.dumps(info, indent=2) + "\n")


def retention_cutoffs(ages: dict[str, str], today: date) -> dict[str, date]:
    """Per table, the first day kept: the latest cut-off wins where two kinds name a table (the shorter age)."""
    unknown = sorted(set(ages) - set(RETAINED))
    if unknown:
        raise ObsqlError("input", f"retain cannot age out {', '.join(unknown)}",
                         suggestion=f"name one of: {', '.join(RETAINED)}")
    cutoffs: dict[str, date] = {}
    for kind, age in ages.items():
        if age:
            cutoff = today - timedelta(days=parse_age(age))
            for table in RETAINED[kind]:
                cutoffs[table] = max(cutoffs.get(table, cutoff), cutoff)
    return cutoffs


def parse_age(text: str) -> int:
    """An age such as `90d`, `12w`, `6m` or `2y`, in days (a month is 30 days, a year 365)."""
    match = _AGE.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ObsqlError("input", f"not an age: {text!r}", suggestion="write it as a number and a unit: 90d, 12w, "
                                                                      "6m, 2y")
    return int(match.group(1)) * _DAYS[match.group(2)]


def _audit(store: Store, removal: Removal, requested_by: str | None) -> None:
    moment = datetime.now(timezone.utc)
    row = {"id": new_id(), "ts": micros(moment), "action": removal.action,
           "requested_by": requested_by or getpass.getuser(), "pointer": removal.pointer or None,
           "forward": removal.forward, "runs_removed": removal.runs_removed, "pointers": len(removal.pointers),
           "run_ids": list(removal.runs), "policy": removal.policy or None, "rows": json.dumps(removal.rows),
           "files": len(removal.plan.changes), "bytes_freed": removal.bytes_freed}
    store.files.writer.append([("redactions", (moment.date().isoformat(),), {k: [v] for k, v in row.items()})])
    store.flush()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _quiet(done: int, total: int, step: str) -> None:
    """Progress nobody watches."""
