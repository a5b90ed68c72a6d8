-- oql: runs where component in ('etl', 'clean') and status not in ('ok')

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("component" IN ($p1, $p2)) AND ("status" NOT IN ($p3))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = 'clean'
--   $p3 = 'ok'
