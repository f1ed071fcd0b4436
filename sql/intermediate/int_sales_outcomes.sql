-- int_sales_outcomes: the one validating pass over the sales rows that both
-- billing and rejects read (docs/SEMANTICS.md, "Plans"). Two kinds of rows:
--   * one row per season in scope and client in scope with at least one
--     counted line (contract §4): exact_billing, the exact sum of the lines'
--     DECIMAL(76, s) signed amounts; has_huge_line, whether a line is
--     10^36 or more in absolute value (int_billing: such a sum is not
--     published; a flag, not the largest line, keeps the group's state
--     small); sales_lines, how many; reject_reason and row_key null;
--   * one row per distinct (row_key, reject_reason) of rejected sales rows,
--     sales_lines = how many rows share them (two rows with one duplicated
--     key are one row here, 2 lines); season_id, client_id and the sums
--     null.
-- A rejected row never counts and a counted row has no reject reason, so
-- each sales row is in exactly one group (or none: accepted but not counted,
-- e.g. VOID or outside every window). Uses no parameters.
--
-- The day -> season table is the left (hash) side of the join; the sales
-- rows stream through, and only counted rows carry a date to match
-- (a null key matches nothing). One hash aggregate holds both kinds.
WITH days AS (
    SELECT season_id, document_date FROM int_season_days
),

sales AS (
    SELECT
        client_id,
        reject_reason,
        row_key,
        signed_amount,
        CASE WHEN counted THEN document_date END AS counted_date
    FROM int_sales
),

outcomes AS (
    SELECT
        d.season_id,
        CASE WHEN d.season_id IS NOT NULL THEN s.client_id END AS client_id,
        s.reject_reason,
        s.row_key,
        s.signed_amount
    FROM days AS d
    RIGHT JOIN sales AS s ON d.document_date = s.counted_date
    WHERE d.season_id IS NOT NULL OR s.reject_reason IS NOT NULL
)

SELECT
    season_id,
    client_id,
    reject_reason,
    row_key,
    SUM(signed_amount) AS exact_billing,
    BOOL_OR(abs(signed_amount) >= CAST('1000000000000000000000000000000000000' AS DECIMAL(37, 0)))
        AS has_huge_line,
    COUNT(*) AS sales_lines
FROM outcomes
GROUP BY season_id, client_id, reject_reason, row_key
