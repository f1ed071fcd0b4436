-- preview_campaigns: one row per campaign `zafra preview` evaluates: the
-- range as given (campaign_id 'range') and, for each bound of a used range
-- that is not null, that bound moved down and up by 10% of its absolute
-- value, rounded to cents half away from zero (campaign_id
-- 'potential_min -10%', …). Shaped as int_campaigns_on_date, in whose place
-- the preview binds it (the job's int_active_campaigns then labels and
-- checks it, int_campaign_conditions applies the rule); the bounds are
-- widened to 76 digits as stg_campaigns widens them.
-- Parameters: preview_params.
WITH params AS (
    SELECT
        season_id, by_potential, potential_min, potential_max,
        by_billing, billing_min, billing_max
    FROM preview_params
),

steps AS (
    SELECT step, factor
    FROM (
        VALUES ('-10%', CAST('-0.1' AS DECIMAL(2, 1))), ('+10%', CAST('0.1' AS DECIMAL(2, 1)))
    ) AS s (step, factor)
),

bounds AS (
    SELECT bound
    FROM (
        VALUES ('potential_min'), ('potential_max'), ('billing_min'), ('billing_max')
    ) AS b (bound)
),

given AS (
    SELECT
        'range' AS campaign_id,
        CAST(NULL AS VARCHAR) AS moved_bound,
        CAST(NULL AS VARCHAR) AS step,
        season_id, by_potential, potential_min, potential_max,
        by_billing, billing_min, billing_max
    FROM params
),

moved AS (
    SELECT
        concat(b.bound, ' ', s.step) AS campaign_id,
        b.bound AS moved_bound,
        s.step,
        p.season_id,
        p.by_potential,
        CASE WHEN b.bound = 'potential_min'
            THEN CAST(p.potential_min + abs(p.potential_min) * s.factor AS DECIMAL(38, 2))
            ELSE p.potential_min END AS potential_min,
        CASE WHEN b.bound = 'potential_max'
            THEN CAST(p.potential_max + abs(p.potential_max) * s.factor AS DECIMAL(38, 2))
            ELSE p.potential_max END AS potential_max,
        p.by_billing,
        CASE WHEN b.bound = 'billing_min'
            THEN CAST(p.billing_min + abs(p.billing_min) * s.factor AS DECIMAL(38, 2))
            ELSE p.billing_min END AS billing_min,
        CASE WHEN b.bound = 'billing_max'
            THEN CAST(p.billing_max + abs(p.billing_max) * s.factor AS DECIMAL(38, 2))
            ELSE p.billing_max END AS billing_max
    FROM params AS p
    CROSS JOIN bounds AS b
    CROSS JOIN steps AS s
    WHERE (b.bound = 'potential_min' AND p.by_potential AND p.potential_min IS NOT NULL)
        OR (b.bound = 'potential_max' AND p.by_potential AND p.potential_max IS NOT NULL)
        OR (b.bound = 'billing_min' AND p.by_billing AND p.billing_min IS NOT NULL)
        OR (b.bound = 'billing_max' AND p.by_billing AND p.billing_max IS NOT NULL)
),

evaluated AS (
    SELECT * FROM given
    UNION ALL
    SELECT * FROM moved
)

SELECT
    campaign_id,
    moved_bound,
    step,
    campaign_id AS description,
    season_id,
    CAST(NULL AS DATE) AS start_date,
    CAST(NULL AS DATE) AS end_date,
    'ACTIVE' AS status,
    by_potential,
    potential_min + CAST(0 AS DECIMAL(39, 0)) AS potential_min,
    potential_max + CAST(0 AS DECIMAL(39, 0)) AS potential_max,
    by_billing,
    billing_min + CAST(0 AS DECIMAL(39, 0)) AS billing_min,
    billing_max + CAST(0 AS DECIMAL(39, 0)) AS billing_max,
    CAST(NULL AS BIGINT) AS priority
FROM evaluated
