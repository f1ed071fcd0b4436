-- stg_fx_rates: one row per row of the `fx_rates` input table (empty when the
-- optional table is absent), with its row key and its first problem: null key,
-- null value, duplicate key. Uses no parameters.
WITH source AS (
    SELECT currency, rate_date, rate_to_base
    FROM fx_rates
),

counted AS (
    SELECT
        *,
        COUNT(*) OVER (PARTITION BY currency, rate_date) AS key_rows
    FROM source
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
        WHEN key_rows > 1 THEN 'duplicate key'
    END AS row_problem
FROM counted
