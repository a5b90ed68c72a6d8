-- oql: expect stale of inference is not empty

-- expect (not_empty): expect stale of inference is not empty
WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own FROM runs WHERE "component" = $p1), failed AS (SELECT k.run_id, list('check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) AS later FROM checks AS k JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed AND NOT list_contains(c.own, 'check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) GROUP BY k.run_id) SELECT c.run_id, c.component, c.start_time, c.status, list_concat(c.own, coalesce(f.later, [])) AS reasons FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC
-- parameters:
--   $p1 = 'inference'
