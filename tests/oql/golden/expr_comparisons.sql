-- oql: runs where duration_s >= 1 and duration_s <= 2 and duration_s != 3 and duration_s <> 4 and duration_s < 5 and duration_s > 0 and stale = false or stale = true

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (((((((("duration_s" >= $p1) AND ("duration_s" <= $p2)) AND ("duration_s" <> $p3)) AND ("duration_s" <> $p4)) AND ("duration_s" < $p5)) AND ("duration_s" > $p6)) AND ("stale" = FALSE)) OR ("stale" = TRUE)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 1
--   $p2 = 2
--   $p3 = 3
--   $p4 = 4
--   $p5 = 5
--   $p6 = 0
