-- billing: one row per client in scope and season in scope with at least one
-- counted sales line (contract §4). billing = the exact sum of the lines'
-- signed base-currency amounts, rounded once to 2 decimals half away from
-- zero (a cast to DECIMAL(38,2) rounds that way). Uses no parameters.
SELECT
    season_id,
    client_id,
    CAST(SUM(signed_amount) AS DECIMAL(38, 2)) AS billing,
    COUNT(*) AS sales_lines
FROM int_billing_lines
GROUP BY season_id, client_id
