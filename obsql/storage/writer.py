"""The append path: rows go to the spool at once and to Parquet in batches.

Logging a run must cost microseconds, and writing a Parquet file costs milliseconds, so rows are buffered in memory
per (table, partition) and written as one file per partition when enough have gathered, when a few seconds have
passed, before a query in the same process, and at exit. The spool makes the buffer crash-safe.

Every file is written under a temporary name and renamed into place, so a reader never sees half a file. A flush
names its files after its spool (`<segment>-<seq>.parquet`), so replaying a dead process's spool writes the same
names and skips those already there: a crash at any point neither loses nor duplicates rows.
"""
from __future__ import annotations

import atexit
import os
import threading
import time
import warnings
import weakref
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from obsql.errors import StoreError
from obsql.storage import spool as spool_files
from obsql.storage.ids import new_id
from obsql.storage.layout import SPOOL_DIR, commit, mark_changed, note_long_values, partition_dir
from obsql.storage.schemas import TABLES

# One batch element: (table name, partition key values, {column: list of values}); all lists the same length.
Rows = tuple[str, tuple, dict[str, list]]

ROW_GROUP_SIZE = 32_768
REJECTED_DIR = "_rejected"  # batches no table could take, kept as text with the reason (nothing logged is dropped)

if TYPE_CHECKING:
    import pyarrow as pa


class _Buffer:
    """Rows waiting for Parquet: the batches as they were logged, gathered into column lists per (table, partition
    key) only when written (gathering them as each run is logged would cost every run's caller)."""

    def __init__(self) -> None:
        self._batches: list[Iterable[Rows]] = []
        self.rows = 0

    def add(self, batch: list[Rows]) -> None:
        self._batches.append(batch)
        self.rows += sum(_length(columns) for _, _, columns in batch)

    def partitions(self) -> set[tuple[str, tuple]]:
        """The (table, partition key) pairs the rows go to, without gathering the rows."""
        return {(table, tuple(key)) for batch in self._batches for table, key, _ in batch}

    def parts(self) -> dict[tuple[str, tuple], dict[str, list]]:
        """The rows per (table, partition key), as column lists; a column some rows lack is null in those."""
        parts: dict[tuple[str, tuple], dict[str, list]] = {}
        for batch in self._batches:
            for table, key, columns in batch:
                target = parts.setdefault((table, tuple(key)), {})
                if target.keys() == columns.keys():  # the common case: the same columns as the rows before
                    for name, values in columns.items():
                        target[name].extend(values)
                    continue
                filled = _length(target)
                for name, values in columns.items():
                    column = target.get(name)
                    if column is None:
                        column = target[name] = [None] * filled
                    column.extend(values)
                n = _length(columns)
                for name, values in target.items():
                    if name not in columns:
                        values.extend([None] * n)
        return parts

    def write(self, root: Path, file_stem: str) -> None:
        """Write one Parquet file per partition named `<file_stem>.parquet`, skipping those already written, then
        commit them together: a reader shows a run's rows in every table or in none. A batch whose values its
        table's schema cannot take is set aside (`_set_aside_unwritable`): it must not hold up the others."""
        try:
            tables = self._arrow_parts()
        except (TypeError, ValueError, OverflowError):  # pyarrow's ArrowTypeError and ArrowInvalid are these
            if not self._set_aside_unwritable(root, file_stem):
                raise
            tables = self._arrow_parts()
        for (table, key), data in tables.items():
            directory = partition_dir(root, table, key)
            final = directory / f"{file_stem}.parquet"
            if final.exists():
                continue
            note_long_values(root, table, key)
            directory.mkdir(parents=True, exist_ok=True)
            write_parquet(data, final)
        commit(root, file_stem)
        mark_changed(root, {table for table, _ in tables})

    def _arrow_parts(self) -> dict[tuple[str, tuple], "pa.Table"]:
        return {(table, key): to_arrow(table, columns) for (table, key), columns in self.parts().items()}

    def _set_aside_unwritable(self, root: Path, file_stem: str) -> bool:
        """Move the batches Arrow cannot convert to their tables' schemas (a value of the wrong type) out of the
        buffer into `<root>/_rejected/<file_stem>.txt` with the reason, and warn; whether any was. Batches are
        checked one by one only once the whole buffer failed to convert, so a flush of good rows pays nothing."""
        kept, rejected = [], []
        for batch in self._batches:
            problem = _unwritable(batch)
            if problem is None:
                kept.append(batch)
            else:
                rejected.append((batch, problem))
        if not rejected:  # each batch converts alone: the failure is not one batch's to set aside
            return False
        self._batches, self.rows = [], 0
        for batch in kept:
            self.add(batch)
        directory = root / REJECTED_DIR
        directory.mkdir(exist_ok=True)
        kept_in = directory / f"{file_stem}.txt"
        with open(kept_in, "a", encoding="utf-8") as out:
            out.writelines(f"{problem}\t{batch!r}\n" for batch, problem in rejected)
        warnings.warn(f"obsql: {len(rejected)} logged batch(es) could not be written ({rejected[0][1]}); they are "
                      f"kept in {kept_in}, and the other rows were written", stacklevel=2)
        return True


def _unwritable(batch: Iterable[Rows]) -> str | None:
    """Why a batch cannot be written to its tables (None when it can)."""
    for table, _, columns in batch:
        try:
            to_arrow(table, columns)
        except (TypeError, ValueError, OverflowError) as exc:
            return f"{table}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return None


def _length(columns: dict[str, list]) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def to_arrow(table: str, columns: dict[str, list]) -> "pa.Table":
    """Column lists as an Arrow table with the table's schema (absent columns are nulls)."""
    import pyarrow as pa  # loaded on the first flush, so opening a store to query it stays quick

    schema = TABLES[table].schema
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise ValueError(f"table {table} has no column(s) {sorted(unknown)}")
    n = _length(columns)
    arrays = [pa.array(columns.get(f.name, [None] * n), type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(data: "pa.Table", final: Path, row_group_size: int = ROW_GROUP_SIZE) -> None:
    """Write `data` to `final` so that readers see either nothing or the whole file."""
    import pyarrow.parquet as pq

    tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp")
    try:
        pq.write_table(data, tmp, row_group_size=row_group_size, compression="zstd")
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


class Writer:
    """Appends rows to a store: spool first, Parquet in batches. Safe to share between threads."""

    def __init__(self, root: Path, flush_rows: int = 100_000, flush_seconds: float = 5.0,
                 durable: bool = False, strict: bool = False) -> None:
        self.root = root
        self.flush_rows = flush_rows
        self.flush_seconds = flush_seconds
        self.durable = durable
        self.strict = strict  # raise a StoreError when the store cannot be written, instead of keeping rows waiting
        self.segment = new_id()
        self._seq = 0
        self._spool: spool_files.Spool | None = None
        self._buffer = _Buffer()
        self._waiting: deque[list[Rows]] = deque()  # batches the store could not take yet, oldest first
        self._refused: OSError | None = None  # why the store last refused a write, while it does
        self._lock = threading.RLock()
        self._last_flush = time.monotonic()
        self._closed = False
        _start_flusher(self)
        atexit.register(_close_quietly, weakref.ref(self))

    def append(self, batch: list[Rows]) -> None:
        """Make `batch` durable (spool) and queue it for Parquet; flushes when the buffer is full.

        When the store cannot be written (a full disk), the batch waits in memory with those before it and is
        spooled once the store takes writes again; a warning says so. A strict writer raises a StoreError instead."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this store's writer is closed")
            self._waiting.append(batch)
            self._spool_waiting()
            if self._buffer.rows >= self.flush_rows:
                self.flush()

    def flush(self) -> None:
        """Write everything buffered to Parquet now (what the store refuses stays spooled, to be written later)."""
        with self._lock:
            self._last_flush = time.monotonic()
            self._spool_waiting()
            if self._spool is None:
                return
            try:
                self._buffer.write(self.root, self._file_stem())
            except OSError as exc:  # the rows are safe in the spool: the next flush writes them
                return self._refuse(exc, spooled=True)
            self._spool.remove()
            self._spool = None
            self._buffer = _Buffer()
            self._seq += 1

    def _spool_waiting(self) -> None:
        """Spool the waiting batches, oldest first, until the store refuses one."""
        while self._waiting:
            try:
                self._current_spool().append(self._waiting[0])
            except OSError as exc:
                if self.strict:
                    self._waiting.clear()  # the caller is told its run was not kept
                return self._refuse(exc, spooled=False)
            self._buffer.add(self._waiting.popleft())
        if self._refused is not None:
            self._refused = None
            warnings.warn(f"obsql: the store at {self.root} takes writes again; the rows that waited are written")

    def _refuse(self, exc: OSError, spooled: bool) -> None:
        """Say once that the store refuses writes; a strict writer raises when a run could not even be spooled."""
        if self.strict and not spooled:
            raise StoreError(f"cannot write to the store at {self.root}: {exc.strerror or exc}",
                             suggestion="free space (or fix the permissions) and log again; without strict=True "
                                        "runs wait in memory until the store can be written") from exc
        if self._refused is None:
            warnings.warn(f"obsql: cannot write to the store at {self.root} ({exc.strerror or exc}); "
                          f"{len(self._waiting)} run(s) wait in memory and are written once it can be: the pipeline "
                          "goes on", stacklevel=4)
        self._refused = exc

    def flush_if_idle(self) -> None:
        """Flush when rows have waited longer than `flush_seconds` (called by the background flusher)."""
        with self._lock:
            if self._spool is not None and time.monotonic() - self._last_flush >= self.flush_seconds:
                self.flush()

    def close(self) -> None:
        """Flush and stop accepting rows (what the store still refuses is said lost, or left in the spool)."""
        with self._lock:
            if not self._closed:
                self.flush()
                self._closed = True
                if self._waiting:
                    warnings.warn(f"obsql: {len(self._waiting)} run(s) are lost: the store at {self.root} could "
                                  "still not be written when the process ended")

    def _file_stem(self) -> str:
        return f"{self.segment}-{self._seq:06d}"

    def _current_spool(self) -> spool_files.Spool:
        if self._spool is None:
            directory = self.root / SPOOL_DIR
            directory.mkdir(exist_ok=True)
            self._spool = _open_spool(directory, self._file_stem(), self.durable)
        return self._spool


def _open_spool(directory: Path, stem: str, durable: bool) -> spool_files.Spool:
    """Create and lock a spool under a hidden name, then publish it, so no one can claim it before it is locked."""
    hidden = directory / f".{stem}.new"
    spool = spool_files.Spool(hidden, durable)
    final = directory / f"{stem}{spool_files.SUFFIX}"
    os.rename(hidden, final)
    spool.path = final
    return spool


def _start_flusher(writer: Writer) -> None:
    """A daemon thread that flushes rows left waiting by a process that went quiet."""
    ref = weakref.ref(writer)
    interval = max(writer.flush_seconds / 2, 0.05)

    def loop() -> None:
        while True:
            time.sleep(interval)
            live = ref()
            if live is None or live._closed:
                return
            try:
                live.flush_if_idle()
            except Exception as exc:  # keep the rows in the spool; the next flush or open retries
                warnings.warn(f"obsql: background flush failed, rows kept in the spool: {exc}")
            del live

    threading.Thread(target=loop, name="obsql-flusher", daemon=True).start()


def _close_quietly(ref: "weakref.ref[Writer]") -> None:
    writer = ref()
    if writer is not None:
        try:
            writer.close()
        except Exception as exc:
            warnings.warn(f"obsql: could not flush at exit, rows kept in the spool for recovery: {exc}")


def _spools(root: Path) -> list[Path]:
    directory = root / SPOOL_DIR
    return sorted(directory.glob(f"*{spool_files.SUFFIX}")) if directory.is_dir() else []


def waiting_spools(root: Path) -> int:
    """How many spools of processes that died before flushing wait to be replayed (a read that never writes)."""
    return sum(1 for path in _spools(root) if spool_files.is_dead(path))


def recover_dead_spools(root: Path) -> int:
    """Replay the spools of processes that died before flushing; returns how many were recovered."""
    recovered = 0
    for path in _spools(root):
        with spool_files.claim_if_dead(path) as claimed:
            if not claimed:
                continue
            buffer = _Buffer()
            for batch in spool_files.read_records(path):
                buffer.add(batch)
            buffer.write(root, path.stem)
            _remove_half_written(root, buffer, path.stem)
            path.unlink(missing_ok=True)
            recovered += 1
    return recovered


def _remove_half_written(root: Path, buffer: _Buffer, file_stem: str) -> None:
    """Delete the temporary files a writer killed mid-flush left beside the partitions of its spool."""
    for table, key in buffer.partitions():
        for leftover in partition_dir(root, table, key).glob(f".{file_stem}.*.tmp"):
            leftover.unlink(missing_ok=True)
