"""Reading a store back in tests: plain SQL over the store's views."""
from __future__ import annotations

import obsql


def rows(store: "obsql.Store", sql: str, params: list | None = None) -> list[tuple]:
    """Flush what the store logged and run `sql` over its tables."""
    store.flush()
    reader = store.files.reader()
    try:
        return reader.execute(sql, params).fetchall()
    finally:
        reader.close()
