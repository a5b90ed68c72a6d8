"""Dependencies and staleness, worked out when a run is logged.

A run depends on the latest run that wrote each of its inputs before it started: the producer's end is at or
before the consumer's start, and (start, run id) orders the two strictly, so the run graph always points back in time
and a pointer that is read and rewritten (a model updated in place) versions instead of looping.

A dependency is stale when it was produced more than `staleness_days` before the run (unless its component is
declared static, as a reference table loaded once is), or when its component has
fresher runs that began before this run and that this run did not also read (a run reading a week of daily files is
not stale for the six older days). The reasons read as mltrace's did: "clean (run X) was run 45 days ago",
"clean (run X) has 2 fresher runs".

What this process logs is known at once. What other processes log reaches it in bulk, never by a query per pointer:
- their spools, followed as they grow before every run (`storage.spool.SpoolWatch`), so a producer another live
  process logged before this run started is found even before that process flushes;
- Parquet files that appeared since the last look, read at most once per `refresh_seconds` (rows whose spool was
  never seen: a writer that flushed while this process was not looking);
- what the store held at the first look, as the set of every pointer it had a producer for (64-bit hashes, so a
  pointer the store never produced costs a hash and no query); a pointer it did produce is read from the store once.
"""
from __future__ import annotations

import bisect
import hashlib
from array import array
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

import numpy as np

from obsql.storage import lineage_index
from obsql.storage.layout import COMPACTED_PREFIX, SPOOL_DIR, last_change
from obsql.storage.live_files import parquet_files
from obsql.storage.reader import StoreReader
from obsql.storage.spool import SpoolWatch

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
    """What is known of one key (a pointer's producers or a component's run starts)."""

    items: list = field(default_factory=list)
    run_ids: set[str] = field(default_factory=set)
    complete: bool = False  # whether what the store held at the first look has been merged in

    def add(self, item, run_id: str) -> None:
        if run_id not in self.run_ids:
            self.run_ids.add(run_id)
            bisect.insort(self.items, item)


def pointer_hash(pointer: str) -> int:
    """A pointer's 64-bit hash, the one DuckDB's md5_number_lower gives, so Python and SQL agree."""
    return int.from_bytes(hashlib.md5(pointer.encode("utf-8")).digest()[8:], "little")


class _StoredPointers:
    """The pointers the store had a producer for at one moment, as sorted 64-bit hashes (8 bytes a pointer)."""

    def __init__(self, hashes: np.ndarray) -> None:
        self._hashes = array("Q", np.sort(hashes.astype(np.uint64)).tobytes())  # bisect reads it without numpy

    def may_have(self, pointer: str) -> bool:
        """False when the store surely had no producer of `pointer`; True when it probably had (or a hash collides)."""
        wanted = pointer_hash(pointer)
        at = bisect.bisect_left(self._hashes, wanted)
        return at < len(self._hashes) and self._hashes[at] == wanted


class ProducerCache:
    """Who produced which pointer and when each component ran, for the runs this process logs.

    At most `capacity` pointers are remembered; the least recently used are forgotten and read back from the
    store if asked about again (this process's own buffered rows are flushed first, so the store can answer).
    """

    def __init__(self, root: Path, own_file_prefix: str = "", refresh_seconds: float = 5.0,
                 capacity: int = 1_000_000, publish: Callable[[], None] = lambda: None) -> None:
        self._root = root
        self._publish = publish  # writes this process's buffered rows, so the store can answer for what was forgotten
        self._own_prefix = own_file_prefix
        self._refresh_seconds = refresh_seconds
        self._capacity = capacity
        self._producers: OrderedDict[str, _Known] = OrderedDict()
        self._starts: dict[str, _Known] = {}
        self._static: set[str] = set()  # components declared static: what they wrote does not age
        self._forgot = False
        self._spools = SpoolWatch(root / SPOOL_DIR, own_file_prefix)
        self._stored: _StoredPointers | None = None  # the store at the first look that found others' files
        self._accounted: set[str] = set()  # others' Parquet files already known (stored then, or read since)
        self._looked_at = float("-inf")  # when files were last listed (time.monotonic)
        self._looked_at_change = -1  # the store's change mark then
        self._reader: StoreReader | None = None

    # -- what this process logs -------------------------------------------------------------------------------
    def record_run(self, component: str, run_id: str, start: int) -> None:
        """A run of `component` that started at `start` (this process's, or one another process logged)."""
        _entry(self._starts, component).add(start, run_id)

    def record_static(self, component: str) -> None:
        """A component declared static (by this process, or by another as its components rows say)."""
        self._static.add(component)

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
        self._forget_past_capacity()

    # -- questions asked while logging a run --------------------------------------------------------------------
    def latest_producer(self, pointer: str, start: int, run_id: str) -> Production | None:
        """The newest run that wrote `pointer` before a run (`start`, `run_id`) began."""
        items = self._producers_of(pointer).items
        for production in reversed(items[: bisect.bisect_right(items, (start, start, "\uffff", ""))]):
            if production.run_id != run_id and (production.start, production.run_id) < (start, run_id):
                return production
        return None

    def fresher_runs(self, component: str, after: int, before: int) -> int:
        """How many runs of `component` started strictly between two instants."""
        starts = self._starts_of(component).items
        return max(bisect.bisect_left(starts, before) - bisect.bisect_right(starts, after), 0)

    def dependencies(self, pointers: list[str], start: int, run_id: str,
                     staleness_days: float) -> list[Dependency]:
        """The runs a run depends on through its input `pointers`, with the reasons each is stale (if any)."""
        if pointers:
            self.keep_up()
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
        if age_days > staleness_days and producer.component not in self._static:
            reasons.append(f"{producer.component} (run {producer.run_id}) was run {age_days} days ago")
        newer_also_used = sum(1 for other in used.values() if other.component == producer.component
                              and producer.start < other.start < start)
        fresher = self.fresher_runs(producer.component, producer.start, start) - newer_also_used
        if fresher > 0:
            plural = "run" if fresher == 1 else "runs"
            reasons.append(f"{producer.component} (run {producer.run_id}) has {fresher} fresher {plural}")
        return reasons

    # -- keeping up with other processes ---------------------------------------------------------------------------
    def keep_up(self) -> None:
        """Learn what other processes logged since the last run: what their spools gained (always: a few stat
        calls when nothing did), and the Parquet files that appeared (at most once per refresh interval)."""
        for batch in self._spools.new_records():
            self._learn(batch)
        if time.monotonic() - self._looked_at >= self._refresh_seconds:
            self._look_at_files()

    def _learn(self, batch: list) -> None:
        """Take in one spool record of another process: its runs' starts and its outputs' producers."""
        for table, key, columns in batch:
            if table == "runs":
                for run_id, start in zip(columns["run_id"], columns["start_time"]):
                    self.record_run(key[0], run_id, start)
            elif table == "io":
                learn, component = self._learn_production, key[0]
                for pointer, direction, run_id, start, end in zip(
                        columns["pointer"], columns["direction"], columns["run_id"], columns["start_time"],
                        columns["end_time"]):
                    if direction == "output":
                        learn(pointer, Production(end, start, run_id, component))
            elif table == "components":
                for name, static in zip(columns["name"], columns.get("static", [])):
                    if static:
                        self.record_static(name)

    def _learn_production(self, pointer: str, production: Production) -> None:
        known = self._producers.get(pointer)
        if known is None:  # most of what others write is new (prediction ids): no search, no sort
            self._producers[pointer] = _Known([production], {production.run_id})
            self._forget_past_capacity()
        else:
            self._producers.move_to_end(pointer)
            known.add(production, production.run_id)

    def _look_at_files(self) -> None:
        """Read the rows of others' Parquet files that appeared since the last look; at the first look that finds
        any, note instead which pointers the store had producers for."""
        self._looked_at = time.monotonic()
        change = last_change(self._root)
        if change == self._looked_at_change:
            return
        self._looked_at_change = change
        listed = {table: [path for path in parquet_files(self._root, table)
                          if path not in self._accounted and not self._is_own(path)] for table in ("io", "runs")}
        if self._stored is None:
            if any(listed.values()):
                self._note_what_the_store_holds()
                self._accounted.update(*listed.values())
            return
        self._accounted.update(*listed.values())
        self._read_new_files({table: [p for p in paths if self._is_new_to_us(p)] for table, paths in listed.items()})

    def _note_what_the_store_holds(self) -> None:
        self._static.update(name for (name,) in self._query(STATIC).fetchall())
        hashes = self._query(STORED_POINTERS).fetchnumpy()["h"]
        self._stored = _StoredPointers(np.asarray(hashes))
        for known in (*self._producers.values(), *self._starts.values()):
            known.complete = False  # what was known before may lack what the store held

    def _read_new_files(self, new: dict[str, list[str]]) -> None:
        reader = self._store_reader()
        if new["runs"]:  # a component another process declared static since the last look
            self._static.update(name for (name,) in self._query(STATIC).fetchall())
        if new["runs"]:
            for component, run_id, start in reader.fetch_files("runs", new["runs"], NEW_RUNS):
                self.record_run(component, run_id, start)
        if new["io"]:
            for pointer, end, start, run_id, component in reader.fetch_files("io", new["io"], NEW_OUTPUTS):
                self._learn_production(pointer, Production(end, start, run_id, component))

    def _is_own(self, path: str) -> bool:
        return bool(self._own_prefix) and Path(path).name.startswith(self._own_prefix)

    def _is_new_to_us(self, path: str) -> bool:
        """Whether a file may hold rows not seen yet: not a spool read to its end, not a compaction's merge of
        files already accounted for."""
        stem = Path(path).stem
        return stem not in self._spools.finished and not stem.startswith(COMPACTED_PREFIX)

    # -- what the store held -----------------------------------------------------------------------------------------
    def _producers_of(self, pointer: str) -> _Known:
        known = self._remember(pointer)
        if not known.complete:
            known.complete = True
            if self._forgot or (self._stored is not None and self._stored.may_have(pointer)):
                for row in self._query(PRODUCERS, {"key": pointer}).fetchall():
                    known.add(Production(*row), row[2])
        return known

    def _starts_of(self, component: str) -> _Known:
        known = _entry(self._starts, component)
        if not known.complete:
            known.complete = True
            if self._stored is not None:
                for start, run_id in self._query(STARTS, {"key": component}).fetchall():
                    known.add(start, run_id)
        return known

    def _remember(self, pointer: str) -> _Known:
        """The pointer's entry, made the most recently used (created when new)."""
        known = self._producers.get(pointer)
        if known is None:
            known = self._producers[pointer] = _Known()
            self._forget_past_capacity()
        else:
            self._producers.move_to_end(pointer)
        return known

    def _forget_past_capacity(self) -> None:
        while len(self._producers) > self._capacity:
            self._producers.popitem(last=False)
            self._forgot = True

    def _query(self, sql: str, params: dict | None = None):
        if self._forgot:
            self._publish()
        reader = self._store_reader()
        reader.refresh()
        return reader.execute(sql, params)

    def _store_reader(self) -> StoreReader:
        if self._reader is None:
            self._reader = StoreReader(self._root)
            lineage_index.attach_views(self._reader, self._root)
        return self._reader


def _entry(cache: dict[str, _Known], key: str) -> _Known:
    known = cache.get(key)
    if known is None:
        known = cache[key] = _Known()
    return known


# What the store knows: the runs that wrote a pointer (through the lineage index), the starts of a component's runs,
# every pointer it has a producer for, and what new files add.
PRODUCERS = ("SELECT epoch_us(end_time), epoch_us(start_time), run_id, component FROM lineage_producers "
             "WHERE pointer = $key")
STARTS = 'SELECT epoch_us(start_time), run_id FROM runs WHERE "component" = $key'
STATIC = "SELECT DISTINCT name FROM components WHERE static"
STORED_POINTERS = "SELECT DISTINCT md5_number_lower(pointer) AS h FROM io WHERE direction = 'output'"
NEW_RUNS = 'SELECT "component", run_id, epoch_us(start_time) FROM {files}'
NEW_OUTPUTS = ("SELECT pointer, epoch_us(end_time), epoch_us(start_time), run_id, \"component\" FROM {files} "
               "WHERE direction = 'output'")
