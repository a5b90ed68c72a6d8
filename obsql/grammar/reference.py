"""The language reference read by statement: the form, the examples and what it returns, for the shell's `.help trace`.

The text is docs/oql.md itself (shipped in the package as `oql.md`, a link to it in a checkout), so help inside the
shell says exactly what the reference says. Each `### ` heading of its Statements part names the statement keywords
it covers (`### flag, unflag, review`); under it come the form in backticks, the examples in a fenced block, then
the description, whose first sentence is the summary.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from obsql.grammar.language import language

REFERENCE = Path(__file__).with_name("oql.md")
_FENCE = "```"


@dataclass(frozen=True)
class StatementHelp:
    heading: str  # as the reference titles it: `trace outputs`
    forms: tuple[str, ...]  # the syntax, one form a line
    examples: tuple[str, ...]
    summary: str  # the description's first sentence

    def text(self) -> str:
        lines = [*self.forms, *(f"  e.g. {example}" for example in self.examples[:3])]
        return "\n".join(lines + ([f"  {self.summary}"] if self.summary else []))


def statement_help(keyword: str) -> list[StatementHelp]:
    """The reference's sections about a statement keyword (`trace` has two: trace, trace outputs), in its order."""
    return [section for section in _sections() if keyword.lower() in _keywords_of(section.heading)]


def _keywords_of(heading: str) -> set[str]:
    words = set(re.findall(r"[a-z]+", heading.lower()))
    return words & set(language().statement_keywords)


@functools.lru_cache(maxsize=1)
def _sections() -> tuple[StatementHelp, ...]:
    text = REFERENCE.read_text(encoding="utf-8")
    statements = text.split("\n## Statements", 1)[1].split("\n## ", 1)[0]
    return tuple(_section(part) for part in statements.split("\n### ")[1:])


def _section(part: str) -> StatementHelp:
    heading, _, body = part.partition("\n")
    before, _, rest = body.partition(_FENCE)
    examples, _, after = rest.partition(_FENCE)
    forms = tuple(form.strip("` ") for form in re.findall(r"`[^`]+`", before))
    return StatementHelp(heading.strip(), forms, tuple(line.strip() for line in examples.splitlines() if line.strip()
                                                      and not line.startswith("#")), _first_sentence(after))


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    match = re.match(r"(.+?\.)(?:\s|$)", paragraph)
    return match.group(1) if match else paragraph
