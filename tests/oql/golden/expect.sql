-- Golden cases of expect: is empty, is not empty, and a condition over the rows.

-- oql: expect runs where status = 'failed' since 1 day ago is empty

-- expect (empty): expect runs where status = 'failed' since 1 day ago is empty
SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "start_time" >= CAST($p1 AS TIMESTAMPTZ) AND "date" >= CAST($p1 AS DATE)) AS r WHERE ("status" = $p2) ORDER BY start_time, run_id
-- parameters:
--   $p1 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p2 = 'failed'

-- oql: expect stale of inference is not empty

-- expect (not_empty): expect stale of inference is not empty
WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own FROM runs WHERE "component" = $p1), failed AS (SELECT k.run_id, list('check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) AS later FROM checks AS k JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed AND NOT list_contains(c.own, 'check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) GROUP BY k.run_id) SELECT c.run_id, c.component, c.start_time, c.status, list_concat(c.own, coalesce(f.later, [])) AS reasons FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC
-- parameters:
--   $p1 = 'inference'

-- oql: expect runs of etl since 1 day ago | count(*) = 24 and max(duration_s) < 60

-- expect (condition): expect runs of etl since 1 day ago | count(*) = 24 and max(duration_s) < 60
SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE) ORDER BY start_time, run_id
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 24
--   $p4 = 60
-- assertion over __result:
SELECT ((count(*) = $p3) AND (max("duration_s") < $p4)) AS passed, count(*) AS "count(*)", max("duration_s") AS "max(duration_s)" FROM __result
-- parameters:
--   $p1 = 'etl'
--   $p2 = datetime.datetime(2020, 2, 29, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 24
--   $p4 = 60

-- oql: expect alerts of inference is empty

-- expect (empty): expect alerts of inference is empty
SELECT component, metric, ts AS since, value, op, bound, run_id, message FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state, row_number() OVER (PARTITION BY component, metric ORDER BY ts DESC) AS newest FROM alerts) AS latest WHERE newest = 1) AS a WHERE state = 'violated' AND "component" = $p1 ORDER BY since DESC, component, metric
-- parameters:
--   $p1 = 'inference'
