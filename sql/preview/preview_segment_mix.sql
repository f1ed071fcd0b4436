-- preview_segment_mix: one row per segment of the job's segment rule
-- (int_segment_rule, all four, zero included): how many members of the
-- range as given ('range') are in it. Uses no parameters.
WITH members AS (
    SELECT segment
    FROM preview_evaluated
    WHERE campaign_id = 'range'
),

counts AS (
    SELECT segment, COUNT(*) AS members FROM members GROUP BY segment
)

SELECT r.segment, COALESCE(c.members, 0) AS members
FROM int_segment_rule AS r
LEFT JOIN counts AS c ON c.segment = r.segment
