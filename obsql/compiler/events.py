"""The event tables as statements read them: the flag each pointer carries now, the label each id got last.

Nothing in an event table is updated in place (the client appends; see `obsql.client.events`), so each is read as
the latest event per key (`sql.latest`).
"""
from __future__ import annotations

from obsql.compiler.sql import latest

# The pointers flagged now, in order.
FLAGGED_NOW = f"SELECT pointer FROM ({latest('flags', 'pointer, flagged', 'pointer')}) AS f WHERE flagged ORDER BY pointer"
# The latest label that arrived for each prediction id.
LATEST_LABELS = latest("feedback", "id, label", "id", where="label IS NOT NULL")
