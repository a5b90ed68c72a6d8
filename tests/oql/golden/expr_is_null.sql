-- oql: runs where error is not null and notes is null or git_commit = null

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE ((("error" IS NOT NULL) AND ("notes" IS NULL)) OR ("git_commit" = NULL)) ORDER BY start_time, run_id
