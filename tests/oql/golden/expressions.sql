-- Golden cases of expressions: logic, comparisons, patterns, lists, between, null, arithmetic, quoting, functions.

-- oql: runs where (status = 'failed' or stale) and not error is null

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE ((("status" = $p1) OR "stale") AND (NOT ("error" IS NULL))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'failed'

-- oql: runs where duration_s >= 1 and duration_s <= 2 and duration_s != 3 and duration_s <> 4 and duration_s < 5 and duration_s > 0 and stale = false or stale = true

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (((((((("duration_s" >= $p1) AND ("duration_s" <= $p2)) AND ("duration_s" <> $p3)) AND ("duration_s" <> $p4)) AND ("duration_s" < $p5)) AND ("duration_s" > $p6)) AND ("stale" = FALSE)) OR ("stale" = TRUE)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 1
--   $p2 = 2
--   $p3 = 3
--   $p4 = 4
--   $p5 = 5
--   $p6 = 0

-- oql: runs where run_id like '01%' and host not like 'ci-%' and notes ilike '%retry%' and notes not ilike '%skip%'

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (((("run_id" LIKE $p1) AND (NOT ("host" LIKE $p2))) AND ("notes" ILIKE $p3)) AND (NOT ("notes" ILIKE $p4))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = '01%'
--   $p2 = 'ci-%'
--   $p3 = '%retry%'
--   $p4 = '%skip%'

-- oql: runs where component in ('etl', 'clean') and status not in ('ok')

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("component" IN ($p1, $p2)) AND ("status" NOT IN ($p3))) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = 'clean'
--   $p3 = 'ok'

-- oql: runs where duration_s between 1 and 2 or duration_s not between 10 and 2e1

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("duration_s" BETWEEN $p1 AND $p2) OR ("duration_s" NOT BETWEEN $p3 AND $p4)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 1
--   $p2 = 2
--   $p3 = 10
--   $p4 = 20.0

-- oql: runs where error is not null and notes is null or git_commit = null

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE ((("error" IS NOT NULL) AND ("notes" IS NULL)) OR ("git_commit" = NULL)) ORDER BY start_time, run_id

-- oql: runs | select -duration_s * 100 / 60 - 1 + .5 as score | where score > 0

SELECT * FROM (SELECT (((((-"duration_s") * $p1) / $p2) - $p3) + $p4) AS "score" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0) AS q1 WHERE ("score" > $p5)
-- parameters:
--   $p1 = 100
--   $p2 = 60
--   $p3 = 1
--   $p4 = 0.5
--   $p5 = 0

-- oql: runs where notes = 'it''s done' and host = 'a # b'

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("notes" = $p1) AND ("host" = $p2)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = "it's done"
--   $p2 = 'a # b'

-- oql: runs | group by component aggregate quantile(duration_s, 0.9) as p90, median(duration_s), null_frac(error), sum(duration_s), min(start_time), max(end_time)

SELECT "component", quantile_cont("duration_s", $p1) AS "p90", quantile_cont("duration_s", 0.5) AS "median(duration_s)", avg(CASE WHEN "error" IS NULL THEN 1.0 ELSE 0.0 END) AS "null_frac(error)", sum("duration_s") AS "sum(duration_s)", min("start_time") AS "min(start_time)", max("end_time") AS "max(end_time)" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component"
-- parameters:
--   $p1 = 0.9
