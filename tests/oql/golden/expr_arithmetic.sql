-- oql: runs | select -duration_s * 100 / 60 - 1 + .5 as score | where score > 0

SELECT * FROM (SELECT (((((-"duration_s") * $p1) / $p2) - $p3) + $p4) AS "score" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0) AS q1 WHERE ("score" > $p5)
-- parameters:
--   $p1 = 100
--   $p2 = 60
--   $p3 = 1
--   $p4 = 0.5
--   $p5 = 0
