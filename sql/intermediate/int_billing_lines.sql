-- int_billing_lines: one row per counted sales line and season in scope
-- (contract §4): accepted rows of clients in scope with status VALID
-- (int_sales.counted) and start_date <= document_date <= min(end_date, D)
-- (int_season_days), with the fx used and the signed amount in the base
-- currency (CREDIT_NOTE -1, INVOICE and DEBIT_NOTE +1), exact, as
-- DECIMAL(76, s) (int_sales). What `explain` shows of a client's billing;
-- a run sums the same lines in int_sales_outcomes. Uses no parameters.
--
-- The day -> season table (a few hundred rows) is the left side of the
-- equi-join on the document date, so the sales rows stream through it
-- (docs/SEMANTICS.md, "Plans").
WITH days AS (
    SELECT season_id, document_date FROM int_season_days
),

sales AS (
    SELECT
        document_id, line_no, client_id, document_date, document_type,
        currency, amount, fx_rate, signed_amount
    FROM int_sales
    WHERE counted
)

SELECT
    d.season_id,
    x.client_id,
    x.document_id,
    x.line_no,
    x.document_date,
    x.document_type,
    x.currency,
    x.amount,
    x.fx_rate,
    x.signed_amount
FROM days AS d
INNER JOIN sales AS x ON x.document_date = d.document_date
