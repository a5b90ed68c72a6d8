-- Golden cases of pipes: where, select, order by, limit, group by ... aggregate.

-- oql: recent 20 | where stale | select run_id, component | order by component asc, run_id desc | limit 3

-- recent {'limit': 20}
-- step newest:
SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "date" >= $since ORDER BY start_time DESC, run_id DESC LIMIT 20
-- then, over __result:
SELECT "run_id", "component" FROM __result WHERE "stale" ORDER BY "component" ASC, "run_id" DESC LIMIT 3

-- oql: runs | limit 10 | limit 3

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 LIMIT 3

-- oql: runs | group by component aggregate count(*) as n, avg(duration_s), count(distinct host) as hosts

SELECT "component", count(*) AS "n", avg("duration_s") AS "avg(duration_s)", count(DISTINCT "host") AS "hosts" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component"

-- oql: runs | group by component, status

SELECT "component", "status", count(*) AS "count" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 GROUP BY "component", "status"

-- oql: runs | select "run_id" as "Run Id", end_time - start_time as took | order by "Run Id"

SELECT "run_id" AS "Run Id", ("end_time" - "start_time") AS "took" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 ORDER BY "Run Id" ASC

-- oql: runs of clean
-- oql: | where status = 'failed'  # a comment ends a line
-- oql: | limit 3

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "component" = $p1 ORDER BY start_time, run_id) AS q0 WHERE ("status" = $p2) LIMIT 3
-- parameters:
--   $p1 = 'clean'
--   $p2 = 'failed'
