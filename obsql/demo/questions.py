"""The papers' four questions (4.1 to 4.4 of the system paper), asked of a demo store in OQL.

The questions live in `questions.oql`, one block per question: a `# 4.N <question>` line (`# M.N` for the
monitoring questions of the vision paper), comment lines that say what to look for, then the statements. `obsql demo` prints each answer under its question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from obsql.result import Result
from obsql.engine.session import Engine
from obsql.grammar import parse

QUESTIONS = Path(__file__).with_name("questions.oql")
_HEADING = re.compile(r"^# ([0-9A-Z]\.\d) (.*)$", re.M)


@dataclass
class Answer:
    number: str
    question: str
    explanation: str
    results: list[Result] = field(default_factory=list)


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
    for number, question, explanation, oql in blocks(QUESTIONS.read_text()):
        answer = Answer(number, question, explanation)
        script = parse(oql)
        for statement, text in zip(script.statements, script.texts):
            answer.results.append(engine.run_statement(statement, text, source=oql))
        answers.append(answer)
    return answers
