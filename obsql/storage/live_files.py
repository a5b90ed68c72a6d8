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

from obsql.storage.layout import COMMITS_DIR, COMPACT_DIR, FLUSH_STEM, LISTING_DIR, last_change, write_atomically

_corrupt: dict[str, str] = {}  # absolute path -> reason, for files found unreadable in this process
SETTLED_NS = 3_000_000_000  # a change mark this old is never repeated by a later change
CHECKED = ".checked"  # beside a table's saved listing: its files whose columns were found to be the table's


def parquet_files(root: Path, table: str, set_aside_too: bool = False) -> list[str]:
    """All published Parquet files of `table`, minus those a finished compaction replaced and (unless
    `set_aside_too`) those this process set aside."""
    base = root / table
    if not base.is_dir():
        return []
    manifests = read_manifests(root)
    found = sorted(_walk_parquet(str(base))) if manifests else _saved_or_walked(root, table)
    replaced = _replaced_by_compaction(root, manifests)
    return [f for f in found if f not in replaced and (set_aside_too or f not in _corrupt)]


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


def checked_files(root: Path, table: str) -> set[str]:
    """The table's files whose columns a reader found to be the table's, as saved beside the listings."""
    prefix = str(root) + os.sep
    try:
        lines = (root / LISTING_DIR / f"{table}{CHECKED}").read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {prefix + line for line in lines if line}


def note_checked(root: Path, table: str, paths: list[str], replace: bool = False) -> None:
    """Save that these files' columns are the table's (added, or `replace`-ing the list); a read-only store is
    checked again by each process instead."""
    prefix = str(root) + os.sep
    text = "".join(path[len(prefix):] + "\n" for path in paths)
    saved = root / LISTING_DIR / f"{table}{CHECKED}"
    try:
        saved.parent.mkdir(exist_ok=True)
        if replace:
            write_atomically(saved, text)
        else:
            with open(saved, "a", encoding="utf-8") as out:  # one append each: concurrent readers do not clash
                out.write(text)
    except OSError:
        pass


def commit_existing(root: Path, tables) -> None:
    """Commit every flush already in a store from before commits, all at once (its readers showed them all)."""
    if (root / COMMITS_DIR).exists():
        return
    building = root / f".{COMMITS_DIR}.{os.getpid()}.new"
    building.mkdir(exist_ok=True)
    for table in tables:
        for path in _walk_parquet(str(root / table)) if (root / table).is_dir() else ():
            if FLUSH_STEM.fullmatch(Path(path).stem):
                (building / Path(path).stem).touch()
    try:
        os.rename(building, root / COMMITS_DIR)
    except OSError:  # another writer did it first
        for marker in building.iterdir():
            marker.unlink()
        building.rmdir()


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
    """Skip a corrupt file (or one that is not the table's) from now on in this process, and say so once."""
    if path not in _corrupt:
        _corrupt[path] = reason
        warnings.warn(f"obsql: skipping {path}: {reason}", stacklevel=2)


def set_aside_files() -> dict[str, str]:
    """The files this process has skipped as unreadable, with why."""
    return dict(_corrupt)
