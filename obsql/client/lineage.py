"""Dependencies and staleness, worked out when a run is logged.

A run depends on the latest run that wrote each of its inputs before it started: the producer's end is at or
before the consumer's start, and (start, run id) orders the two strictly, so the run graph always points back in time
and a pointer that is read and rewritten (a model updated in place) versions instead of looping.

A dependency is stale when it was produced more than `staleness_days` before the run, or when its component has
fresher runs that began before this run and that this run did not also read (a run reading a week of daily files is
not stale for the six older days). The reasons read as mltrace's did: "clean (run X) was run 45 days ago",
"clean (run X) has 2 fresher runs".

What other processes wrote is read from the store on first need and re-read (only the files that appeared since)
after `refresh_seconds`; what this process wrote is known at once.
"""
from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from obsql.storage.files import parquet_files, set_aside_files
from obsql.storage.reader import read_parquet_sql, retry_without_corrupt_files
from obsql.storage.schemas import TABLES

MICROS_PER_DAY = 86_400_000_000


class Production(NamedTuple):
    """A run that wrote a pointer. Times are UTC microseconds."""

    end: int
    start: int
    run_id: str
    component: str


@dataclass
class Dependency:
    pointer: str
    producer: Production
    reasons: list[str]

    @property
    def stale(self) -> bool:
        return bool(self.reasons)


@dataclass
class _Known:
    """What is known of one key (a pointer's producers or a component's run starts), and how current it is."""

    items: list = field(default_factory=list)
    run_ids: set[str] = field(default_factory=set)
    files_seen: int = 0  # how many of the index's foreign files have been consulted for this key

    def add(self, item, run_id: str) -> None:
        if run_id not in self.run_ids:
            self.run_ids.add(run_id)
            bisect.insort(self.items, item)


class LineageIndex:
    """Who produced which pointer and when each component ran, for the runs this process logs."""

    def __init__(self, root: Path, own_file_prefix: str, refresh_seconds: float = 5.0) -> None:
        self._root = root
        self._con: duckdb.DuckDBPyConnection | None = None
        self._own_prefix = own_file_prefix
        self._refresh_seconds = refresh_seconds
        self._listed_at = float("-inf")
        self._foreign: dict[str, list[str]] = {"io": [], "runs": []}
        self._producers: dict[str, _Known] = {}
        self._starts: dict[str, _Known] = {}

    # -- what this process logs -------------------------------------------------------------------------------
    def record_run(self, component: str, run_id: str, start: int) -> None:
        self._known(self._starts, component, "runs").add(start, run_id)

    def record_output(self, pointer: str, production: Production) -> None:
        self._known(self._producers, pointer, "io").add(production, production.run_id)

    # -- questions asked while logging a run --------------------------------------------------------------------
    def latest_producer(self, pointer: str, start: int, run_id: str) -> Production | None:
        """The newest run that wrote `pointer` before a run (`start`, `run_id`) began."""
        items = self._known(self._producers, pointer, "io").items
        for production in reversed(items[: bisect.bisect_right(items, (start, start, "\uffff", ""))]):
            if production.run_id != run_id and (production.start, production.run_id) < (start, run_id):
                return production
        return None

    def fresher_runs(self, component: str, after: int, before: int) -> int:
        """How many runs of `component` started strictly between two instants."""
        starts = self._known(self._starts, component, "runs").items
        return max(bisect.bisect_left(starts, before) - bisect.bisect_right(starts, after), 0)

    def dependencies(self, pointers: list[str], start: int, run_id: str,
                     staleness_days: float) -> list[Dependency]:
        """The runs a run depends on through its input `pointers`, with the reasons each is stale (if any)."""
        found = []
        for pointer in dict.fromkeys(pointers):
            producer = self.latest_producer(pointer, start, run_id)
            if producer is not None:
                found.append((pointer, producer))
        used = {producer.run_id: producer for _, producer in found}
        return [Dependency(pointer, producer, self._stale_reasons(producer, start, staleness_days, used))
                for pointer, producer in found]

    def _stale_reasons(self, producer: Production, start: int, staleness_days: float,
                       used: dict[str, Production]) -> list[str]:
        reasons = []
        age_days = (start - producer.start) // MICROS_PER_DAY
        if age_days > staleness_days:
            reasons.append(f"{producer.component} (run {producer.run_id}) was run {age_days} days ago")
        newer_also_used = sum(1 for other in used.values() if other.component == producer.component
                              and producer.start < other.start < start)
        fresher = self.fresher_runs(producer.component, producer.start, start) - newer_also_used
        if fresher > 0:
            plural = "run" if fresher == 1 else "runs"
            reasons.append(f"{producer.component} (run {producer.run_id}) has {fresher} fresher {plural}")
        return reasons

    # -- keeping up with other processes ------------------------------------------------------------------------
    def _known(self, cache: dict[str, _Known], key: str, table: str) -> _Known:
        self._relist_if_due()
        known = cache.get(key)
        if known is None:
            known = cache[key] = _Known()
        foreign = self._foreign[table]
        if known.files_seen < len(foreign):
            self._load(table, key, foreign[known.files_seen:], known)
            known.files_seen = len(foreign)
        return known

    def _relist_if_due(self) -> None:
        if time.monotonic() - self._listed_at < self._refresh_seconds:
            return
        self._listed_at = time.monotonic()
        for table, known_files in self._foreign.items():
            seen = set(known_files)
            known_files.extend(f for f in parquet_files(self._root, table)
                               if f not in seen and not _file_name(f).startswith(self._own_prefix))

    def _load(self, table: str, key: str, paths: list[str], known: _Known) -> None:
        if table == "io":
            where = "direction = 'output' AND pointer = ?"
            columns = "epoch_us(end_time), epoch_us(start_time), run_id, component"
        else:
            where, columns = "component = ?", "epoch_us(start_time), run_id"
        for row in self._query(table, paths, columns, where, key):
            if table == "io":
                known.add(Production(*row), row[2])
            else:
                known.add(row[0], row[1])

    def _query(self, table: str, paths: list[str], columns: str, where: str, key: str) -> list[tuple]:
        if self._con is None:
            self._con = duckdb.connect()

        def attempt() -> list[tuple]:
            readable = [p for p in paths if p not in set_aside_files()]
            if not readable:
                return []
            source = read_parquet_sql(readable, TABLES[table].partition_by)
            return self._con.execute(f"SELECT {columns} FROM {source} WHERE {where}", [key]).fetchall()

        return retry_without_corrupt_files(self._root, attempt, lambda: None)


def _file_name(path: str) -> str:
    return path.rpartition("/")[2]
