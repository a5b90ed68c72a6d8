"""docs/serve.md's OpenLineage examples are what the server takes: the curl START, then the Java client's COMPLETE,
make the run the page says, with the answers it shows."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.serve.conftest import AUTH

DOCS = Path(__file__).resolve().parents[2] / "docs" / "serve.md"


def examples() -> tuple[dict, str, dict, str]:
    """The curl START with the answer under it, and the COMPLETE JSON block with the answer after it."""
    text = DOCS.read_text(encoding="utf-8")
    start, start_answer = re.search(r"/api/v1/lineage\" -d '(\{.*?\})'\n# (\{.*?\})\n", text, re.S).groups()
    complete = re.search(r"```json\n(\{\"eventType\": \"COMPLETE\".*?)\n```", text, re.S).group(1)
    complete_answer = re.search(r"it answers `(\{.*?\})`", text, re.S).group(1)
    return json.loads(start), start_answer, json.loads(complete), complete_answer


def test_the_documented_events_log_the_documented_run(writer):
    start, start_answer, complete, complete_answer = examples()
    assert writer.post("/api/v1/lineage", json=start, headers=AUTH).json() == json.loads(start_answer)
    assert writer.post("/api/v1/lineage", json=complete, headers=AUTH).json() == json.loads(complete_answer)
    run = writer.get("/api/v1/query", params={"q": "history 'shop::aggregate_daily' metric output_rows"}).json()
    assert [row[-1] for row in run["rows"]] == [31.0]
