-- val_potential_rates: one row per row of the `potential_rates` input table,
-- with its row key and its first problem: null key, null value, duplicate
-- key (GROUP BY the key, nulls forming one group, HAVING COUNT(*) > 1,
-- joined back with nulls equal, as in every validation view).
-- Uses no parameters.
WITH source AS (
    SELECT season_id, activity, amount_per_ha
    FROM stg_potential_rates
),

duplicated AS (
    SELECT season_id, activity, TRUE AS is_duplicated
    FROM source
    GROUP BY season_id, activity
    HAVING COUNT(*) > 1
),

counted AS (
    SELECT
        s.*,
        COALESCE(d.is_duplicated, FALSE) AS duplicated_key
    FROM duplicated AS d
    RIGHT JOIN source AS s
        ON (s.season_id IS NOT DISTINCT FROM d.season_id)
        AND (s.activity IS NOT DISTINCT FROM d.activity)
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
        WHEN duplicated_key THEN 'duplicate key'
    END AS row_problem
FROM counted
