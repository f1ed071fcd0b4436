-- int_campaign_bounds: one row per campaign active on D without a
-- status_note, with each range's bounds moved inward onto the figures'
-- grid: the figures are DECIMAL(38, 2), whole cents, so for every figure f
--   f >= potential_min  exactly when  f >= potential_low, the smallest cent >= potential_min,
--   f <= potential_max  exactly when  f <= potential_high, the largest cent <= potential_max,
-- and likewise for billing; a null bound stays null (unbounded). A minimum
-- below the smallest DECIMAL(38, 2) value becomes that value, which every
-- figure passes as it passes the minimum itself; likewise a maximum above
-- the largest value. A minimum above the largest value or a maximum below
-- the smallest leaves no figure in the range: it becomes the empty range
-- [largest, smallest]. The rule (int_campaign_conditions) and the
-- candidates' filter (int_campaign_candidates) compare the figures with
-- these bounds, in the figures' own type, instead of widening each figure to
-- the bounds' 76 digits (stg_campaigns) once per pair. Uses no parameters.
WITH campaigns AS (
    SELECT
        campaign_id, season_id, by_potential, potential_min, potential_max,
        by_billing, billing_min, billing_max,
        CAST('999999999999999999999999999999999999.99' AS DECIMAL(38, 2)) AS largest,
        CAST('-999999999999999999999999999999999999.99' AS DECIMAL(38, 2)) AS smallest
    FROM int_active_campaigns
    WHERE status_note IS NULL
),

-- Each bound clamped to [smallest, largest] and cast to cents; the cast
-- may round either way, by less than a cent.
near AS (
    SELECT
        *,
        CASE WHEN potential_min IS NOT NULL
            THEN CAST(LEAST(GREATEST(potential_min, smallest), largest) AS DECIMAL(38, 2))
        END AS potential_min_near,
        CASE WHEN potential_max IS NOT NULL
            THEN CAST(LEAST(GREATEST(potential_max, smallest), largest) AS DECIMAL(38, 2))
        END AS potential_max_near,
        CASE WHEN billing_min IS NOT NULL
            THEN CAST(LEAST(GREATEST(billing_min, smallest), largest) AS DECIMAL(38, 2))
        END AS billing_min_near,
        CASE WHEN billing_max IS NOT NULL
            THEN CAST(LEAST(GREATEST(billing_max, smallest), largest) AS DECIMAL(38, 2))
        END AS billing_max_near
    FROM campaigns
),

-- A minimum rounded down moves up one cent, a maximum rounded up down one
-- (never past the clamp, which only the empty ranges below reach).
inward AS (
    SELECT
        campaign_id,
        season_id,
        by_potential,
        CASE
            WHEN potential_min_near < potential_min AND potential_min_near < largest
                THEN potential_min_near + CAST('0.01' AS DECIMAL(38, 2))
            ELSE potential_min_near
        END AS potential_low,
        CASE
            WHEN potential_max_near > potential_max AND potential_max_near > smallest
                THEN potential_max_near - CAST('0.01' AS DECIMAL(38, 2))
            ELSE potential_max_near
        END AS potential_high,
        COALESCE(potential_min > largest, FALSE) OR COALESCE(potential_max < smallest, FALSE)
            AS potential_empty,
        by_billing,
        CASE
            WHEN billing_min_near < billing_min AND billing_min_near < largest
                THEN billing_min_near + CAST('0.01' AS DECIMAL(38, 2))
            ELSE billing_min_near
        END AS billing_low,
        CASE
            WHEN billing_max_near > billing_max AND billing_max_near > smallest
                THEN billing_max_near - CAST('0.01' AS DECIMAL(38, 2))
            ELSE billing_max_near
        END AS billing_high,
        COALESCE(billing_min > largest, FALSE) OR COALESCE(billing_max < smallest, FALSE)
            AS billing_empty,
        largest,
        smallest
    FROM near
)

SELECT
    campaign_id,
    season_id,
    by_potential,
    CASE WHEN potential_empty THEN largest ELSE potential_low END AS potential_low,
    CASE WHEN potential_empty THEN smallest ELSE potential_high END AS potential_high,
    by_billing,
    CASE WHEN billing_empty THEN largest ELSE billing_low END AS billing_low,
    CASE WHEN billing_empty THEN smallest ELSE billing_high END AS billing_high
FROM inward
