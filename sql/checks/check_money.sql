-- check_money: one row per money figure that cannot be published exactly
-- (docs/SEMANTICS.md, "Exact money"): a client's potential or billing in a
-- season with a line (parcel, sales line) of 10^36 or more in absolute value
-- (problem 'line') or whose exact sum does not round into DECIMAL(38,2)
-- (problem 'sum'), and a campaign's potential_total or billing_total beyond
-- DECIMAL(38,2) (problem 'sum'). The figure itself is null in the views. A run
-- with any row stops (exit 3) naming the first one, its input table and
-- column, and an example row with its file. Uses no parameters.
SELECT
    'potential' AS figure,
    season_id,
    client_id,
    CAST(NULL AS VARCHAR) AS campaign_id,
    potential_problem AS problem
FROM int_client_figures
WHERE potential_problem IS NOT NULL
UNION ALL
SELECT 'billing', season_id, client_id, CAST(NULL AS VARCHAR), billing_problem
FROM int_client_figures
WHERE billing_problem IS NOT NULL
UNION ALL
SELECT 'potential_total', season_id, CAST(NULL AS VARCHAR), campaign_id, 'sum'
FROM campaign_summary
WHERE potential_total IS NULL
UNION ALL
SELECT 'billing_total', season_id, CAST(NULL AS VARCHAR), campaign_id, 'sum'
FROM campaign_summary
WHERE billing_total IS NULL
