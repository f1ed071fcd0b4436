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
-- no parameters.
--
-- signed_amount is a DECIMAL(76, s) (Decimal256), s = the scales of amount
-- and fx_rate added: each factor is widened to 76 digits keeping its own
-- scale (adding a zero of type DECIMAL(39, 0) does that without naming the
-- scale), so the product of two values of at most 38 digits is exact and
-- cannot overflow, and the sums over it cannot wrap (docs/SEMANTICS.md,
-- "Exact money").
--
-- The day -> season table is the left (hash) side of the join; the sales
-- rows stream through, and only counted rows carry a date to match (a null
-- key matches nothing) (docs/SEMANTICS.md, "Plans"). The product is
-- computed after the join and its filter, so only the rows they keep pay
-- for it (at scale 10, 18M of 51M rows: BENCHMARKS.md, "The product after
-- the season join, smaller key ranges"). The filter names the matched day
-- (d.document_date), which the last projection drops: DataFusion moves a
-- projection that narrows the rows' columns below a filter on columns it
-- keeps, which would compute the product for every row (tests/plans.rs).
WITH days AS (
    SELECT season_id, document_date FROM int_season_days
),

sales AS (
    SELECT
        *,
        CASE WHEN counted THEN document_date END AS counted_date
    FROM int_sales
),

in_seasons AS (
    SELECT
        d.season_id,
        s.*
    FROM days AS d
    RIGHT JOIN sales AS s ON d.document_date = s.counted_date
    WHERE d.document_date IS NOT NULL OR s.reject_reason IS NOT NULL
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
        WHEN season_id IS NULL THEN NULL
        WHEN is_credit_note
            THEN -((amount + CAST(0 AS DECIMAL(39, 0))) * (fx_rate + CAST(0 AS DECIMAL(39, 0))))
        ELSE (amount + CAST(0 AS DECIMAL(39, 0))) * (fx_rate + CAST(0 AS DECIMAL(39, 0)))
    END AS signed_amount
FROM in_seasons
