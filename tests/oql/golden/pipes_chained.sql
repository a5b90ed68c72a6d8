-- oql: recent 20 | where stale | select run_id, component | order by component asc, run_id desc | limit 3

SELECT "run_id", "component" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time DESC, run_id DESC LIMIT 20) AS q0 WHERE "stale" ORDER BY "component" ASC, "run_id" DESC LIMIT 3
