"""OpenLineage in and out: RunEvents (the spec's JSON) become obsql runs, and obsql's runs become RunEvents.

`events` reads and checks events into dataclasses, `pairing` merges the events of one runId into one run (a pure
function, shared by a file's import and the server's requests), `naming` maps namespaces, names and run ids each
way, `facets` maps dataset facets to column summaries and back, `importer` logs the runs through the client (every
row is written there), and `exporter` reads runs through the engine and writes START and COMPLETE (or FAIL) events.
docs/openlineage.md has the mapping table.
"""
