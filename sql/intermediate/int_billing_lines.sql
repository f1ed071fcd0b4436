-- int_billing_lines: one row per counted sales line and season in scope
-- (contract §4): accepted rows of clients in scope with status VALID
-- (int_sales.counted) and start_date <= document_date <= min(end_date, D)
-- (int_season_days), with the fx used and the signed amount in the base
-- currency (CREDIT_NOTE -1, INVOICE and DEBIT_NOTE +1), exact, as
-- DECIMAL(76, s): the rows of int_sales_seasons with a season. What
-- `explain` shows of a client's billing; a run sums the same lines in
-- int_sales_outcomes. Uses no parameters.
SELECT
    season_id,
    client_id,
    document_id,
    line_no,
    document_date,
    document_type,
    currency,
    amount,
    fx_rate,
    signed_amount
FROM int_sales_seasons
WHERE season_id IS NOT NULL
