-- rpt_migration: one row per season and (previous segment, current segment)
-- pair with clients, comparing client_segments of the previous committed
-- snapshot with this one on (season, client); 'NONE' stands for a client
-- (or season) absent on that side. Unchanged clients are the diagonal.
-- Uses no parameters.
SELECT
    COALESCE(c.season_id, p.season_id) AS season_id,
    COALESCE(p.segment, 'NONE') AS from_segment,
    COALESCE(c.segment, 'NONE') AS to_segment,
    COUNT(*) AS clients
FROM snap_segments AS c
FULL OUTER JOIN prev_segments AS p
    ON p.season_id = c.season_id AND p.client_id = c.client_id
GROUP BY COALESCE(c.season_id, p.season_id), COALESCE(p.segment, 'NONE'), COALESCE(c.segment, 'NONE')
