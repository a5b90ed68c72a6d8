"""Dependencies and staleness, worked out when a run is logged.

A run depends on the latest run that wrote each of its inputs before it started: the producer's end is at or
before the consumer's start, and (start, run id) orders the two strictly, so the run graph always points back in time
and a pointer that is read and rewritten (a model updated in place) versions instead of looping.

A dependency is stale when it was produced more than `staleness_days` before the run, or when its component has
fresher runs that began before this run and that this run did not also read (a run reading a week of daily files is
not stale for the six older days). The reasons read as mltrace's did: "clean (run X) was run 45 days ago",
"clean (run X) has 2 fresher runs".

What other processes wrote is read from the store (through the lineage index) on first need and re-read after
`refresh_seconds`; what this process wrote is known at once.
"""
from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from obsql.storage import lineage_index
from obsql.storage.live_files import parquet_files
from obsql.storage.layout import last_change
from obsql.storage.reader import StoreReader

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


@dataclass(slots=True)
class _Known:
    """What is known of one key (a pointer's producers or a component's run starts), and how current it is."""

    items: list = field(default_factory=list)
    run_ids: set[str] = field(default_factory=set)
    checked_at: float = float("-inf")  # when the store was last read for this key (time.monotonic)

    def add(self, item, run_id: str) -> None:
        if run_id not in self.run_ids:
            self.run_ids.add(run_id)
            bisect.insort(self.items, item)


class ProducerCache:
    """Who produced which pointer and when each component ran, for the runs this process logs.

    What this process logs is recorded at once and never costs a query; what the store holds is read for a key the
    first time a run asks about it, and again after `refresh_seconds`. At most `capacity` pointers are remembered
    (the least recently used are forgotten and read back from the store if asked about again).
    """

    def __init__(self, root: Path, own_file_prefix: str = "", refresh_seconds: float = 5.0,
                 capacity: int = 1_000_000, publish: Callable[[], None] = lambda: None) -> None:
        self._root = root
        self._publish = publish  # writes this process's buffered rows, so the store can answer for what was forgotten
        self._own_prefix = own_file_prefix
        self._others_wrote: tuple[int, bool] = (-1, True)  # (change marker seen, whether others' files exist)
        self._forgot = False
        self._reader: StoreReader | None = None
        self._refresh_seconds = refresh_seconds
        self._capacity = capacity
        self._producers: OrderedDict[str, _Known] = OrderedDict()
        self._starts: dict[str, _Known] = {}

    # -- what this process logs -------------------------------------------------------------------------------
    def record_run(self, component: str, run_id: str, start: int) -> None:
        _entry(self._starts, component).add(start, run_id)

    def record_outputs(self, pointers: Iterable[str], production: Production) -> None:
        """A run's outputs (a loop here, not a call per pointer: bulk logging records 200k ids a second)."""
        producers = self._producers
        for pointer in pointers:
            known = producers.get(pointer)
            if known is None:  # new pointers join at the most recently used end
                producers[pointer] = _Known([production], {production.run_id})
            else:
                known.add(production, production.run_id)
                producers.move_to_end(pointer)
        while len(producers) > self._capacity:
            producers.popitem(last=False)
            self._forgot = True

    # -- questions asked while logging a run --------------------------------------------------------------------
    def latest_producer(self, pointer: str, start: int, run_id: str) -> Production | None:
        """The newest run that wrote `pointer` before a run (`start`, `run_id`) began."""
        items = self._current(self._producers, pointer, PRODUCERS).items
        for production in reversed(items[: bisect.bisect_right(items, (start, start, "\uffff", ""))]):
            if production.run_id != run_id and (production.start, production.run_id) < (start, run_id):
                return production
        return None

    def fresher_runs(self, component: str, after: int, before: int) -> int:
        """How many runs of `component` started strictly between two instants."""
        starts = self._current(self._starts, component, STARTS).items
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

    # -- keeping up with the store ---------------------------------------------------------------------------------
    def _current(self, cache: dict[str, _Known], key: str, sql: str) -> _Known:
        known = _entry(cache, key)
        if time.monotonic() - known.checked_at >= self._refresh_seconds:
            for row in self._read(sql, key):
                if cache is self._producers:
                    known.add(Production(*row), row[2])
                else:
                    known.add(row[0], row[1])
            known.checked_at = time.monotonic()
        return known

    def _read(self, sql: str, key: str) -> list[tuple]:
        if not self._forgot and not self._others_have_written():
            return []  # everything in the store came from this process, and this process remembers it all
        if self._forgot:
            self._publish()
        if self._reader is None:
            self._reader = StoreReader(self._root)
            lineage_index.attach_views(self._reader, self._root)
        self._reader.refresh()
        return self._reader.execute(sql, {"key": key}).fetchall()


    def _others_have_written(self) -> bool:
        """Whether the store holds files this process did not write (checked again only when files changed)."""
        marker = last_change(self._root)
        if marker != self._others_wrote[0]:
            others = any(not Path(path).name.startswith(self._own_prefix)
                         for table in ("io", "runs") for path in parquet_files(self._root, table))
            self._others_wrote = (marker, others or not self._own_prefix)
        return self._others_wrote[1]


def _entry(cache: dict[str, _Known], key: str) -> _Known:
    known = cache.get(key)
    if known is None:
        known = cache[key] = _Known()
    return known


# What the store knows: the runs that wrote a pointer (through the lineage index), the starts of a component's runs.
PRODUCERS = ("SELECT epoch_us(end_time), epoch_us(start_time), run_id, component FROM lineage_producers "
             "WHERE pointer = $key")
STARTS = 'SELECT epoch_us(start_time), run_id FROM runs WHERE "component" = $key'
