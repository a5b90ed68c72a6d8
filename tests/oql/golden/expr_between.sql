-- oql: runs where duration_s between 1 and 2 or duration_s not between 10 and 2e1

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("duration_s" BETWEEN $p1 AND $p2) OR ("duration_s" NOT BETWEEN $p3 AND $p4)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 1
--   $p2 = 2
--   $p3 = 10
--   $p4 = 20.0
