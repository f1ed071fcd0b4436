-- int_sales: one row per row of `sales`, with the fx rate that applies to it
-- and its final reject reason: the staging problem, else `unknown client_id`,
-- else `no fx rate` (a currency other than the base one with no accepted
-- rate dated on or before the document date).
-- Parameters: run_params.base_currency.
WITH sales AS (
    SELECT * FROM stg_sales
),

params AS (
    SELECT base_currency FROM run_params
),

known_clients AS (
    SELECT DISTINCT client_id FROM stg_clients WHERE client_id IS NOT NULL
),

classified AS (
    SELECT
        s.*,
        (s.currency IS NULL OR s.currency = p.base_currency) AS is_base_currency
    FROM sales AS s
    CROSS JOIN params AS p
),

-- The as-of lookup is done once per (currency, day) present in sales, then
-- joined back on equality: no range join over every sales row.
foreign_days AS (
    SELECT DISTINCT currency, document_date
    FROM classified
    WHERE NOT is_base_currency AND document_date IS NOT NULL
),

fx_by_day AS (
    SELECT d.currency, d.document_date, f.rate_to_base
    FROM foreign_days AS d
    INNER JOIN int_fx_intervals AS f
        ON d.currency = f.currency
        AND f.rate_date <= d.document_date
        AND (f.next_rate_date IS NULL OR d.document_date < f.next_rate_date)
)

SELECT
    s.document_id,
    s.line_no,
    s.client_id,
    s.document_date,
    s.document_type,
    s.status,
    s.amount,
    s.currency,
    CASE WHEN s.is_base_currency THEN 1 ELSE fx.rate_to_base END AS fx_rate,
    s.row_key,
    COALESCE(
        s.row_problem,
        CASE WHEN k.client_id IS NULL THEN 'unknown client_id' END,
        CASE WHEN NOT s.is_base_currency AND fx.rate_to_base IS NULL THEN 'no fx rate' END
    ) AS reject_reason
FROM classified AS s
LEFT JOIN known_clients AS k ON s.client_id = k.client_id
LEFT JOIN fx_by_day AS fx
    ON s.currency = fx.currency AND s.document_date = fx.document_date
