"""Which Parquet files of a table a reader should read right now.

A plain glob is almost right; two things make it exact. A compaction writes a manifest naming the files it
replaces before it publishes the merged file, so while both exist the listing drops the replaced ones (readers never
count a row twice). And a file found to be corrupt is set aside for this process with a warning naming it, so one
bad file never makes the rest of the store unreadable; nothing is deleted.

Walking a large store's partitions costs a directory read each (13 ms for a year of daily partitions of five
components), so the walk is saved under `_listing/` tagged with the store's change mark and reused by later
processes until files change again. It is saved only when the mark is settled (older than a few seconds, so any
later change gets a different mark even where file times are coarse) and trusted only while no compaction is in
flight.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

from obsql.storage.layout import COMPACT_DIR, LISTING_DIR, last_change, write_atomically
from obsql.storage.schemas import TABLES

_corrupt: dict[str, str] = {}  # absolute path -> reason, for files found unreadable in this process
SETTLED_NS = 3_000_000_000  # a change mark this old is never repeated by a later change


def parquet_files(root: Path, table: str) -> list[str]:
    """All published Parquet files of `table`, minus those a finished compaction replaced or found corrupt."""
    base = root / table
    if not base.is_dir():
        return []
    manifests = read_manifests(root)
    found = sorted(_walk_parquet(str(base))) if manifests else _saved_or_walked(root, table)
    replaced = _replaced_by_compaction(root, manifests)
    return [f for f in found if f not in replaced and f not in _corrupt]


def _saved_or_walked(root: Path, table: str) -> list[str]:
    """The table's files as saved at the store's current change mark, else walked (and saved if the mark settled)."""
    changed = last_change(root)
    saved = root / LISTING_DIR / f"{table}.json"
    prefix = str(root) + os.sep
    try:
        listing = json.loads(saved.read_text())
        if listing["changed"] == changed:
            return [prefix + name for name in listing["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = sorted(_walk_parquet(str(root / table)))
    if changed and time.time_ns() - changed > SETTLED_NS:
        try:
            saved.parent.mkdir(exist_ok=True)
            write_atomically(saved, json.dumps({"changed": changed, "files": [f[len(prefix):] for f in found]}))
        except OSError:  # a read-only store is read by walking every time
            pass
    return found


def forget_listings(root: Path) -> None:
    """Drop the saved listings (a listed file vanished without a change mark: someone removed it by hand)."""
    for saved in (root / LISTING_DIR).glob("*.json"):
        saved.unlink(missing_ok=True)


def _walk_parquet(directory: str):
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_parquet(entry.path)
        elif entry.name.endswith(".parquet") and not entry.name.startswith("."):
            yield entry.path


def _replaced_by_compaction(root: Path, manifests: list[dict]) -> set[str]:
    """Files that a compaction has already replaced by its published output (absolute paths)."""
    replaced: set[str] = set()
    for manifest in manifests:
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
