-- int_sales_seasons: one row per counted sales row (int_sales.counted) and
-- season in scope whose window holds its date (contract §4: start_date <=
-- document_date <= min(end_date, D), int_season_days; a line on a day of two
-- seasons' windows is two rows), and one row with a null season_id per
-- rejected sales row (reject_reason set: a rejected row never counts). Other
-- rows (VOID, a client not in scope, a counted line dated outside every
-- window) are in no row. signed_amount, the line's amount in the base
-- currency with its sign (CREDIT_NOTE -1, INVOICE and DEBIT_NOTE +1), is
-- set on the rows with a season. int_billing_lines lists the rows with a
-- season; int_sales_outcomes sums them and groups the rejected rows. Uses
-- no parameters (run_params is read only as a relation of one row, below).
--
-- signed_amount is a DECIMAL(76, s) (Decimal256), s = the scales of amount
-- and fx_rate added: each factor is widened to 76 digits keeping its own
-- scale (adding a zero of type DECIMAL(39, 0) does that without naming the
-- scale), so the product of two values of at most 38 digits is exact and
-- cannot overflow, and the sums over it cannot wrap (docs/SEMANTICS.md,
-- "Exact money"). The sign goes on the amount before it is widened (a
-- decimal's negation is exact): one product per row, one branch to choose
-- (at scale 10 the projection's CPU went from 0.74-0.78 s to 0.57-0.59 s).
--
-- The day -> season table is the left (hash) side of an inner join; the
-- sales rows stream through it (docs/SEMANTICS.md, "Plans"). The join's key
-- is (counted_date, is_rejected), nulls equal: a counted row, (its date,
-- false), finds the days of its seasons; a rejected row, (null, true), finds
-- the table's one row (null, true), which has a null season; every other
-- row, (null, false), finds nothing (a window day has a date). So the join
-- alone keeps exactly the rows above, and copies only them (at scale 10,
-- 18M of 51M rows), where a right join and a filter after it copied every
-- row and then the kept ones again (BENCHMARKS.md, "Rejected rows through
-- the season join"). The product is computed after the join, so only the
-- rows it keeps pay for it (tests/plans.rs). The extra row is selected
-- FROM run_params, one row, not from no table: Ballista 55 loses the job of
-- a plan with a SELECT of literals alone (tests/plans.rs).
WITH days AS (
    SELECT season_id, document_date, FALSE AS rejected
    FROM int_season_days
    UNION ALL
    SELECT CAST(NULL AS VARCHAR) AS season_id, CAST(NULL AS DATE) AS document_date, TRUE AS rejected
    FROM run_params
),

sales AS (
    SELECT
        *,
        CASE WHEN counted THEN document_date END AS counted_date,
        reject_reason IS NOT NULL AS is_rejected
    FROM int_sales
),

in_seasons AS (
    SELECT
        d.season_id,
        s.*
    FROM days AS d
    INNER JOIN sales AS s
        ON (d.document_date IS NOT DISTINCT FROM s.counted_date)
        AND (d.rejected IS NOT DISTINCT FROM s.is_rejected)
)

SELECT
    season_id,
    document_id,
    line_no,
    client_id,
    document_date,
    document_type,
    status,
    amount,
    currency,
    fx_rate,
    client_in_scope,
    row_key,
    reject_reason,
    counted,
    CASE
        WHEN season_id IS NOT NULL
            THEN (CASE WHEN is_credit_note THEN -amount ELSE amount END + CAST(0 AS DECIMAL(39, 0)))
                * (fx_rate + CAST(0 AS DECIMAL(39, 0)))
    END AS signed_amount
FROM in_seasons
