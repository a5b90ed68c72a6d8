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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_HEADER = struct.Struct("<I")
SUFFIX = ".spool"


class Spool:
    """One append-only spool file, locked by this process."""

    def __init__(self, path: Path, durable: bool = False) -> None:
        self.path = path
        self.durable = durable
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def append(self, record: object) -> None:
        """Write one record; it is on disk (in the OS cache, or synced when durable) when this returns."""
        blob = marshal.dumps(record)
        os.write(self._fd, _HEADER.pack(len(blob)) + blob)
        if self.durable:
            os.fsync(self._fd)

    def remove(self) -> None:
        """Delete the file (its rows are in Parquet now) and release the lock."""
        try:
            self.path.unlink()
        finally:
            os.close(self._fd)


def read_records(path: Path) -> list:
    """Every complete record of a spool file; a torn last record (the writer died mid-write) is ignored."""
    data = path.read_bytes()
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
    return records


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
