-- int_sales: one row per row of `sales`, with the fx rate that applies to it,
-- whether its client is in scope, its final reject reason (the validation
-- problem, else `unknown client_id`, else `no fx rate`: a currency other than
-- the base one with no accepted rate dated on or before the document date),
-- its row key if rejected, and whether it counts in billing (contract §4:
-- accepted, VALID, client in scope; the season window and the signed amount
-- are int_sales_seasons' business). Uses no parameters: the rate of every
-- row, 1 for the base currency and a null currency included, comes from
-- int_fx_by_day, joined on (currency, document date) with nulls equal; a
-- row it gives no rate is a currency other than the base one without one.
--
-- row_key is built only for rejected rows (a CASE evaluates its branch only
-- on the rows that take it); line_no may be registered as an integer
-- (src/inputs.rs, INTEGER_TEXT_COLUMNS), so the key shows its text.
-- is_credit_note passes val_sales' flag through (the sign, int_sales_seasons)
-- and `counted` reads its is_valid, not the texts (val_sales says why).
--
-- The small side of each join comes first (its hash table); the sales rows
-- stream through (docs/SEMANTICS.md, "Plans"). Each join copies every
-- column it passes on, for every row, so the rate is joined first (the
-- currency goes no further), and the known clients' side brings one column:
-- in_scope, never null for a known client, null for an unknown one (a
-- second column to tell them apart, `k.client_id`, was copied out of the
-- hash table for all 51M rows at scale 10: BENCHMARKS.md, "Each join
-- brings one column, the sign before the product, bucket digits from
-- integers").
WITH known AS (
    SELECT client_id, COALESCE(in_scope, FALSE) AS in_scope
    FROM int_known_clients
),

with_rate AS (
    SELECT
        s.*,
        fx.rate_to_base AS fx_rate
    FROM int_fx_by_day AS fx
    RIGHT JOIN val_sales AS s
        ON (s.currency IS NOT DISTINCT FROM fx.currency)
        AND (s.document_date IS NOT DISTINCT FROM fx.document_date)
),

checked AS (
    SELECT
        s.document_id,
        s.line_no,
        s.client_id,
        s.document_date,
        s.document_type,
        s.status,
        s.is_credit_note,
        s.is_valid,
        s.amount,
        s.currency,
        s.fx_rate,
        COALESCE(k.in_scope, FALSE) AS client_in_scope,
        COALESCE(
            s.row_problem,
            CASE WHEN k.in_scope IS NULL THEN 'unknown client_id' END,
            CASE WHEN s.fx_rate IS NULL THEN 'no fx rate' END
        ) AS reject_reason
    FROM known AS k
    RIGHT JOIN with_rate AS s ON s.client_id = k.client_id
),

outcome AS (
    SELECT
        *,
        reject_reason IS NULL AND is_valid AND client_in_scope AS counted
    FROM checked
)

SELECT
    document_id,
    line_no,
    client_id,
    document_date,
    document_type,
    status,
    is_credit_note,
    amount,
    currency,
    fx_rate,
    client_in_scope,
    CASE
        WHEN reject_reason IS NOT NULL
            THEN concat_ws(
                '|',
                COALESCE(document_id, '<null>'),
                COALESCE(CAST(line_no AS VARCHAR), '<null>')
            )
    END AS row_key,
    reject_reason,
    counted
FROM outcome
