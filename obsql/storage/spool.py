"""The spool: rows reach disk here before they reach Parquet, so a run that returned survives `kill -9`.

Each writing process owns one spool file at a time, holds an exclusive `flock` on it while it lives, and appends
length-prefixed `marshal` records (plain dicts, lists, str, int, float: fast to write, safe to read). When its rows
are flushed to Parquet the file is deleted. A spool whose lock can be taken belongs to a process that died; the next
writer to open the store, `obsql compact` or `obsql recover` replays it (see `writer.recover_dead_spools`); readers
only say that one waits.
"""
from __future__ import annotations

import fcntl
import marshal
import os
import struct
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_HEADER = struct.Struct("<I")
SUFFIX = ".spool"
# A directory time this old is not shared by a later change: on file systems that keep whole seconds (FAT, ext3), and
# on those with finer times, whose clocks tick at least every 10 ms (a kernel jiffy).
SETTLED_NS = 2_000_000_000
SETTLED_FINE_NS = 50_000_000


class Spool:
    """One append-only spool file, locked by this process."""

    def __init__(self, path: Path, durable: bool = False) -> None:
        self.path = path
        self.durable = durable
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._size = 0  # bytes of whole records

    def append(self, record: object) -> None:
        """Write one record; it is whole on disk (in the OS cache, or synced when durable) when this returns. When
        the disk refuses part of it (full), the part written is cut off again and the OSError raised."""
        blob = marshal.dumps(record)
        data = _HEADER.pack(len(blob)) + blob
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, data[written:])
            if self.durable:
                os.fsync(self._fd)
        except OSError:
            if written:
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)

    def remove(self) -> None:
        """Delete the file (its rows are in Parquet now) and release the lock."""
        try:
            self.path.unlink()
        finally:
            os.close(self._fd)


def read_records(path: Path) -> list:
    """Every complete record of a spool file; a torn last record (the writer died mid-write) is ignored."""
    return _complete_records(path.read_bytes())[0]


def _complete_records(data: bytes) -> tuple[list, int]:
    """The complete records at the start of `data`, and how many bytes they take (a torn or unfinished last
    record is left out)."""
    records, offset = [], 0
    while offset + _HEADER.size <= len(data):
        (size,) = _HEADER.unpack_from(data, offset)
        start, end = offset + _HEADER.size, offset + _HEADER.size + size
        if end > len(data):
            break
        try:
            records.append(marshal.loads(data[start:end]))
        except (EOFError, ValueError, TypeError):
            break
        offset = end
    return records, offset


class _Tail:
    """One spool read as its writer appends to it, through a descriptor kept open: the records appended just before
    the writer flushed and removed the file are still read."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._offset = 0

    def read_new(self) -> list:
        size = os.fstat(self._fd).st_size
        if size <= self._offset:
            return []
        records, used = _complete_records(os.pread(self._fd, size - self._offset, self._offset))
        self._offset += used
        return records

    def close(self) -> None:
        os.close(self._fd)


class SpoolWatch:
    """Every spool of a store but this process's own, followed as it grows: how a process learns, within
    microseconds and exactly, what other live writers logged before they flush it to Parquet."""

    def __init__(self, directory: Path, own_prefix: str = "") -> None:
        self._directory = directory
        self._own_prefix = own_prefix
        self._tails: dict[str, _Tail] = {}
        self._listed: tuple[int, set[str]] = (-1, set())  # the directory's modification time, and its spools then
        self.finished: set[str] = set()  # stems of spools read to their end: their Parquet files hold nothing new

    def new_records(self) -> list:
        """The records other writers appended since the last call, from spools old and new."""
        present = self._spool_names()
        for name in present - self._tails.keys():
            try:
                self._tails[name] = _Tail(self._directory / name)
            except FileNotFoundError:  # flushed and removed already: its rows are in Parquet
                pass
        records = []
        for name, tail in list(self._tails.items()):
            records += tail.read_new()
            if name not in present:  # flushed, removed, and now read to its end
                tail.close()
                del self._tails[name]
                self.finished.add(name.removesuffix(SUFFIX))
        return records

    def _spool_names(self) -> set[str]:
        """The spools there now. The directory is read again only when its modification time moved, or while that
        time is too recent to trust (a coarse clock could give a later change the same time)."""
        try:
            changed = os.stat(self._directory).st_mtime_ns
        except FileNotFoundError:
            return set()
        settled = SETTLED_NS if changed % 1_000_000_000 == 0 else SETTLED_FINE_NS
        if changed == self._listed[0] and time.time_ns() - changed > settled:
            return self._listed[1]
        with os.scandir(self._directory) as entries:
            names = {e.name for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith(".")
                     and not (self._own_prefix and e.name.startswith(self._own_prefix))}
        self._listed = (changed, names)
        return names

    def close(self) -> None:
        for tail in self._tails.values():
            tail.close()
        self._tails.clear()


def is_dead(path: Path) -> bool:
    """Whether the spool's owner is gone (its lock is free); the lock is released again at once."""
    with claim_if_dead(path) as claimed:
        return claimed


@contextmanager
def claim_if_dead(path: Path) -> Iterator[bool]:
    """Lock a spool file if its owner is gone; yields whether it was claimed. The lock is held inside the block."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield path.exists()
    finally:
        os.close(fd)
