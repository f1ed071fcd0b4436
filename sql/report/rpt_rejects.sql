-- rpt_rejects: one row per input table and reason of the snapshot's
-- rejects: how many rows were rejected for it. Uses no parameters.
SELECT table_name, reason, COUNT(*) AS rows_rejected
FROM snap_rejects
GROUP BY table_name, reason
