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
-- One hash aggregate over int_sales_seasons holds both kinds.
WITH outcomes AS (
    SELECT
        season_id,
        CASE WHEN season_id IS NOT NULL THEN client_id END AS client_id,
        reject_reason,
        row_key,
        signed_amount
    FROM int_sales_seasons
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
