"""Where things live under a store's root, and how a directory is recognised as a store.

```
<root>/obsql.json                                  format marker and schema version
<root>/<table>/component=<c>/date=<d>/<file>.parquet   data (tables partitioned by run)
<root>/<table>/date=<d>/<file>.parquet                 data (event tables)
<root>/_spool/<segment>.spool                       rows written before they reach Parquet (crash safety)
<root>/_compact/<id>.json                           a compaction in flight: which files it replaces
<root>/lineage/                                     the lineage index (see lineage_index)
<root>/_changed                                     its modification time says when files last changed
<root>/_changes/<table>                              ... and that of each table's (or `*`: any table's) last change
<root>/_listing/<table>.json                        a table's files as of the last change (saves walking)
<root>/_commits/<segment>-<seq>                      a flush whose files are all written (readers show its rows)
<root>/_names/<hash>.json                           a component name too long for a directory, as its path cuts it
```
Partition values are percent-encoded, which DuckDB's Hive reader decodes, so any component name is safe on disk; one
too long for a directory name is cut (a prefix and a hash) and noted under `_names/`, which readers map back.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote, unquote

from obsql.errors import StoreError
from obsql.storage.schemas import STORE_FORMAT, STORE_VERSION, TABLES

MARKER = "obsql.json"
CHANGES = "_changed"  # touched whenever files are published or removed, so readers can skip listing otherwise
TABLE_CHANGES_DIR = "_changes"  # one mark per table, touched with the same time: a reader lists only what changed
ANY_TABLE = "*"  # the mark of a change whose tables were not named
SPOOL_DIR = "_spool"
COMPACT_DIR = "_compact"
LISTING_DIR = "_listing"
COMMITS_DIR = "_commits"
NAMES_DIR = "_names"
MAX_PATH_VALUE, PATH_PREFIX = 120, 80  # bytes of a partition value in a directory name, and of a cut one's prefix
FLUSH_STEM = re.compile(r"[0-9A-Z]{26}-\d{6}")  # how a writer names the files of one flush (after its spool)
COMPACTED_PREFIX = "c-"  # a compaction's merged file: c-<id>.parquet (a flush names its files after its spool)


def partition_date(path: str | Path) -> date | None:
    """The `date=` partition a file or directory lies in, if any."""
    for part in Path(path).parts[::-1]:
        if part.startswith("date="):
            return date.fromisoformat(part.partition("=")[2])
    return None


def default_root() -> Path:
    """`$OBSQL_STORE`, else `./obsql_store`."""
    return Path(os.environ.get("OBSQL_STORE") or "obsql_store")


def partition_dir(root: Path, table: str, key: tuple[str, ...]) -> Path:
    """The directory holding one partition of a table; `key` gives the values of its partition columns."""
    spec = TABLES[table]
    parts = [f"{col}={path_value(str(value))}" for col, value in zip(spec.partition_by, key)]
    return root.joinpath(table, *parts)


def path_value(value: str) -> str:
    """A partition value as a directory name holds it: percent-encoded (DuckDB decodes it), and bounded, since a
    name has at most 255 bytes: a longer value is cut to a readable prefix and a hash of the whole, and noted under
    `_names/` so that readers show the value itself (`long_values`)."""
    encoded = quote(value, safe="")
    if len(encoded) <= MAX_PATH_VALUE:
        return encoded
    prefix, length = [], 0
    for character in value:  # whole characters, so the prefix decodes as the value's own start
        length += len(quote(character, safe=""))
        if length > PATH_PREFIX:
            break
        prefix.append(character)
    return f"{quote(''.join(prefix), safe='')}~{_digest(value)}"


def note_long_values(root: Path, table: str, key: tuple[str, ...]) -> None:
    """Note each value of a partition key too long for a directory name, before files are written under it."""
    for column, value in zip(TABLES[table].partition_by, key):
        in_path = path_value(str(value))
        noted = root / NAMES_DIR / f"{_digest(str(value))}.json"
        if in_path != quote(str(value), safe="") and not noted.exists():
            noted.parent.mkdir(exist_ok=True)
            write_atomically(noted, json.dumps({"column": column, "value": str(value), "in_path": unquote(in_path)}))


def long_values(root: Path) -> dict[str, str]:
    """The component names too long for a directory name: what a reader finds in the path -> the name itself."""
    found = {}
    for noted in sorted((root / NAMES_DIR).glob("*.json")) if (root / NAMES_DIR).is_dir() else ():
        try:
            entry = json.loads(noted.read_text(encoding="utf-8"))
            found[entry["in_path"]] = entry["value"]
        except (OSError, ValueError, KeyError):
            continue
    return found


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def read_marker(root: Path) -> dict:
    """The store's marker, or a StoreError saying why `root` is not a readable store."""
    if not root.exists():
        raise StoreError(f"no obsql store at {root}: the path does not exist",
                         suggestion="check the path (--store, $OBSQL_STORE), log a run there to create a store, "
                                    "or run `obsql demo` to make one with the demo pipeline")
    if not root.is_dir():
        raise StoreError(f"{root} is a file, not an obsql store directory")
    marker = root / MARKER
    if not marker.exists():
        raise StoreError(f"{root} is not an obsql store (it has no {MARKER})",
                         suggestion="point --store (or $OBSQL_STORE) at a directory created by obsql")
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{marker} is unreadable: {exc}") from exc
    if info.get("format") != STORE_FORMAT:
        raise StoreError(f"{marker} does not describe an obsql store")
    if int(info.get("version", 0)) > STORE_VERSION:
        raise StoreError(f"{root} was written by a newer obsql (store version {info['version']}, "
                         f"this obsql reads up to {STORE_VERSION})", suggestion="upgrade obsql")
    return info


def create_or_open(root: Path) -> dict:
    """Open the store at `root`, creating it when the path is missing or an empty directory."""
    if root.exists() and (root / MARKER).exists():
        return read_marker(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        read_marker(root)  # raises the precise reason
    root.mkdir(parents=True, exist_ok=True)
    (root / COMMITS_DIR).mkdir(exist_ok=True)
    info = {"format": STORE_FORMAT, "version": STORE_VERSION,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_atomically(root / MARKER, json.dumps(info, indent=2) + "\n")
    return info


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def mark_changed(root: Path, tables: Iterable[str] | None = None) -> None:
    """Tell readers that the set of files of `tables` (None: of any table) changed: they list those again before
    their next query. Each table's mark is touched before the store's, with the same time."""
    now = time.time_ns()
    marks = root / TABLE_CHANGES_DIR
    names = sorted(set(tables)) if tables is not None else [ANY_TABLE]
    if not marks.exists():  # the first marks: a listing saved before them is of no table's marks
        marks.mkdir(exist_ok=True)
        names.append(ANY_TABLE)
    for name in names:
        _touch(marks / name, now)
    _touch(root / CHANGES, now)


def _touch(path: Path, ns: int) -> None:
    path.touch()
    os.utime(path, ns=(ns, ns))


def last_change(root: Path) -> int:
    """When files last changed, as `mark_changed` recorded it (0 if never)."""
    try:
        return (root / CHANGES).stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def listing_marks(root: Path, tables: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """For each table, what says whether its files changed: the marks of its own last change and of the last change
    of any table, or, after a change that left no table mark (an obsql from before them), the store's mark alone."""
    store = last_change(root)
    try:
        with os.scandir(root / TABLE_CHANGES_DIR) as entries:
            marks = {entry.name: entry.stat().st_mtime_ns for entry in entries}
    except FileNotFoundError:
        marks = {}
    if not marks or store > max(marks.values()):
        return {table: (store,) for table in tables}
    return {table: (marks.get(table, 0), marks.get(ANY_TABLE, 0)) for table in tables}


def commit(root: Path, stem: str) -> None:
    """Say that every file of the flush `stem` is written: readers show its rows from now on, in every table at once."""
    (root / COMMITS_DIR / stem).touch()


def committed_flushes(root: Path) -> frozenset[str] | None:
    """The flushes whose files readers may show, or None for a store from before commits (all files are shown)."""
    try:
        with os.scandir(root / COMMITS_DIR) as entries:
            return frozenset(entry.name for entry in entries)
    except FileNotFoundError:
        return None


def shown(path: str, committed: frozenset[str] | None) -> bool:
    """Whether a reader holding the snapshot `committed` shows the file: any file but a writer's flush not yet
    committed (a compaction's merged file, a file copied in by hand, every file of a store from before commits)."""
    if committed is None:
        return True
    stem = os.path.basename(path).rsplit(".", 1)[0]  # str, not Path: called for each of a store's 1,000s of files
    return stem in committed or FLUSH_STEM.fullmatch(stem) is None
