-- val_sales: one row per row of the `sales` input table, with its first
-- intra-table problem: null key, null value, unknown document_type, unknown
-- status, duplicate key (val_sales_duplicate_keys, joined back on the key
-- with nulls equal). A null currency is the base currency and not a problem.
-- (The row key is built in int_sales, after the joins, so a query that keeps
-- only rejected rows builds it only for them.) Also two flags the checked
-- pass reads instead of the texts: is_credit_note (document_type =
-- 'CREDIT_NOTE', the line's sign) and is_valid (status = 'VALID'); null when
-- the text is null. Uses no parameters.
--
-- Join order is the plan (docs/SEMANTICS.md, "Plans"): the left side of a
-- join is its hash table, so the short list of duplicated keys comes first
-- and the sales rows stream through. The problems of the row's own fields
-- and the two flags are computed before that join, so the rows that stream
-- through the checked pass's joins (int_sales) carry two booleans, not
-- document_type and status, when the query does not read those
-- (BENCHMARKS.md, "Flags before the joins").
WITH source AS (
    SELECT
        document_id,
        line_no,
        client_id,
        document_date,
        document_type,
        status,
        amount,
        currency,
        CASE
            WHEN document_id IS NULL THEN 'null document_id'
            WHEN line_no IS NULL THEN 'null line_no'
            WHEN client_id IS NULL THEN 'null client_id'
            WHEN document_date IS NULL THEN 'null document_date'
            WHEN document_type IS NULL THEN 'null document_type'
            WHEN status IS NULL THEN 'null status'
            WHEN amount IS NULL THEN 'null amount'
            WHEN document_type NOT IN ('INVOICE', 'DEBIT_NOTE', 'CREDIT_NOTE')
                THEN 'unknown document_type'
            WHEN status NOT IN ('VALID', 'VOID') THEN 'unknown status'
        END AS field_problem,
        document_type = 'CREDIT_NOTE' AS is_credit_note,
        status = 'VALID' AS is_valid
    FROM stg_sales
),

duplicated AS (
    SELECT document_id, line_no, TRUE AS is_duplicated
    FROM val_sales_duplicate_keys
),

counted AS (
    SELECT
        s.*,
        COALESCE(d.is_duplicated, FALSE) AS duplicated_key
    FROM duplicated AS d
    RIGHT JOIN source AS s
        ON (s.document_id IS NOT DISTINCT FROM d.document_id)
        AND (s.line_no IS NOT DISTINCT FROM d.line_no)
)

SELECT
    document_id,
    line_no,
    client_id,
    document_date,
    document_type,
    status,
    amount,
    currency,
    is_credit_note,
    is_valid,
    COALESCE(
        field_problem,
        CASE WHEN duplicated_key THEN 'duplicate key' END
    ) AS row_problem
FROM counted
