-- int_billing_lines: one row per counted sales line and season in scope
-- (contract §4): accepted rows of clients in scope with status VALID and
-- start_date <= document_date <= min(end_date, D), with the fx used and the
-- signed amount in the base currency (CREDIT_NOTE -1, INVOICE and DEBIT_NOTE
-- +1), exact. Parameters: run_params.as_of.
--
-- signed_amount is a DECIMAL(76, s) (Decimal256), s = the scales of amount
-- and fx_rate added: each factor is widened to 76 digits keeping its own
-- scale (adding a zero of type DECIMAL(39, 0) does that without naming the
-- scale), so the product of two values of at most 38 digits is exact and
-- cannot overflow, and the sums over it (`billing`) cannot wrap
-- (docs/SEMANTICS.md, "Exact money").
--
-- The season windows (a few rows) are the left side of the range join, so
-- the sales rows stream through it (docs/SEMANTICS.md, "Plans").
-- The signed amount is computed before the join, so a query that needs only
-- the figures carries three columns through it.
WITH sales AS (
    SELECT
        document_id, line_no, client_id, document_date, document_type,
        currency, amount, fx_rate,
        CASE
            WHEN document_type = 'CREDIT_NOTE'
                THEN -((amount + CAST(0 AS DECIMAL(39, 0))) * (fx_rate + CAST(0 AS DECIMAL(39, 0))))
            ELSE (amount + CAST(0 AS DECIMAL(39, 0))) * (fx_rate + CAST(0 AS DECIMAL(39, 0)))
        END AS signed_amount
    FROM int_sales
    WHERE reject_reason IS NULL AND status = 'VALID' AND client_in_scope
),

seasons AS (
    SELECT season_id, start_date, end_date FROM int_seasons_in_scope
),

params AS (
    SELECT as_of FROM run_params
),

windows AS (
    SELECT s.season_id, s.start_date, LEAST(s.end_date, p.as_of) AS last_date
    FROM params AS p
    CROSS JOIN seasons AS s
)

SELECT
    w.season_id,
    x.client_id,
    x.document_id,
    x.line_no,
    x.document_date,
    x.document_type,
    x.currency,
    x.amount,
    x.fx_rate,
    x.signed_amount
FROM windows AS w
INNER JOIN sales AS x
    ON x.document_date >= w.start_date AND x.document_date <= w.last_date
