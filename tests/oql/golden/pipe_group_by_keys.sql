-- oql: runs | group by component, status

SELECT "component", "status", count(*) AS "count" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component", "status"
