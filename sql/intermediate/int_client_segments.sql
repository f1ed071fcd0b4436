-- int_client_segments: one row per season in scope and client in scope
-- (contract §2, §5): figures, the season's thresholds and where they came
-- from, the two flags (high potential <=> potential >= Tp, high billing <=>
-- billing >= Tb; a figure that cannot be published, null, is not high) and
-- the segment they select in int_segment_rule. Uses no parameters.
WITH figures AS (
    SELECT season_id, client_id, potential, billing, has_cadastre, has_sales
    FROM int_client_figures
),

thresholds AS (
    SELECT
        season_id, high_potential, high_potential_source, high_billing,
        high_billing_source
    FROM int_thresholds
),

flagged AS (
    SELECT
        f.*,
        t.high_potential,
        t.high_potential_source,
        t.high_billing,
        t.high_billing_source,
        COALESCE(f.potential >= t.high_potential, FALSE) AS potential_is_high,
        COALESCE(f.billing >= t.high_billing, FALSE) AS billing_is_high
    FROM thresholds AS t
    INNER JOIN figures AS f ON f.season_id = t.season_id
)

SELECT
    f.season_id,
    f.client_id,
    f.potential,
    f.billing,
    r.segment,
    f.has_cadastre,
    f.has_sales,
    f.high_potential,
    f.high_potential_source,
    f.high_billing,
    f.high_billing_source,
    f.potential_is_high,
    f.billing_is_high
FROM int_segment_rule AS r
INNER JOIN flagged AS f
    ON f.potential_is_high = r.potential_is_high AND f.billing_is_high = r.billing_is_high
