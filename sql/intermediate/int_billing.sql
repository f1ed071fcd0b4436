-- int_billing: one row per client in scope and season in scope with at least one
-- counted sales line (contract §4). billing = the exact sum of the lines'
-- signed base-currency amounts, rounded once to 2 decimals half away from
-- zero (a cast to DECIMAL(38,2) rounds that way). The sums come from the
-- one pass over sales (int_sales_outcomes). Uses no parameters.
--
-- Exact money (docs/SEMANTICS.md): the lines are DECIMAL(76, s) and the sum
-- is only used when every line is below 10^36 in absolute value, so it cannot
-- have wrapped. A figure that cannot be published exactly is null, with its
-- billing_problem: 'line' (a line of 10^36 or more) or 'sum' (the sum does
-- not round into DECIMAL(38,2): |sum| >= 10^36 - 0.005). check_money stops
-- the run on either.
WITH sums AS (
    SELECT season_id, client_id, exact_billing, has_huge_line, sales_lines
    FROM int_sales_outcomes
    WHERE reject_reason IS NULL
),

checked AS (
    SELECT
        *,
        CASE
            WHEN has_huge_line THEN 'line'
            WHEN abs(exact_billing)
                >= CAST('999999999999999999999999999999999999.995' AS DECIMAL(39, 3))
                THEN 'sum'
        END AS billing_problem
    FROM sums
)

SELECT
    season_id,
    client_id,
    CASE WHEN billing_problem IS NULL THEN CAST(exact_billing AS DECIMAL(38, 2)) END AS billing,
    billing_problem,
    sales_lines
FROM checked
