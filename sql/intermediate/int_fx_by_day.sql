-- int_fx_by_day: one row per (currency other than the base one with an
-- accepted rate, document date occurring in `sales`) for which a rate
-- applies: the rate of the latest rate_date on or before that date
-- (contract §4). The as-of lookup is done once per (currency, day), then
-- the checked pass (int_sales) joins it back on equality: no range join
-- over every sales row. Parameters: run_params.base_currency.
--
-- The days are those of every sales row, whatever its currency, and every
-- currency with a rate gets a row for each of them: a sales row of currency
-- c on day d finds the row (c, d) exactly when a rate of c applies on d,
-- as if the table held only the (currency, day) pairs of the sales rows,
-- and the pass over sales groups dates only (no text): at scale 10 it groups
-- 51M dates into about 730 days (BENCHMARKS.md, "Sales days without their
-- currency"). So the table has at most (currencies with a rate) x (distinct
-- sales dates) rows.
WITH params AS (
    SELECT base_currency FROM run_params
),

sales_days AS (
    SELECT DISTINCT document_date
    FROM stg_sales
    WHERE document_date IS NOT NULL
),

foreign_rates AS (
    SELECT f.currency, f.rate_date, f.next_rate_date, f.rate_to_base
    FROM params AS p
    CROSS JOIN int_fx_intervals AS f
    WHERE f.currency <> p.base_currency
)

SELECT f.currency, d.document_date, f.rate_to_base
FROM foreign_rates AS f
INNER JOIN sales_days AS d
    ON f.rate_date <= d.document_date
    AND (f.next_rate_date IS NULL OR d.document_date < f.next_rate_date)
