-- oql: runs where run_id like '01%' and host not like 'ci-%' and notes ilike '%retry%' and notes not ilike '%skip%'

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (((("run_id" LIKE $p1) AND (NOT ("host" LIKE $p2))) AND ("notes" ILIKE $p3)) AND (NOT ("notes" ILIKE $p4))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = '01%'
--   $p2 = 'ci-%'
--   $p3 = '%retry%'
--   $p4 = '%skip%'
