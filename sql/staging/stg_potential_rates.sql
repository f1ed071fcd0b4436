-- stg_potential_rates: one row per row of the `potential_rates` input table,
-- with its row key and its first problem: null key, null value, duplicate key.
-- `activity = '*'` is the season's rate for activities without their own.
-- Uses no parameters.
WITH source AS (
    SELECT season_id, activity, amount_per_ha
    FROM potential_rates
),

counted AS (
    SELECT
        *,
        COUNT(*) OVER (PARTITION BY season_id, activity) AS key_rows
    FROM source
)

SELECT
    season_id,
    activity,
    amount_per_ha,
    concat_ws('|',
        COALESCE(season_id, '<null>'),
        COALESCE(activity, '<null>')) AS row_key,
    CASE
        WHEN season_id IS NULL THEN 'null season_id'
        WHEN activity IS NULL THEN 'null activity'
        WHEN amount_per_ha IS NULL THEN 'null amount_per_ha'
        WHEN key_rows > 1 THEN 'duplicate key'
    END AS row_problem
FROM counted
