-- oql: inspect run '01J8ZQ'

-- inspect_run {'run_id': '01J8ZQ'}
-- step resolve:
SELECT run_id, component, start_time, end_time, status, stale, stale_reasons FROM lineage_runs WHERE run_id >= $prefix AND run_id < $prefix_end ORDER BY run_id LIMIT 5
-- step run:
SELECT run_id, start_time, end_time, status, error, git_commit, code_hash, host, pid, notes, stale, stale_reasons FROM runs WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id
-- step io:
SELECT direction, pointer, pointer_type, value, content_hash FROM io WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY direction, pointer
-- step deps:
SELECT pointer, dep_run_id, dep_component, dep_start_time, stale, reason FROM deps WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY pointer
-- step checks:
SELECT name, phase, passed, value, message FROM checks WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY ts
-- step metrics:
SELECT name, value FROM metrics WHERE "component" = $component AND "date" = CAST($start_time AS DATE) AND run_id = $run_id ORDER BY name
-- step code:
SELECT source FROM code WHERE code_hash = $code_hash LIMIT 1
