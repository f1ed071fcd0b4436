-- val_fx_rates: one row per row of the `fx_rates` input table (empty when the
-- optional table is absent), with its row key and its first problem: null
-- key, null value, duplicate key (GROUP BY the key, nulls forming one group,
-- HAVING COUNT(*) > 1, joined back with nulls equal, as in every validation
-- view). Uses no parameters.
WITH source AS (
    SELECT currency, rate_date, rate_to_base
    FROM stg_fx_rates
),

duplicated AS (
    SELECT currency, rate_date, TRUE AS is_duplicated
    FROM source
    GROUP BY currency, rate_date
    HAVING COUNT(*) > 1
),

counted AS (
    SELECT
        s.*,
        COALESCE(d.is_duplicated, FALSE) AS duplicated_key
    FROM duplicated AS d
    RIGHT JOIN source AS s
        ON (s.currency IS NOT DISTINCT FROM d.currency)
        AND (s.rate_date IS NOT DISTINCT FROM d.rate_date)
)

SELECT
    currency,
    rate_date,
    rate_to_base,
    concat_ws('|',
        COALESCE(currency, '<null>'),
        COALESCE(CAST(rate_date AS VARCHAR), '<null>')) AS row_key,
    CASE
        WHEN currency IS NULL THEN 'null currency'
        WHEN rate_date IS NULL THEN 'null rate_date'
        WHEN rate_to_base IS NULL THEN 'null rate_to_base'
        WHEN duplicated_key THEN 'duplicate key'
    END AS row_problem
FROM counted
