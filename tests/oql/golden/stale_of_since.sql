-- oql: stale of inference since 30 days ago

WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)), failed AS (SELECT k.run_id, list('check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) AS later FROM checks AS k JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed AND NOT list_contains(c.own, 'check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) GROUP BY k.run_id) SELECT c.run_id, c.component, c.start_time, c.status, list_concat(c.own, coalesce(f.later, [])) AS reasons FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)
