"""client: the execution layer that wraps a user's pipeline code.

`component` defines components and their triggers, `runner` executes a run (the decorator and the `with` block),
`capture` reads a function's locals at return cheaply, `values` turns logged values into pointers (with samples and
summaries for dataframes), `dependencies` works out dependencies and staleness, `logger` turns a finished run into
rows for the store, and `events` writes the rows that come later (flags, late labels). Every row the store holds is
written here. Data flows one way: client -> storage.
"""
