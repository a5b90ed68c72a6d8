"""The names completion offers: components, metrics, data columns, flagged pointers, and pointers and run ids by
prefix, read from the store.

They are read through a store reader of their own in a background thread, so the prompt shows at once and typing
never waits on the store; until the first load ends, completion simply has fewer names to offer.
"""
from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from obsql.compiler.catalog import DERIVED_METRICS
from obsql.compiler.events import FLAGGED_NOW
from obsql.errors import ObsqlError
from obsql.storage.reader import StoreReader

PREFIX_LIMIT = 50  # names offered for one typed prefix (pointers, run ids)
COMPONENTS_SQL = "SELECT DISTINCT component FROM runs ORDER BY component"
METRICS_SQL = "SELECT component, list(DISTINCT name ORDER BY name) FROM metrics GROUP BY component"
COLUMNS_SQL = "SELECT component, list(DISTINCT column_name ORDER BY column_name) FROM summaries GROUP BY component"
RUN_IDS_SQL = (f"SELECT run_id FROM runs WHERE starts_with(run_id, $prefix) ORDER BY start_time DESC "
               f"LIMIT {PREFIX_LIMIT}")
POINTERS_SQL = (f"SELECT DISTINCT pointer FROM io WHERE starts_with(pointer, $prefix) ORDER BY pointer "
                f"LIMIT {PREFIX_LIMIT}")


class StoreNames:
    """A snapshot of a store's names, refreshed in the background when asked (after `flag`, after `.store`)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._reader: StoreReader | None = None
        self._lock = threading.Lock()
        self._components: list[str] = []
        self._metrics: dict[str, list[str]] = {}
        self._columns: dict[str, list[str]] = {}
        self._flagged: list[str] = []
        self.loaded = threading.Event()  # set after each load ends (tests wait on it)

    def components(self) -> list[str]:
        return self._components

    def metrics(self, component: str) -> list[str]:
        """The component's logged metrics, then the ones every component has."""
        return [*self._metrics.get(component, []), *DERIVED_METRICS]

    def columns(self, component: str) -> list[str]:
        """The columns of the data the component's runs logged (what `compare ... on` can name)."""
        return self._columns.get(component, [])

    def flagged(self) -> list[str]:
        return self._flagged

    def pointers(self, prefix: str) -> list[str]:
        """Up to PREFIX_LIMIT pointers starting with `prefix`, asked of the store now (from the completion thread)."""
        rows = self._query(POINTERS_SQL, {"prefix": prefix})
        return [pointer for (pointer,) in rows or []]

    def run_ids(self, prefix: str) -> list[str]:
        """Up to PREFIX_LIMIT run ids starting with `prefix`, newest first, asked of the store now."""
        rows = self._query(RUN_IDS_SQL, {"prefix": prefix})
        return [run_id for (run_id,) in rows or []]

    def refresh(self) -> threading.Thread:
        """Read the names again in a background thread."""
        self.loaded.clear()
        thread = threading.Thread(target=self._load, name="obsql-names", daemon=True)
        thread.start()
        return thread

    def use_store(self, root: Path) -> None:
        """Forget this store's names and read those of the store at `root`."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()
            self._root, self._reader = root, None
        self._components, self._metrics, self._columns, self._flagged = [], {}, {}, []
        self.refresh()

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _load(self) -> None:
        try:
            components = self._query(COMPONENTS_SQL)
            metrics = self._query(METRICS_SQL)
            columns = self._query(COLUMNS_SQL)
            flagged = self._query(FLAGGED_NOW)
            if all(rows is not None for rows in (components, metrics, columns, flagged)):
                self._components = [name for (name,) in components]
                self._metrics = dict(metrics)
                self._columns = dict(columns)
                self._flagged = [pointer for (pointer,) in flagged]
        finally:
            self.loaded.set()

    def _query(self, sql: str, params: dict | None = None) -> list[tuple] | None:
        """Rows of `sql`, or None when the store cannot answer (completion then keeps what it had)."""
        with self._lock:
            try:
                if self._reader is None:
                    self._reader = StoreReader(self._root)
                self._reader.refresh()
                return self._reader.execute(sql, params).fetchall()
            except (ObsqlError, duckdb.Error, OSError):
                return None
