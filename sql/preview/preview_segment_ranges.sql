-- preview_segment_ranges: one row per segment of the job's segment rule
-- (int_segment_rule): the ranges that select exactly that segment in the
-- preview's season under the snapshot's thresholds. A high figure is
-- `>= threshold` (minimum = threshold, no maximum); a low one is
-- `< threshold`, which for figures in cents is `<= threshold - 0.01`
-- (no minimum, maximum = threshold - 0.01). Null bounds when the season has
-- no threshold. Parameters: preview_params.season_id.
WITH season AS (
    SELECT season_id FROM preview_params
),

thresholds AS (
    SELECT t.high_potential, t.high_billing
    FROM snap_thresholds AS t
    INNER JOIN season AS s ON s.season_id = t.season_id
)

SELECT
    r.segment,
    CASE WHEN r.potential_is_high THEN t.high_potential END AS potential_min,
    CASE WHEN NOT r.potential_is_high
        THEN CAST(t.high_potential - CAST('0.01' AS DECIMAL(3, 2)) AS DECIMAL(38, 2)) END
        AS potential_max,
    CASE WHEN r.billing_is_high THEN t.high_billing END AS billing_min,
    CASE WHEN NOT r.billing_is_high
        THEN CAST(t.high_billing - CAST('0.01' AS DECIMAL(3, 2)) AS DECIMAL(38, 2)) END
        AS billing_max
FROM int_segment_rule AS r
CROSS JOIN thresholds AS t
