"""docs/schema.md documents every table and column the store writes, in order, and nothing else."""
from __future__ import annotations

import re
from pathlib import Path

from obsql.storage.schemas import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"


def documented_tables() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## (\w+)$", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
            continue
        row = re.match(r"^\| (\w+) \| ", line)
        if current is not None and row and row.group(1) != "column":
            current.append(row.group(1))
    return tables


def test_every_table_and_column_is_documented_in_order():
    documented = documented_tables()
    assert set(documented) == set(TABLES)
    for name, spec in TABLES.items():
        assert documented[name] == spec.columns, name
