"""SQL laid out over lines for people (`obsql explain`): a line per clause, subqueries indented.

Only whitespace between tokens changes, never a token, so the SQL shown is the SQL that runs, parameters and all
(a pretty-printer that rebuilds the query, as sqlglot's does, renames functions DuckDB would not take back).
A clause starts a line at the top level and inside a subquery's parentheses, not inside a function's or a
window's (`list(tag ORDER BY ts)`, `OVER (PARTITION BY name ORDER BY ts)` stay on their line).
"""
from __future__ import annotations

import re

INDENT = "  "
_CLAUSE = re.compile(r"(?:WITH|SELECT|FROM|WHERE|GROUP BY|HAVING|QUALIFY|ORDER BY|LIMIT|OFFSET|UNION ALL|UNION|EXCEPT|"
                     r"INTERSECT|(?:LEFT |RIGHT |FULL OUTER |INNER |CROSS )?JOIN)\b", re.I)
_OPENS_QUERY = re.compile(r"\s*(?:SELECT|WITH)\b", re.I)


def layout(sql: str) -> str:
    """The statement with each clause on its own line, indented by how deep in subqueries it is."""
    out: list[str] = []
    scopes: list[bool] = []  # for each open parenthesis: whether it holds a subquery
    at = 0
    while at < len(sql):
        char = sql[at]
        if char in "'\"":
            end = _quoted_end(sql, at)
            out.append(sql[at:end])
            at = end
            continue
        if char == "(":
            scopes.append(bool(_OPENS_QUERY.match(sql, at + 1)))
        elif char == ")" and scopes:
            scopes.pop()
        elif char == " " and (not scopes or scopes[-1]) and _starts_clause(sql, at + 1):
            depth = sum(scopes)
            out.append("\n" + INDENT * depth)
            at += 1
            continue
        out.append(char)
        at += 1
    return "".join(out)


def layout_explained(text: str) -> str:
    """An explain text (SQL lines between `--` comment lines) with each SQL line laid out."""
    return "\n".join(line if line.startswith("--") else layout(line) for line in text.split("\n"))


def _starts_clause(sql: str, at: int) -> bool:
    """Whether a clause begins at `at` (a JOIN after LEFT, FULL OUTER ... belongs to the words before it)."""
    if not _CLAUSE.match(sql, at) or (at > 0 and (sql[at - 1].isalnum() or sql[at - 1] == "_")):
        return False
    return not (sql[at:at + 4].upper() == "JOIN" and _JOIN_PREFIX.search(sql, 0, at))


_JOIN_PREFIX = re.compile(r"(?:LEFT|RIGHT|OUTER|INNER|CROSS) $", re.I)


def _quoted_end(sql: str, start: int) -> int:
    """Where a quoted text that starts at `start` ends (a doubled quote is one quote inside it)."""
    mark, at = sql[start], start + 1
    while at < len(sql):
        if sql[at] == mark:
            if at + 1 < len(sql) and sql[at + 1] == mark:
                at += 2
                continue
            return at + 1
        at += 1
    return len(sql)
