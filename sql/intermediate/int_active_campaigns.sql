-- int_active_campaigns: one row per campaign active on D (contract §6, §8),
-- with its status_note (problems joined by '; ': unknown season,
-- potential_min > potential_max when by_potential, billing_min > billing_max
-- when by_billing; null when none) and its advisory label: TODOS,
-- SOLO_POTENCIAL, SOLO_FACTURACION, or with both flags the segment
-- (int_segment_rule) of the ranges' midpoints (a null bound takes the other
-- bound; both null -> 0) under the season's thresholds, null when the season
-- is unknown. The midpoints are exact: the
-- bounds come widened to 76 digits from stg_campaigns, so their sum cannot
-- overflow. Uses no parameters.
WITH campaigns AS (
    SELECT * FROM int_campaigns_on_date
),

known_seasons AS (
    SELECT DISTINCT season_id FROM stg_seasons WHERE season_id IS NOT NULL
),

checked AS (
    SELECT
        c.*,
        s.season_id IS NOT NULL AS season_known,
        NULLIF(concat_ws('; ',
            CASE WHEN s.season_id IS NULL THEN 'unknown season' END,
            CASE WHEN c.by_potential AND c.potential_min > c.potential_max
                THEN 'potential_min > potential_max' END,
            CASE WHEN c.by_billing AND c.billing_min > c.billing_max
                THEN 'billing_min > billing_max' END
        ), '') AS status_note,
        (COALESCE(c.potential_min, c.potential_max, 0)
            + COALESCE(c.potential_max, c.potential_min, 0))
            * CAST('0.5' AS DECIMAL(2, 1)) AS potential_midpoint,
        (COALESCE(c.billing_min, c.billing_max, 0)
            + COALESCE(c.billing_max, c.billing_min, 0))
            * CAST('0.5' AS DECIMAL(2, 1)) AS billing_midpoint
    FROM campaigns AS c
    LEFT JOIN known_seasons AS s ON s.season_id = c.season_id
),

midpoint_flags AS (
    SELECT
        c.campaign_id,
        COALESCE(c.potential_midpoint >= t.high_potential, FALSE) AS potential_is_high,
        COALESCE(c.billing_midpoint >= t.high_billing, FALSE) AS billing_is_high
    FROM checked AS c
    LEFT JOIN int_thresholds AS t ON t.season_id = c.season_id
    WHERE c.season_known
),

labelled AS (
    SELECT m.campaign_id, r.segment AS midpoint_segment
    FROM int_segment_rule AS r
    INNER JOIN midpoint_flags AS m
        ON m.potential_is_high = r.potential_is_high AND m.billing_is_high = r.billing_is_high
)

SELECT
    c.campaign_id,
    c.description,
    c.season_id,
    c.by_potential,
    c.potential_min,
    c.potential_max,
    c.by_billing,
    c.billing_min,
    c.billing_max,
    c.priority,
    c.status_note,
    CASE
        WHEN NOT c.by_potential AND NOT c.by_billing THEN 'TODOS'
        WHEN c.by_potential AND NOT c.by_billing THEN 'SOLO_POTENCIAL'
        WHEN c.by_billing AND NOT c.by_potential THEN 'SOLO_FACTURACION'
        ELSE l.midpoint_segment
    END AS label
FROM checked AS c
LEFT JOIN labelled AS l ON l.campaign_id = c.campaign_id
