"""Fuzzing OQL: every documented query, mutated token by token, run against a small store.

Every input must end as a result or as an ObsqlError; any other exception is a bug (the command line would show it
as `error (internal)`). The script counts those, and the inputs that took over two seconds:

    python benchmarks/fuzz_oql.py                      # 1,000,000 inputs
    python benchmarks/fuzz_oql.py --inputs 20000 --seed 3

The queries come from docs/oql.md's examples, the README's `obsql -c` lines, examples/*.oql and the golden
fixtures; the mutations delete, repeat, swap and replace tokens (with keywords, extreme numbers, odd characters),
cut the text short and nest expressions deep. tests/oql/test_fuzz.py runs the same mutations under hypothesis.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2020, 3, 1, tzinfo=timezone.utc)
SLOW_SECONDS = 2.0
ODD_TOKENS = ("1e309", "2147483648", "-0", "99999999999999999999999", "0.0000001", "''", "'", '"', "@9999-12-31",
              "@0001-01-01", "@2020-02-30", "(", ")", "|", ";", ",", "*", "--", "#", "\x00", "é", "模型", "\n", "  ",
              "null", "not", "-", "count(*)", "now()", "1 day ago", "between", "is empty")


def documented_queries() -> list[str]:
    """Every query the docs, the README, the examples and the golden fixtures show, one statement each."""
    found: list[str] = []
    for path in [ROOT / "docs" / "oql.md"]:
        for block in re.findall(r"```\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            found += [line.split("#")[0].strip() for line in block.splitlines()]
    found += re.findall(r'^obsql -c "(.*)"', (ROOT / "README.md").read_text(encoding="utf-8"), re.M)
    for path in sorted((ROOT / "examples").glob("*.oql")) + [ROOT / "obsql" / "demo" / "questions.oql"]:
        text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
        found += [statement.strip() for statement in text.split(";")]
    for path in sorted((ROOT / "tests" / "oql" / "golden").glob("*.sql")):
        found += re.findall(r"^-- oql: (.*)$", path.read_text(encoding="utf-8"), re.M)
    return list(dict.fromkeys(q for q in found if q and not q.startswith(("$", "obsql", "error", "hint", "^"))))


def tokens(text: str) -> list[str]:
    """The text as the grammar's scan reads it, spaces and all (so joining them gives the text back)."""
    from obsql.grammar.language import language

    return [str(token) for token in language().scan(text)]


def mutate(text: str, rng: random.Random, times: int = 2) -> str:
    """`text` changed `times` times at random places."""
    parts = tokens(text)
    for _ in range(times):
        parts = MUTATIONS[rng.randrange(len(MUTATIONS))](parts or [""], rng)
    return "".join(parts)


def _delete(parts: list[str], rng: random.Random) -> list[str]:
    at = rng.randrange(len(parts))
    return parts[:at] + parts[at + 1:]


def _repeat(parts: list[str], rng: random.Random) -> list[str]:
    at = rng.randrange(len(parts))
    return parts[:at + 1] + [" ", parts[at]] + parts[at + 1:]


def _swap(parts: list[str], rng: random.Random) -> list[str]:
    if len(parts) < 2:
        return parts
    at = rng.randrange(len(parts) - 1)
    return parts[:at] + [parts[at + 1], parts[at]] + parts[at + 2:]


def _replace(parts: list[str], rng: random.Random) -> list[str]:
    from obsql.grammar import KEYWORDS

    at = rng.randrange(len(parts))
    choice = rng.choice(ODD_TOKENS) if rng.random() < 0.6 else rng.choice(KEYWORDS)
    return parts[:at] + [f" {choice} "] + parts[at + 1:]


def _cut(parts: list[str], rng: random.Random) -> list[str]:
    return parts[:rng.randrange(len(parts) + 1)]


def _nest(parts: list[str], rng: random.Random) -> list[str]:
    depth = rng.choice((10, 99, 101, 1000))
    opener, closer = rng.choice((("not ", ""), ("-", ""), ("(", ")"), ("abs(", ")")))
    at = rng.randrange(len(parts))
    return parts[:at] + [opener * depth, parts[at], closer * depth] + parts[at + 1:]


MUTATIONS = (_delete, _repeat, _swap, _replace, _cut, _nest)


def build_store(path: Path):
    """A small store of five components with metrics, values, a failed check, a flag and labels."""
    import obsql

    class Check(obsql.Component):
        def after_run(self, **locals_at_return):
            raise obsql.CheckFailed("always fails", value=1.0)

    store = obsql.connect(path)
    start = NOW - timedelta(days=10)
    for day in range(3):
        at = start + timedelta(days=day)
        with obsql.run("etl", inputs=[f"raw-{day}.csv"], outputs=["data.parquet"], start=at) as r:
            r.log_metric("rows", 100 + day)
        with obsql.run("train", inputs=["data.parquet"], outputs=["model.pkl"], start=at + timedelta(hours=1)) as r:
            r.log_metric("accuracy", 0.8)
        with obsql.run("inference", inputs=["model.pkl"], start=at + timedelta(hours=2)) as r:
            r.add_output([f"pred-{day}-{i}" for i in range(3)], values=[0.1, 0.6, 0.9])
    with obsql.run(Check("validate", raise_on_failure=False), inputs=["data.parquet"], start=start):
        pass
    obsql.log_feedback(["pred-0-0", "pred-1-1"], [0, 1], ts=NOW)
    store.flush()
    obsql.flag("pred-0-1")
    return store


def attempt(engine, text: str) -> tuple[str, float, str]:
    """('ok' | 'refused' | 'internal', seconds, the error's summary) for one input."""
    from obsql.errors import ObsqlError

    began = time.perf_counter()
    try:
        engine.run(text, now=NOW)
        outcome, detail = "ok", ""
    except ObsqlError as error:
        outcome, detail = ("internal" if error.kind == "internal" else "refused"), error.message
    except Exception as error:  # the bug this looks for
        outcome, detail = "internal", "".join(traceback.format_exception_only(type(error), error)).strip()
    return outcome, time.perf_counter() - began, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    store = build_store(Path(tempfile.mkdtemp()) / "fuzz")
    engine = store.engine
    queries = documented_queries()
    rng = random.Random(args.seed)
    counts: Counter = Counter()
    internal: Counter = Counter()
    slow: list[tuple[float, str]] = []
    began = time.perf_counter()
    for n in range(args.inputs):
        text = mutate(rng.choice(queries), rng, rng.choice((1, 2, 3)))
        outcome, seconds, detail = attempt(engine, text)
        counts[outcome] += 1
        if outcome == "internal":
            internal[detail.splitlines()[-1][:120]] += 1
            if internal[detail.splitlines()[-1][:120]] == 1:
                print(f"internal error on {text!r}: {detail}", flush=True)
        if seconds > SLOW_SECONDS:
            slow.append((seconds, text))
        if (n + 1) % 50_000 == 0:
            print(f"  {n + 1:,} inputs, {time.perf_counter() - began:.0f} s: {dict(counts)}", flush=True)
    print(f"{args.inputs:,} inputs from {len(queries)} documented queries in {time.perf_counter() - began:.0f} s: "
          f"{counts['ok']:,} answered, {counts['refused']:,} refused with an obsql error, "
          f"{counts['internal']:,} internal errors, {len(slow):,} over {SLOW_SECONDS:g} s")
    for detail, count in internal.most_common(10):
        print(f"  internal x{count}: {detail}")
    for seconds, text in sorted(slow, reverse=True)[:10]:
        print(f"  slow {seconds:.1f} s: {text!r}")


if __name__ == "__main__":
    main()
