"""Cards: one run or one pointer, everything about it, as rows of (section, field, value, detail)."""
from __future__ import annotations

from datetime import date
from typing import Any

from obsql.engine.walks import Steps, Tabular, unknown_pointer
from obsql.errors import ObsqlError, UnknownName
from obsql.result import CARD_COLUMNS, iso_time


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return iso_time(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


class _Card:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def add(self, section: str, field: str, value: Any = None, detail: Any = None) -> None:
        self.rows.append({"section": section, "field": _text(field), "value": _text(value), "detail": _text(detail)})

    def table(self) -> Tabular:
        return Tabular.of(CARD_COLUMNS, self.rows)


def resolve_run(steps: Steps, prefix: str) -> dict:
    """The run a (case-insensitive, unique) id prefix names."""
    prefix = prefix.strip().upper()
    if not prefix:
        raise ObsqlError("input", "give a run id or the start of one")
    matches = steps.dicts("resolve", prefix=prefix, prefix_end=prefix + "\uffff")
    if not matches:
        raise UnknownName(f"no run id starts with '{prefix}'", suggestion="`recent` lists the latest runs")
    if len(matches) > 1:
        listed = ", ".join(m["run_id"] for m in matches[:4])
        raise ObsqlError("input", f"'{prefix}' matches several runs ({listed}{', ...' if len(matches) > 4 else ''})",
                         suggestion="type more of the id")
    return matches[0]


def run_card(steps: Steps, prefix: str) -> Tabular:
    """A run: what it is, its staleness, inputs and outputs, dependencies, checks, metrics, code."""
    found = resolve_run(steps, prefix)
    where = {"component": found["component"], "start_time": found["start_time"], "run_id": found["run_id"]}
    run = steps.dicts("run", **where)[0]
    card = _Card()
    card.add("run", "run_id", run["run_id"])
    card.add("run", "component", found["component"])
    card.add("run", "start_time", run["start_time"])
    card.add("run", "end_time", run["end_time"])
    card.add("run", "duration_s", (run["end_time"] - run["start_time"]).total_seconds())
    card.add("run", "status", run["status"], _last_line(run["error"]))
    for name in ("git_commit", "host", "pid", "notes"):
        if run[name] not in (None, ""):
            card.add("run", name, run[name])
    card.add("staleness", "stale", run["stale"])
    for reason in run["stale_reasons"] or []:
        card.add("staleness", "reason", reason)
    producers = {d["pointer"]: d for d in steps.dicts("deps", **where)}
    for io in steps.dicts("io", **where):
        dep = producers.get(io["pointer"])
        detail = f"from {dep['dep_component']} run {dep['dep_run_id']}" if dep else None
        if io["direction"] == "output" and io["value"] is not None:
            detail = f"value {io['value']:.6g}"
        card.add(f"{io['direction']}s", io["pointer"], io["pointer_type"], detail)
    for dep in producers.values():
        card.add("dependencies", dep["dep_component"], dep["dep_run_id"],
                 dep["reason"] if dep["stale"] else f"via {dep['pointer']}")
    for check in steps.dicts("checks", **where):
        card.add("checks", f"{check['name']} ({check['phase']})", "passed" if check["passed"] else "FAILED",
                 check["message"] or (None if check["value"] is None else check["value"]))
    for metric in steps.dicts("metrics", **where):
        card.add("metrics", metric["name"], metric["value"])
    for note in steps.dicts("notes", run_id=run["run_id"]):
        card.add("notes", note["ts"], note["note"])
    for redaction in steps.dicts("redactions", run_id=run["run_id"]):
        card.add("redacted", redaction["ts"], f"{redaction['action']} '{redaction['pointer']}'",
                 "the data of its inputs or outputs was removed")
    if run["code_hash"]:
        source = steps.rows("code", code_hash=run["code_hash"])
        card.add("code", "hash", run["code_hash"], source[0][0] if source and source[0][0] else None)
    return card.table()


def _last_line(text: str | None) -> str | None:
    return text.strip().splitlines()[-1] if text and text.strip() else None


def pointer_card(steps: Steps, pointer: str) -> Tabular:
    """A pointer: its type, every run that wrote or read it, its flag and label, and its latest summaries."""
    uses = steps.dicts("io", pointer=pointer)
    if not uses:
        raise unknown_pointer(steps, pointer)
    card = _Card()
    card.add("pointer", "name", pointer)
    card.add("pointer", "type", uses[-1]["pointer_type"])
    flag = steps.rows("flag", pointer=pointer)
    card.add("pointer", "flagged", bool(flag and flag[0][0]), flag[0][1] if flag else None)
    label = steps.rows("feedback", pointer=pointer)
    if label:
        card.add("pointer", "label", label[0][1], f"arrived {_text(label[0][2])}")
    writes = [u for u in uses if u["direction"] == "output"]
    for version, use in enumerate(writes, start=1):
        value = f", value {use['value']:.6g}" if use["value"] is not None else ""
        card.add("written by", f"version {version}", f"{use['component']} run {use['run_id']}",
                 f"at {_text(use['end_time'])}{value}")
    for use in (u for u in uses if u["direction"] == "input"):
        card.add("read by", use["component"], use["run_id"], f"at {_text(use['start_time'])}")
    if writes:
        for summary in steps.dicts("summaries", pointer=pointer, run_id=writes[-1]["run_id"]):
            nulls = summary["nulls"] or 0
            card.add("columns", summary["column_name"], summary["kind"],
                     f"count {summary['count']}, nulls {nulls}, mean {_text(summary['mean'])}, "
                     f"min {_text(summary['min'])}, max {_text(summary['max'])}")
    return card.table()
