-- int_sales: one row per row of `sales`, with the fx rate that applies to it,
-- whether its client is in scope, and its final reject reason: the validation
-- problem, else `unknown client_id`, else `no fx rate` (a currency other than
-- the base one with no accepted rate dated on or before the document date).
-- Parameters: run_params.base_currency.
--
-- The small side of each join comes first (its hash table); the sales rows
-- stream through (docs/SEMANTICS.md, "Plans").
WITH params AS (
    SELECT base_currency FROM run_params
),

classified AS (
    SELECT
        s.*,
        (s.currency IS NULL OR s.currency = p.base_currency) AS is_base_currency
    FROM params AS p
    CROSS JOIN val_sales AS s
),

with_client AS (
    SELECT
        s.*,
        k.client_id IS NOT NULL AS client_known,
        COALESCE(k.in_scope, FALSE) AS client_in_scope
    FROM int_known_clients AS k
    RIGHT JOIN classified AS s ON s.client_id = k.client_id
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
    s.client_in_scope,
    concat_ws('|',
        COALESCE(s.document_id, '<null>'),
        COALESCE(s.line_no, '<null>')) AS row_key,
    COALESCE(
        s.row_problem,
        CASE WHEN NOT s.client_known THEN 'unknown client_id' END,
        CASE WHEN NOT s.is_base_currency AND fx.rate_to_base IS NULL THEN 'no fx rate' END
    ) AS reject_reason
FROM int_fx_by_day AS fx
RIGHT JOIN with_client AS s
    ON s.currency = fx.currency AND s.document_date = fx.document_date
