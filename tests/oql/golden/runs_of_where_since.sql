-- oql: runs of clean where status = 'failed' since 7 days ago | limit 5

SELECT * FROM (SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS r WHERE ("status" = $p3) ORDER BY start_time, run_id) AS q0 LIMIT 5
-- parameters:
--   $p1 = 'clean'
--   $p2 = datetime.datetime(2020, 2, 23, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 'failed'
