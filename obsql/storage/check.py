"""`obsql check`: every file of the store that queries set aside, with why: a footer that cannot be read (a file
cut short by a full disk, say), or columns that say the file is not its table's (phantom rows otherwise)."""
from __future__ import annotations

from pathlib import Path

from obsql.storage.live_files import parquet_files, set_aside_files
from obsql.storage.reader import StoreReader
from obsql.storage.schemas import TABLES


def problem_files(root: Path) -> list[tuple[str, str]]:
    """(path, reason) for each Parquet file of the store a query would skip; reading only, nothing is changed."""
    import pyarrow.parquet as pq  # loaded here, not at import: the query path never needs it

    reader = StoreReader(root)
    bad = []
    earlier = set_aside_files()  # what this process set aside already, with why
    try:
        for table in TABLES:
            for path in parquet_files(root, table, set_aside_too=True):
                if path in earlier:
                    bad.append((path, earlier[path]))
                    continue
                try:
                    pq.ParquetFile(path).metadata
                except Exception as exc:  # any failure to parse the footer means the file is unusable
                    bad.append((path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
                    continue
                problem = reader.schema_problem(table, path)
                if problem:
                    bad.append((path, problem))
    finally:
        reader.close()
    return bad
