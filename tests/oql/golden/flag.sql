-- oql: flag 'pred-42'

-- flag {'pointer': 'pred-42', 'flagged': True}
-- step exists:
SELECT count(*) FROM lineage_producers WHERE pointer = $pointer
-- step exists_as_input:
SELECT count(*) FROM lineage_consumers WHERE pointer = $pointer
-- step nearest_by_stem:
SELECT pointer FROM (SELECT pointer FROM lineage_producers WHERE pointer >= $stem AND pointer < $stem_end UNION SELECT pointer FROM lineage_consumers WHERE pointer >= $stem AND pointer < $stem_end) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
-- step nearest:
SELECT pointer FROM (SELECT pointer FROM lineage_producers UNION SELECT pointer FROM lineage_consumers) AS p ORDER BY levenshtein(pointer, $pointer), pointer LIMIT 1
