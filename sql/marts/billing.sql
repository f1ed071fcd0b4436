-- billing: one row per client in scope and season in scope with at least one
-- counted sales row (contract §4): accepted rows with status VALID and
-- start_date <= document_date <= min(end_date, D). billing = sum of
-- sign × amount × fx (CREDIT_NOTE −1, INVOICE and DEBIT_NOTE +1), exact, then
-- rounded once to 2 decimals half away from zero.
-- Parameters: run_params.as_of.
WITH sales AS (
    SELECT client_id, document_date, document_type, amount, fx_rate
    FROM int_sales
    WHERE reject_reason IS NULL AND status = 'VALID'
),

seasons AS (
    SELECT season_id, start_date, end_date FROM int_seasons_in_scope
),

params AS (
    SELECT as_of FROM run_params
),

windows AS (
    SELECT s.season_id, s.start_date, LEAST(s.end_date, p.as_of) AS last_date
    FROM seasons AS s
    CROSS JOIN params AS p
),

counted AS (
    SELECT
        w.season_id,
        x.client_id,
        CASE
            WHEN x.document_type = 'CREDIT_NOTE' THEN -(x.amount * x.fx_rate)
            ELSE x.amount * x.fx_rate
        END AS signed_amount
    FROM sales AS x
    INNER JOIN int_clients_in_scope AS k ON x.client_id = k.client_id
    INNER JOIN windows AS w
        ON x.document_date >= w.start_date AND x.document_date <= w.last_date
)

SELECT
    season_id,
    client_id,
    CAST(SUM(signed_amount) AS DECIMAL(38, 2)) AS billing,
    COUNT(*) AS sales_lines
FROM counted
GROUP BY season_id, client_id
