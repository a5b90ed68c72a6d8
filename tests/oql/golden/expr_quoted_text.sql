-- oql: runs where notes = 'it''s done' and host = 'a # b'

SELECT * FROM (SELECT run_id, component, start_time, end_time, date_diff('millisecond', start_time, end_time) / 1000.0 AS duration_s, status, stale, stale_reasons, error, notes, git_commit, host FROM runs) AS r WHERE (("notes" = $p1) AND ("host" = $p2)) ORDER BY start_time, run_id
-- parameters:
--   $p1 = "it's done"
--   $p2 = 'a # b'
