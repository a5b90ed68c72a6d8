"""compiler: OQL syntax trees become plans of DuckDB SQL.

`compile` finds the function for each statement kind through a table built once; there is a module per statement
family: `run_level` (runs, recent, components, stale, alerts, sql), `history`, `compare` (with drift and
adversarial), `lineage` (trace, slices, rank runs, review, flag) and `cards` (inspect). `sql` writes expressions
(one function per node kind, values always bound as parameters, identifiers quoted) and `latest`, the one spelling
of "the newest event per key"; `events` reads the flag and label event tables; `timeexpr` turns times and ranges
into bound conditions; `pipes` wraps a statement's SQL in the refinements piped after it; `plans` holds what the
engine executes: a single SQL query, or, for lineage and cards, a few SQL steps the engine runs in a loop.
`catalog` is what the compiler may ask of the store (component and metric names) to name unknown things with a
suggestion.
"""
