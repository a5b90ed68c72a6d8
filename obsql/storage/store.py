"""A store on disk: its root, its writer and its readers, opened once per process and path.

A store opened to write (`create=True`, as the logging client opens it) is created when missing and replays the
spools of writers that died (as `obsql compact` and `obsql recover` do); one opened to read (`create=False`, as
every query opens it) is never written to, so a store on a read-only filesystem answers queries."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from obsql.storage.layout import MARKER, create_or_open, read_marker, write_atomically
from obsql.storage.live_files import commit_existing
from obsql.storage.schemas import STORE_VERSION, TABLES
from obsql.storage.reader import StoreReader
from obsql.storage.writer import Writer, recover_dead_spools


class ParquetStore:
    """The Parquet files under one root directory."""

    def __init__(self, root: str | Path, create: bool = True, **writer_options) -> None:
        self.root = Path(root).expanduser().resolve()
        self.info = create_or_open(self.root) if create else read_marker(self.root)
        if create:
            self._use_commits()
        self._writer_options = writer_options
        self._writer: Writer | None = None
        self.recovered = self._recover() if create else 0

    def _use_commits(self) -> None:
        """A store from before commits (version 1) gets them the first time a writer opens it."""
        if int(self.info.get("version", 1)) < STORE_VERSION:
            commit_existing(self.root, TABLES)
            self.info = {**self.info, "version": STORE_VERSION}
            write_atomically(self.root / MARKER, json.dumps(self.info, indent=2) + "\n")

    def _recover(self) -> int:
        try:
            return recover_dead_spools(self.root)
        except OSError as exc:  # the store cannot be written just now; the spool waits for the next writer
            warnings.warn(f"obsql: could not recover spooled rows in {self.root}: {exc}")
            return 0

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            self._writer = Writer(self.root, **self._writer_options)
        return self._writer

    def reader(self) -> StoreReader:
        """A fresh DuckDB view of the store that includes everything this process logged."""
        self.flush()
        return StoreReader(self.root)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
