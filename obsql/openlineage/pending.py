"""The events of OpenLineage runs that have not ended yet, kept on disk until their COMPLETE, FAIL or ABORT comes.

A client sends a run's START and its COMPLETE in separate requests, minutes or hours apart, and the server may be
restarted in between; `pairing.pair_events` merges the events of a runId only when it has them all. So every event
of a run without a terminal event is appended to `<store>/_pending_lineage/<runId>.jsonl` (one event as received a
line, fsync-ed before the request is answered), and read back to pair with the terminal event when it arrives; the
file goes once the run is logged. A run that never ends is aged out (its file is removed after `max_age_days`), and
at most `max_runs` runs wait (the oldest go first). A line cut short by a crash is skipped when read back.
Callers hold `lock()` around a read-pair-write cycle: one at a time in this process (the server's writer thread)
and across processes (a flock), so two servers on one store do not split a run.

The waiting events hold datasets' facets (a schema, column statistics with their min and max), so `obsql forget`
and `obsql retain` reach them too (`forget_datasets`, `drop_older_than`): a removal must not leave behind, in a
run not yet logged, what it removed from the tables.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from obsql.openlineage.naming import obsql_name

DIRECTORY = "_pending_lineage"
MAX_AGE_DAYS = 7.0
MAX_RUNS = 10_000
AGE_OUT_EVERY = 60.0  # seconds
log = logging.getLogger("obsql.serve")


class PendingEvents:
    """The waiting events of one store, a file per runId."""

    def __init__(self, root: Path, max_age_days: float = MAX_AGE_DAYS, max_runs: int = MAX_RUNS) -> None:
        self.directory = root / DIRECTORY
        self.max_age_seconds = max_age_days * 86400
        self.max_runs = max_runs
        self._aged_at = float("-inf")  # when old runs were last looked for
        self._added: set[str] = set()  # runs added since

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's pending events for one read-pair-write cycle."""
        self.directory.mkdir(exist_ok=True)
        with open(self.directory / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _file(self, run_id: str) -> Path:
        return self.directory / f"{run_id}.jsonl"  # a canonical UUID: a safe file name

    def events_of(self, run_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The waiting events of these runs, as they were received."""
        events = []
        for run_id in run_ids:
            path = self._file(run_id)
            if path.exists():
                events.extend(_decoded_lines(path))
        return events

    def add(self, by_run: dict[str, list[dict[str, Any]]]) -> None:
        """Append events to their runs' files, each file synced to disk before this returns."""
        for run_id, events in by_run.items():
            self._added.add(run_id)
            _write_synced(self._file(run_id), events, "a")
        self._age_out()

    def drop(self, run_ids: Iterable[str]) -> None:
        """Forget the waiting events of runs that were logged."""
        for run_id in run_ids:
            self._file(run_id).unlink(missing_ok=True)

    def waiting(self) -> list[str]:
        """The runIds that wait, oldest first."""
        return [path.stem for path in self._files()]

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.jsonl"), key=lambda path: path.stat().st_mtime)

    def _age_out(self) -> None:
        """Remove the runs older than the age limit and the oldest beyond the count limit, each with a warning; at
        most once a minute (it lists the directory)."""
        if time.monotonic() - self._aged_at < AGE_OUT_EVERY and len(self._added) <= self.max_runs:
            return
        self._aged_at, self._added = time.monotonic(), set()
        files = self._files()  # oldest first
        too_old = time.time() - self.max_age_seconds
        cut = max(sum(path.stat().st_mtime < too_old for path in files), len(files) - self.max_runs)
        for path in files[:cut]:
            log.warning("obsql: dropped the waiting events of OpenLineage run %s: no COMPLETE, FAIL or ABORT came "
                        "in time", path.stem)
            path.unlink(missing_ok=True)

    def forget_datasets(self, pointers: set[str], drop_runs: bool = False, dry_run: bool = False) -> int:
        """Take the facets of these datasets (named as obsql's pointers) out of the waiting events, their names
        kept (as `io` keeps a forgotten pointer's edges); with `drop_runs`, drop the waiting runs that name them.
        Returns how many waiting runs named them."""
        touched = 0
        with self.lock():
            for path in self._files():
                events = _decoded_lines(path)
                if not any(_dataset_names(event) & pointers for event in events):
                    continue
                touched += 1
                if dry_run:
                    continue
                if drop_runs:
                    path.unlink(missing_ok=True)
                else:
                    _rewrite(path, [_without_facets(event, pointers) for event in events])
        return touched

    def drop_older_than(self, cutoff: float, dry_run: bool = False) -> int:
        """Drop the waiting runs last written before `cutoff` (seconds since the epoch); how many."""
        with self.lock():
            old = [path for path in self._files() if path.stat().st_mtime < cutoff]
            if not dry_run:
                for path in old:
                    path.unlink(missing_ok=True)
        return len(old)


def _datasets(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("inputs", "outputs"):
        yield from (dataset for dataset in event.get(key) or () if isinstance(dataset, dict))


def _pointer_of(dataset: dict[str, Any]) -> str:
    """The obsql pointer a dataset of a raw event names."""
    return obsql_name(str(dataset.get("namespace", "")), str(dataset.get("name", "")))


def _dataset_names(event: dict[str, Any]) -> set[str]:
    return {_pointer_of(dataset) for dataset in _datasets(event)}


def _without_facets(event: dict[str, Any], pointers: set[str]) -> dict[str, Any]:
    """The event with the named datasets reduced to their namespace and name."""
    def kept(dataset: Any) -> Any:
        if not isinstance(dataset, dict) or _pointer_of(dataset) not in pointers:
            return dataset
        return {key: dataset[key] for key in ("namespace", "name") if key in dataset}
    return {**event, **{key: [kept(d) for d in event[key]] for key in ("inputs", "outputs")
                        if isinstance(event.get(key), list)}}


def _rewrite(path: Path, events: list[dict[str, Any]]) -> None:
    """Replace a run's file with these events, whole or not at all, keeping its age."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_synced(partial, events, "w")
    before = path.stat()
    os.utime(partial, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(partial, path)


def _write_synced(path: Path, events: list[dict[str, Any]], mode: str) -> None:
    """Write (mode "w") or append ("a") events to `path`, one JSON object a line, synced to disk."""
    with open(path, mode, encoding="utf-8") as out:
        out.write("".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events))
        out.flush()
        os.fsync(out.fileno())


def _decoded_lines(path: Path) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # cut short by a crash while it was appended: the request was not answered
            log.warning("obsql: skipped a cut-short line in %s", path)
    return events
