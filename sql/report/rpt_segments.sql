-- rpt_segments: one row per season of the snapshot's client_segments and
-- segment (all four, in the matrix's order, zero included): its clients and
-- the exact sums of their potential and billing (DECIMAL(76,2): no sum of
-- published figures can wrap). Uses no parameters.
WITH segments AS (
    SELECT segment, position
    FROM (
        VALUES ('RETENCION', 1), ('INVERSION', 2), ('REVISION', 3), ('NO_INVERSION', 4)
    ) AS s (segment, position)
),

seasons AS (
    SELECT DISTINCT season_id FROM snap_segments
),

counts AS (
    SELECT
        season_id,
        segment,
        COUNT(*) AS clients,
        SUM(CAST(potential AS DECIMAL(76, 2))) AS potential_total,
        SUM(CAST(billing AS DECIMAL(76, 2))) AS billing_total
    FROM snap_segments
    GROUP BY season_id, segment
)

SELECT
    s.season_id,
    g.segment,
    g.position,
    COALESCE(c.clients, 0) AS clients,
    COALESCE(c.potential_total, CAST(0 AS DECIMAL(76, 2))) AS potential_total,
    COALESCE(c.billing_total, CAST(0 AS DECIMAL(76, 2))) AS billing_total
FROM seasons AS s
CROSS JOIN segments AS g
LEFT JOIN counts AS c ON c.season_id = s.season_id AND c.segment = g.segment
