"""Which Parquet files of a table a reader should read right now.

A plain glob is almost right; two things make it exact. A compaction writes a manifest naming the files it
replaces before it publishes the merged file, so while both exist the listing drops the replaced ones (readers never
count a row twice). And a file found to be corrupt is set aside for this process with a warning naming it, so one
bad file never makes the rest of the store unreadable; nothing is deleted.
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

from obsql.storage.layout import COMPACT_DIR
from obsql.storage.schemas import TABLES

_corrupt: dict[str, str] = {}  # absolute path -> reason, for files found unreadable in this process


def parquet_files(root: Path, table: str) -> list[str]:
    """All published Parquet files of `table`, minus those a finished compaction replaced or found corrupt."""
    base = root / table
    if not base.is_dir():
        return []
    found = sorted(_walk_parquet(str(base)))
    replaced = replaced_by_compaction(root)
    return [f for f in found if f not in replaced and f not in _corrupt]


def _walk_parquet(directory: str):
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_parquet(entry.path)
        elif entry.name.endswith(".parquet") and not entry.name.startswith("."):
            yield entry.path


def replaced_by_compaction(root: Path) -> set[str]:
    """Files that a compaction has already replaced by its published output (absolute paths)."""
    replaced: set[str] = set()
    for manifest in read_manifests(root):
        if (root / manifest["target"]).exists():
            replaced.update(str(root / source) for source in manifest["sources"])
    return replaced


def read_manifests(root: Path) -> list[dict]:
    """The manifests of compactions in flight (or interrupted), with their own path under `path`."""
    directory = root / COMPACT_DIR
    if not directory.is_dir():
        return []
    manifests = []
    for path in sorted(directory.glob("*.json")):
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        manifest["path"] = str(path)
        manifests.append(manifest)
    return manifests


def set_aside(path: str, reason: str) -> None:
    """Skip a corrupt file from now on in this process, and say so once."""
    if path not in _corrupt:
        _corrupt[path] = reason
        warnings.warn(f"obsql: skipping unreadable file {path}: {reason}", stacklevel=2)


def set_aside_files() -> dict[str, str]:
    """The files this process has skipped as unreadable, with why."""
    return dict(_corrupt)


def unreadable_files(root: Path) -> list[tuple[str, str]]:
    """Every Parquet file of the store whose footer cannot be read, with the reason (for `obsql check`)."""
    import pyarrow.parquet as pq  # loaded here, not at import: the query path never needs it

    bad = []
    for table in TABLES:
        for path in parquet_files(root, table):
            try:
                pq.ParquetFile(path).metadata
            except Exception as exc:  # any failure to parse the footer means the file is unusable
                bad.append((path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    return bad
