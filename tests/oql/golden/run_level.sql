-- Golden cases of runs, recent, components, stale, alerts and sql.

-- oql: runs of clean where status = 'failed' since 7 days ago | limit 5

SELECT * FROM (SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)) AS r WHERE ("status" = $p3) ORDER BY start_time, run_id) AS q0 LIMIT 5
-- parameters:
--   $p1 = 'clean'
--   $p2 = datetime.datetime(2020, 2, 23, 12, 0, tzinfo=datetime.timezone.utc)
--   $p3 = 'failed'

-- oql: recent

-- recent {'limit': 10}
-- step newest:
SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "date" >= $since ORDER BY start_time DESC, run_id DESC LIMIT 10

-- oql: recent 20

-- recent {'limit': 20}
-- step newest:
SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs WHERE "date" >= $since ORDER BY start_time DESC, run_id DESC LIMIT 20

-- oql: components

WITH meta AS (SELECT coalesce(c.name, e.component) AS component, c.description, c.owner, list_concat(list_filter(coalesce(c.tags, []), lambda t: NOT list_contains(coalesce(e.removed, []), t)), list_filter(coalesce(e.added, []), lambda t: NOT list_contains(coalesce(c.tags, []), t))) AS tags FROM (SELECT name, description, owner, tags FROM (SELECT name, description, owner, tags, row_number() OVER (PARTITION BY name ORDER BY ts DESC) AS newest FROM components) AS latest WHERE newest = 1) AS c FULL OUTER JOIN (SELECT component, list(tag ORDER BY ts) FILTER (WHERE tagged) AS added, list(tag) FILTER (WHERE NOT tagged) AS removed FROM (SELECT component, tag, tagged, ts FROM (SELECT component, tag, tagged, ts, row_number() OVER (PARTITION BY component, tag ORDER BY ts DESC) AS newest FROM tag_events) AS latest WHERE newest = 1) AS t GROUP BY component) AS e ON e.component = c.name), stats AS (SELECT component, count(*) AS runs, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, sum(CASE WHEN stale THEN 1 ELSE 0 END) AS stale, min(start_time) AS first_run, max(start_time) AS last_run FROM runs GROUP BY component) SELECT coalesce(s.component, m.component) AS component, m.description, m.owner, m.tags, coalesce(s.runs, 0) AS runs, coalesce(s.failed, 0) AS failed, coalesce(s.stale, 0) AS stale, s.first_run, s.last_run FROM stats AS s FULL OUTER JOIN meta AS m ON s.component = m.component ORDER BY s.first_run NULLS LAST, component

-- oql: tags

SELECT tag, list_sort(list(component)) AS components, count(*) AS n_components FROM (SELECT coalesce(c.name, e.component) AS component, c.description, c.owner, list_concat(list_filter(coalesce(c.tags, []), lambda t: NOT list_contains(coalesce(e.removed, []), t)), list_filter(coalesce(e.added, []), lambda t: NOT list_contains(coalesce(c.tags, []), t))) AS tags FROM (SELECT name, description, owner, tags FROM (SELECT name, description, owner, tags, row_number() OVER (PARTITION BY name ORDER BY ts DESC) AS newest FROM components) AS latest WHERE newest = 1) AS c FULL OUTER JOIN (SELECT component, list(tag ORDER BY ts) FILTER (WHERE tagged) AS added, list(tag) FILTER (WHERE NOT tagged) AS removed FROM (SELECT component, tag, tagged, ts FROM (SELECT component, tag, tagged, ts, row_number() OVER (PARTITION BY component, tag ORDER BY ts DESC) AS newest FROM tag_events) AS latest WHERE newest = 1) AS t GROUP BY component) AS e ON e.component = c.name) AS m, unnest(m.tags) AS t(tag) GROUP BY tag ORDER BY tag

-- oql: stale

WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own FROM runs), failed AS (SELECT k.run_id, list('check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) AS later FROM checks AS k JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed AND NOT list_contains(c.own, 'check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) GROUP BY k.run_id) SELECT c.run_id, c.component, c.start_time, c.status, list_concat(c.own, coalesce(f.later, [])) AS reasons FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC

-- oql: stale of inference since 30 days ago

WITH candidates AS (SELECT run_id, component, start_time, status, coalesce(stale_reasons, []) AS own FROM runs WHERE "component" = $p1 AND "start_time" >= CAST($p2 AS TIMESTAMPTZ) AND "date" >= CAST($p2 AS DATE)), failed AS (SELECT k.run_id, list('check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) AS later FROM checks AS k JOIN candidates AS c ON k.run_id = c.run_id WHERE NOT k.passed AND NOT list_contains(c.own, 'check ' || k.name || ' failed (' || k.phase || ')' || CASE WHEN coalesce(k.message, '') <> '' THEN ': ' || k.message ELSE '' END) GROUP BY k.run_id) SELECT c.run_id, c.component, c.start_time, c.status, list_concat(c.own, coalesce(f.later, [])) AS reasons FROM candidates AS c LEFT JOIN failed AS f ON c.run_id = f.run_id WHERE len(c.own) > 0 OR f.run_id IS NOT NULL ORDER BY c.start_time DESC, c.run_id DESC
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: alerts

SELECT component, metric, ts AS since, value, op, bound, run_id, message FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state, row_number() OVER (PARTITION BY component, metric ORDER BY ts DESC) AS newest FROM alerts) AS latest WHERE newest = 1) AS a WHERE state = 'violated' ORDER BY since DESC, component, metric

-- oql: alerts of inference since 30 days ago

SELECT component, metric, ts AS since, value, op, bound, run_id, message FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state FROM (SELECT component, metric, ts, value, op, bound, run_id, message, state, row_number() OVER (PARTITION BY component, metric ORDER BY ts DESC) AS newest FROM alerts) AS latest WHERE newest = 1) AS a WHERE state = 'violated' AND "component" = $p1 AND ts >= CAST($p2 AS TIMESTAMPTZ) ORDER BY since DESC, component, metric
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: sql select component, count(*) as runs from runs group by 1 order by 2 desc

select component, count(*) as runs from runs group by 1 order by 2 desc

-- oql: alerts all

WITH episodes AS (SELECT v.component, v.metric, v.ts AS since, (SELECT min(r.ts) FROM alerts AS r WHERE r.component = v.component AND r.metric = v.metric AND r.state = 'resolved' AND r.ts > v.ts) AS until, v.value, v.op, v.bound, v.run_id, v.message, v.direction FROM alerts AS v WHERE v.state = 'violated') SELECT e.component, e.metric, e.since, e.until, date_diff('millisecond', e.since, e.until) / 1000.0 AS duration_s, CASE WHEN e.direction = 'down' OR (e.direction IS NULL AND e.op IN ('>=', '>')) THEN least(e.value, min(m.value)) ELSE greatest(e.value, max(m.value)) END AS worst, e.op, e.bound, e.run_id, e.message FROM episodes AS e LEFT JOIN metrics AS m ON m."component" = e.component AND m.name = e.metric AND m.start_time > e.since AND (e.until IS NULL OR m.start_time < e.until) GROUP BY e.component, e.metric, e.since, e.until, e.value, e.op, e.bound, e.run_id, e.message, e.direction ORDER BY e.since DESC, e.component, e.metric

-- oql: alerts all of inference since 30 days ago

WITH episodes AS (SELECT v.component, v.metric, v.ts AS since, (SELECT min(r.ts) FROM alerts AS r WHERE r.component = v.component AND r.metric = v.metric AND r.state = 'resolved' AND r.ts > v.ts) AS until, v.value, v.op, v.bound, v.run_id, v.message, v.direction FROM alerts AS v WHERE v.state = 'violated') SELECT e.component, e.metric, e.since, e.until, date_diff('millisecond', e.since, e.until) / 1000.0 AS duration_s, CASE WHEN e.direction = 'down' OR (e.direction IS NULL AND e.op IN ('>=', '>')) THEN least(e.value, min(m.value)) ELSE greatest(e.value, max(m.value)) END AS worst, e.op, e.bound, e.run_id, e.message FROM episodes AS e LEFT JOIN metrics AS m ON m."component" = e.component AND m.name = e.metric AND m.start_time > e.since AND (e.until IS NULL OR m.start_time < e.until) WHERE e."component" = $p1 AND e.since >= CAST($p2 AS TIMESTAMPTZ) GROUP BY e.component, e.metric, e.since, e.until, e.value, e.op, e.bound, e.run_id, e.message, e.direction ORDER BY e.since DESC, e.component, e.metric
-- parameters:
--   $p1 = 'inference'
--   $p2 = datetime.datetime(2020, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)

-- oql: tag inference 'prod', 'reviewed'

-- tag {'component': 'inference', 'tags': ['prod', 'reviewed'], 'tagged': True}

-- oql: untag inference 'reviewed'

-- tag {'component': 'inference', 'tags': ['reviewed'], 'tagged': False}

-- oql: components where list_contains(tags, 'taxi')

SELECT * FROM (WITH meta AS (SELECT coalesce(c.name, e.component) AS component, c.description, c.owner, list_concat(list_filter(coalesce(c.tags, []), lambda t: NOT list_contains(coalesce(e.removed, []), t)), list_filter(coalesce(e.added, []), lambda t: NOT list_contains(coalesce(c.tags, []), t))) AS tags FROM (SELECT name, description, owner, tags FROM (SELECT name, description, owner, tags, row_number() OVER (PARTITION BY name ORDER BY ts DESC) AS newest FROM components) AS latest WHERE newest = 1) AS c FULL OUTER JOIN (SELECT component, list(tag ORDER BY ts) FILTER (WHERE tagged) AS added, list(tag) FILTER (WHERE NOT tagged) AS removed FROM (SELECT component, tag, tagged, ts FROM (SELECT component, tag, tagged, ts, row_number() OVER (PARTITION BY component, tag ORDER BY ts DESC) AS newest FROM tag_events) AS latest WHERE newest = 1) AS t GROUP BY component) AS e ON e.component = c.name), stats AS (SELECT component, count(*) AS runs, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, sum(CASE WHEN stale THEN 1 ELSE 0 END) AS stale, min(start_time) AS first_run, max(start_time) AS last_run FROM runs GROUP BY component) SELECT coalesce(s.component, m.component) AS component, m.description, m.owner, m.tags, coalesce(s.runs, 0) AS runs, coalesce(s.failed, 0) AS failed, coalesce(s.stale, 0) AS stale, s.first_run, s.last_run FROM stats AS s FULL OUTER JOIN meta AS m ON s.component = m.component ORDER BY s.first_run NULLS LAST, component) AS c WHERE list_contains("tags", $p1)
-- parameters:
--   $p1 = 'taxi'
