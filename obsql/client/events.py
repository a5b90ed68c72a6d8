"""Rows that come after their run: flags and tags people set, notes they add, and labels that arrive late.

These tables are event logs partitioned by date: nothing is updated in place, the latest event per key wins when
read. Every row format of the store is written by the client; the query engine hands `flag`, `tag` and `note`
statements here.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from obsql.client.clock import micros, now, utc
from obsql.storage.store import ParquetStore


def _append_events(store: ParquetStore, table: str, columns: dict[str, list]) -> None:
    """Append rows (all as of now) to an event table in one write, and make them visible to queries at once."""
    moment = datetime.now(timezone.utc)
    rows = len(next(iter(columns.values())))
    if not rows:
        return
    store.writer.append([(table, (moment.date().isoformat(),), {**columns, "ts": [micros(moment)] * rows})])
    store.flush()


def write_flags(store: ParquetStore, pointers: Sequence[str], flagged: bool) -> None:
    """Append one flag event per pointer, all in one write."""
    _append_events(store, "flags", {"pointer": list(pointers), "flagged": [flagged] * len(pointers)})


def write_tags(store: ParquetStore, component: str, tags: Sequence[str], tagged: bool) -> None:
    """Append one tag event per tag of a component (added, or removed), all in one write."""
    _append_events(store, "tag_events", {"component": [component] * len(tags), "tag": list(tags),
                                         "tagged": [tagged] * len(tags)})


def write_note(store: ParquetStore, run_id: str, note: str) -> None:
    """Append a note to a run (notes accumulate: each is kept with its time)."""
    _append_events(store, "run_notes", {"run_id": [run_id], "note": [note]})


def write_feedback(store: ParquetStore, ids: Sequence[str] | str, labels: Sequence[Any] | Any,
                   ts: datetime | Sequence[datetime] | None = None) -> None:
    """Append labels for prediction ids (one label per id; `ts` one time for all, or one per id, else now)."""
    ids = [ids] if isinstance(ids, str) else [str(i) for i in ids]
    labels = list(labels) if isinstance(labels, (list, tuple)) or hasattr(labels, "__array__") else [labels]
    if len(labels) != len(ids):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels: they must pair up one to one")
    by_date: dict[str, dict[str, list]] = {}
    for pointer_id, label, moment in zip(ids, labels, _times(ts, len(ids))):
        columns = by_date.setdefault(moment.date().isoformat(), {"id": [], "label": [], "label_text": [], "ts": []})
        columns["id"].append(pointer_id)
        columns["label"].append(_as_float(label))
        columns["label_text"].append(None if label is None else str(label))
        columns["ts"].append(micros(moment))
    store.writer.append([("feedback", (day,), columns) for day, columns in by_date.items()])


def _times(ts: datetime | Sequence[datetime] | None, n: int) -> list[datetime]:
    if ts is None:
        return [now()] * n
    if isinstance(ts, datetime):
        return [utc(ts)] * n
    times = [utc(t) for t in ts]
    if len(times) != n:
        raise ValueError(f"{n} ids but {len(times)} timestamps")
    return times


def _as_float(label: Any) -> float | None:
    try:
        return float(label)
    except (TypeError, ValueError):
        return None
