"""Which Parquet files of a table a reader should read right now.

A plain glob is almost right; two things make it exact. A rewrite (compaction, forget, retention) writes a manifest
naming the files it replaces and the files that replace them before it writes any, and commits it in one rename, so
the listing drops the new files before the commit and the replaced ones after it (readers never count a row twice,
nor miss one). And a file found to be corrupt is set aside for this process with a warning naming it, so one
bad file never makes the rest of the store unreadable; nothing is deleted.

Walking a large store's partitions costs a directory read each (13 ms for a year of daily partitions of five
components), so the walk is saved under `_listing/` tagged with the table's change marks and reused by later
processes until its files change again. It is saved only when the mark is settled (older than a few seconds, so any
later change gets a different mark even where file times are coarse) and trusted only while no compaction is in
flight.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from obsql.storage.layout import COMMITS_DIR, COMPACT_DIR, FLUSH_STEM, LISTING_DIR, listing_marks, write_atomically

_corrupt: dict[str, str] = {}  # absolute path -> reason, for files found unreadable in this process
SETTLED_NS = 3_000_000_000  # a change mark this old is never repeated by a later change
MAX_WALKS = 20  # walks of one listing while rewrites keep committing during it (each commit is a rare event)
CHECKED = ".checked"  # beside a table's saved listing: its files whose columns were found to be the table's


def parquet_files(root: Path, table: str, set_aside_too: bool = False) -> list[str]:
    """All published Parquet files of `table` as of one instant: a rewrite in flight shows its old files until it
    commits and its new ones after, never both and never neither. Files this process set aside are left out unless
    `set_aside_too`."""
    base = root / table
    if not base.is_dir():
        return []
    for _ in range(MAX_WALKS):
        before = {rewrite.path: rewrite for rewrite in read_rewrites(root)}
        found = sorted(_walk_parquet(str(base))) if before else _saved_or_walked(root, table)
        after = read_rewrites(root)
        if not any(_committed_during(rewrite, before) for rewrite in after):
            break  # else the walk may have passed a directory before a new file was written there: walk again
    hidden: set[str] = set()
    for rewrite in [*before.values(), *(rewrite for rewrite in after if rewrite.path not in before)]:
        hidden |= rewrite.sources if rewrite.committed else rewrite.targets
    return [f for f in found if f not in hidden and (set_aside_too or f not in _corrupt)]


def _committed_during(rewrite: Rewrite, before: dict[str, Rewrite]) -> bool:
    return rewrite.committed and not (rewrite.path in before and before[rewrite.path].committed)


def _saved_or_walked(root: Path, table: str) -> list[str]:
    """The table's files as saved at its current change marks, else walked (and saved if the marks settled)."""
    changed = list(listing_marks(root, [table])[table])
    saved = root / LISTING_DIR / f"{table}.json"
    prefix = str(root) + os.sep
    try:
        listing = json.loads(saved.read_text())
        if listing["changed"] == changed:
            return [prefix + name for name in listing["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    found = sorted(_walk_parquet(str(root / table)))
    if max(changed) and time.time_ns() - max(changed) > SETTLED_NS:
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


@dataclass(frozen=True)
class Rewrite:
    """Files being replaced by others (a compaction's merge, a forget's filtered copies), as its manifest under
    `_compact/` says: readers show the sources until the manifest is committed, the targets from then on."""

    path: str  # the manifest
    sources: frozenset[str]  # absolute paths
    targets: frozenset[str]
    committed: bool


def read_rewrites(root: Path) -> list[Rewrite]:
    """The rewrites in flight (or interrupted) in the store."""
    directory = root / COMPACT_DIR
    if not directory.is_dir():
        return []
    rewrites = []
    for path in sorted(directory.glob("*.json")):
        try:
            manifest = json.loads(path.read_text())
            sources = frozenset(str(root / source) for source in manifest["sources"])
            if "target" in manifest:  # written by obsql before rewrites: published when its one target exists
                targets, committed = frozenset([str(root / manifest["target"])]), (root / manifest["target"]).exists()
            else:
                targets, committed = frozenset(str(root / t) for t in manifest["targets"]), manifest["committed"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        rewrites.append(Rewrite(str(path), sources, targets, bool(committed)))
    return rewrites


def set_aside(path: str, reason: str) -> None:
    """Skip a corrupt file (or one that is not the table's) from now on in this process, and say so once."""
    if path not in _corrupt:
        _corrupt[path] = reason
        warnings.warn(f"obsql: skipping {path}: {reason}", stacklevel=2)


def set_aside_files() -> dict[str, str]:
    """The files this process has skipped as unreadable, with why."""
    return dict(_corrupt)
