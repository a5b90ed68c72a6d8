-- oql: runs where (status = 'failed' or stale) and not error is null

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE ((("status" = $p1) OR "stale") AND (NOT ("error" IS NULL))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'failed'
