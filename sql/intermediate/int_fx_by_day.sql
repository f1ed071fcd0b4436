-- int_fx_by_day: one row per (currency other than the base one, document
-- date) occurring in `sales` for which an accepted rate applies: the rate of
-- the latest rate_date on or before that date (contract §4). The as-of lookup
-- is done once per (currency, day), then joined back on equality: no range
-- join over every sales row. Parameters: run_params.base_currency.
WITH params AS (
    SELECT base_currency FROM run_params
),

foreign_days AS (
    SELECT DISTINCT s.currency, s.document_date
    FROM params AS p
    CROSS JOIN stg_sales AS s
    WHERE s.currency IS NOT NULL
        AND s.currency <> p.base_currency
        AND s.document_date IS NOT NULL
)

SELECT d.currency, d.document_date, f.rate_to_base
FROM int_fx_intervals AS f
INNER JOIN foreign_days AS d
    ON d.currency = f.currency
    AND f.rate_date <= d.document_date
    AND (f.next_rate_date IS NULL OR d.document_date < f.next_rate_date)
