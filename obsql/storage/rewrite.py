"""Replacing files of a store in one step readers see whole: what compaction, forget and retention do to files.

1. a manifest naming the files to replace (sources) and the files that will replace them (targets) is written, not
   yet committed: readers skip the targets;
2. the targets are written (or, written already where readers do not look, moved into place);
3. the manifest is committed, by one atomic rename: from that instant readers skip the sources and show the targets;
4. the sources are deleted, then the manifest.
A rewrite interrupted at any step is finished (committed) or rolled back (not) by the next one, under the same lock:
a crash leaves the old state or the new one, never a mix. Only one rewrite runs at a time in a store.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import pyarrow as pa

from obsql.errors import StoreError
from obsql.storage import live_files
from obsql.storage.ids import new_id
from obsql.storage.layout import COMPACT_DIR, COMPACTED_PREFIX, mark_changed, write_atomically
from obsql.storage.writer import write_parquet

# Told after each step of long work (compaction, forget, retain): (steps done, steps in all, what was just done), so a
# caller can show progress.
OnProgress = Callable[[int, int, str], None]


def new_target(directory: Path) -> Path:
    """A name for a file that replaces others in `directory` (compaction leaves such a file alone when alone)."""
    return directory / f"{COMPACTED_PREFIX}{new_id()}.parquet"


def staging_file(root: Path) -> Path:
    """Where a target written by another program (Spark's executors) waits, out of every table, until the rewrite
    moves it into place; one left by a stopped process is removed by the next rewrite (`finish_interrupted`)."""
    return root / COMPACT_DIR / f"{new_id()}{STAGED_SUFFIX}"


STAGED_SUFFIX = ".staged.parquet"


def replace_files(root: Path, sources: Sequence[Path], targets: Sequence[tuple[Path, "pa.Table | Path"]],
                  row_group_size: int | None = None) -> None:
    """Replace `sources` by `targets` at once: (path, its rows), or (path, a file written already, from
    `staging_file`); with no targets the sources are simply removed."""
    manifest = root / COMPACT_DIR / f"{new_id()}.json"
    manifest.parent.mkdir(exist_ok=True)
    described = {"sources": [_relative(root, path) for path in sources],
                 "targets": [_relative(root, path) for path, _ in targets], "committed": False}
    write_atomically(manifest, json.dumps(described))
    for path, rows in targets:
        if isinstance(rows, Path):
            os.replace(rows, path)
        else:
            write_parquet(rows, path, row_group_size=row_group_size)
    write_atomically(manifest, json.dumps({**described, "committed": True}))
    mark_changed(root, _tables_of(root, [*sources, *(path for path, _ in targets)]))
    _finish(root, live_files.Rewrite(str(manifest), frozenset(map(str, sources)), frozenset(), True))


def finish_interrupted(root: Path) -> None:
    """Finish the rewrites a stopped process committed; roll back those it did not; remove the files it staged.
    Call under `exclusive`."""
    for rewrite in live_files.read_rewrites(root):
        _finish(root, rewrite)
    for staged in (root / COMPACT_DIR).glob(f"*{STAGED_SUFFIX}"):
        staged.unlink(missing_ok=True)


def _finish(root: Path, rewrite: live_files.Rewrite) -> None:
    for path in rewrite.sources if rewrite.committed else rewrite.targets:
        Path(path).unlink(missing_ok=True)
    mark_changed(root, _tables_of(root, [*rewrite.sources, *rewrite.targets]))
    Path(rewrite.path).unlink(missing_ok=True)


def _tables_of(root: Path, paths) -> set[str] | None:
    """The tables (top directories under the root) the files lie in; None (any table) for a path not written
    under `root` as given, which marks every table changed (a compaction names thousands of paths: no resolving)."""
    try:
        return {Path(path).relative_to(root).parts[0] for path in paths}
    except ValueError:
        return None


def _relative(root: Path, path: Path) -> str:
    return str(Path(path).relative_to(root))


class exclusive:
    """Holds the store's rewrite lock for a `with` block: one compaction, forget or retention at a time."""

    def __init__(self, root: Path, doing: str) -> None:
        self.path = root / COMPACT_DIR / ".lock"
        self.doing = doing

    def __enter__(self) -> None:
        try:
            self.path.parent.mkdir(exist_ok=True)
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot {self.doing}: cannot lock the store ({exc.strerror}: {self.path})",
                             suggestion="run it as a user who may write the store") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise StoreError(f"cannot {self.doing}: another compaction, forget or retain is running on this store",
                             suggestion="wait for it to end and run this again") from None

    def __exit__(self, *exc_info) -> None:
        os.close(self.fd)
