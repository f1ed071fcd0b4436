-- rpt_billing_outliers: the clients billing far above their potential (the
-- rule of rpt_health), at most report_params.outliers per season: the
-- largest billing - potential first, then client_id. One row per such
-- client and season, with its rank. Parameters: report_params.outliers.
WITH params AS (
    SELECT outliers FROM report_params
),

far_above AS (
    SELECT
        season_id,
        client_id,
        potential,
        billing,
        segment,
        ROW_NUMBER() OVER (
            PARTITION BY season_id
            ORDER BY CAST(billing AS DECIMAL(39, 2)) - potential DESC, client_id
        ) AS position
    FROM snap_segments
    WHERE has_cadastre AND billing > 0 AND billing > CAST(potential AS DECIMAL(39, 2)) * 2
)

SELECT f.season_id, f.position, f.client_id, f.potential, f.billing, f.segment
FROM far_above AS f
CROSS JOIN params AS p
WHERE f.position <= p.outliers
