-- rejects: one row per rejected input row of cadastre, sales, potential_rates
-- and fx_rates, with its table, key and first problem (docs/SEMANTICS.md).
-- Uses no parameters.
SELECT 'cadastre' AS table_name, row_key, reject_reason AS reason
FROM int_cadastre WHERE reject_reason IS NOT NULL
UNION ALL
SELECT 'sales' AS table_name, row_key, reject_reason AS reason
FROM (
    -- int_sales_outcomes has one row per distinct (row_key, reason) with its
    -- count of rows: one output row per row again.
    SELECT row_key, reject_reason, unnest(range(sales_lines)) AS copy
    FROM int_sales_outcomes
    WHERE reject_reason IS NOT NULL
) AS rejected_sales
UNION ALL
SELECT 'potential_rates' AS table_name, row_key, row_problem AS reason
FROM val_potential_rates WHERE row_problem IS NOT NULL
UNION ALL
SELECT 'fx_rates' AS table_name, row_key, row_problem AS reason
FROM val_fx_rates WHERE row_problem IS NOT NULL
