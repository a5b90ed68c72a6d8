-- oql: unflag all

-- unflag_all {}
-- step flagged:
SELECT pointer FROM (SELECT pointer, flagged, row_number() OVER (PARTITION BY pointer ORDER BY ts DESC) AS newest FROM flags) AS f WHERE newest = 1 AND flagged ORDER BY pointer
