-- int_fx_by_day: one row per (currency other than the base one with an
-- accepted rate, document date occurring in `sales`) for which a rate
-- applies: the rate of the latest rate_date on or before that date
-- (contract §4); and the rate 1 of the base currency and of a null
-- currency (both need no rate) on every such date, a null one included. The
-- as-of lookup is done once per (currency, day), then the checked pass
-- (int_sales) joins it back on equality, nulls equal: no range join over
-- every sales row, and every row's rate (1, a rate, or none: `no fx rate`)
-- comes from that one join, with no per-row test of the currency (at scale
-- 10 the CASE choosing between 1 and the rate, and the comparison with the
-- base currency, took 1.1 s of CPU over 51M rows). Parameters:
-- run_params.base_currency.
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

-- Every sales date, the null date included when a row has none (such a
-- row still has the base currency's rate). (Not a union with a null row:
-- the cluster engine could not plan that union of an aggregate.)
days AS (
    SELECT document_date
    FROM stg_sales
    GROUP BY document_date
),

-- The intervals of the accepted rates of other currencies, and the base
-- currency and the null currency, whose rate 1 applies on every day
-- (no interval). The rate 1 is an integer: the union gives the rows the
-- rates' own decimal type, widened to hold 1 if it could not (never
-- narrowed).
rates AS (
    SELECT f.currency, FALSE AS every_day, f.rate_date, f.next_rate_date, f.rate_to_base
    FROM params AS p
    CROSS JOIN int_fx_intervals AS f
    WHERE f.currency <> p.base_currency
    UNION ALL
    SELECT base_currency AS currency, TRUE AS every_day, NULL, NULL, 1 FROM params
    UNION ALL
    SELECT CAST(NULL AS VARCHAR) AS currency, TRUE AS every_day, NULL, NULL, 1 FROM params
)

-- The sales days are read once: one join (a nested loop over currencies
-- x days, both small) gives every row. A null day is within no interval.
SELECT r.currency, d.document_date, r.rate_to_base
FROM rates AS r
INNER JOIN days AS d
    ON r.every_day
    OR (r.rate_date <= d.document_date
        AND (r.next_rate_date IS NULL OR d.document_date < r.next_rate_date))
