"""The papers' four questions (4.1 to 4.4 of the system paper), asked of a demo store in OQL.

The questions live in `questions.oql`, one block per question: a `# 4.N <question>` line (`# M.N` for the
monitoring questions of the vision paper), comment lines that say what to look for, then the statements. `obsql demo`
prints each answer under its question. A question is asked only of a store whose runs reach the last day its
statements name (`@2020-04-20`); on a shorter demo (`obsql demo --days 10`) it says how many days it needs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from obsql.demo.pipeline import START
from obsql.engine.session import Engine
from obsql.grammar import parse
from obsql.result import Result

QUESTIONS = Path(__file__).with_name("questions.oql")
_HEADING = re.compile(r"^# ([0-9A-Z]\.\d) (.*)$", re.M)
_DAY = re.compile(r"@(\d{4}-\d{2}-\d{2})")


@dataclass
class Answer:
    number: str
    question: str
    explanation: str
    results: list[Result] = field(default_factory=list)
    unasked: str | None = None  # why the question was not asked of this store


def blocks(text: str) -> list[tuple[str, str, str, str]]:
    """(number, question, explanation, OQL) for each question block of the file."""
    headings = list(_HEADING.finditer(text))
    found = []
    for heading, following in zip(headings, [*headings[1:], None]):
        body = text[heading.end(): following.start() if following else len(text)]
        explanation = " ".join(line[2:].strip() for line in body.splitlines() if line.startswith("# "))
        found.append((heading.group(1), heading.group(2), explanation, body))
    return found


def ask(engine: Engine) -> list[Answer]:
    """Run every question's statements; each answer keeps its results in order."""
    answers = []
    last_run = engine.query("SELECT max(start_time) FROM runs")[0][0]
    for number, question, explanation, oql in blocks(QUESTIONS.read_text()):
        answer = Answer(number, question, explanation, unasked=_too_short(oql, last_run and last_run.date()))
        script = parse(oql) if answer.unasked is None else parse("")
        for statement, text in zip(script.statements, script.texts):
            answer.results.append(engine.run_statement(statement, text, source=oql))
        answers.append(answer)
    return answers


def _too_short(oql: str, last_day: date | None) -> str | None:
    """Why the store's runs do not reach the last day the statements name (the day before a range's end), if so."""
    named = [date.fromisoformat(day) for day in _DAY.findall(oql)]
    if not named:
        return None
    needed = max(named) - timedelta(days=1)
    if last_day is not None and last_day >= needed:
        return None
    ends = f"end on {last_day}" if last_day else "are none"
    return (f"not asked: it needs runs up to {needed} and this store's {ends} "
            f"(obsql demo --days {(needed - START).days + 1} logs enough)")
