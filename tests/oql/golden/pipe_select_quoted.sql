-- oql: runs | select "run_id" as "Run Id", end_time - start_time as took | order by "Run Id"

SELECT "run_id" AS "Run Id", ("end_time" - "start_time") AS "took" FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs ORDER BY start_time, run_id) AS q0 ORDER BY "Run Id" ASC
