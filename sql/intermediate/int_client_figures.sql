-- int_client_figures: one row per season in scope × client in scope, including
-- clients with neither cadastre nor sales (potential and billing 0).
-- A figure that cannot be published exactly stays null, with its problem
-- ('line' or 'sum', from int_potential / int_billing); check_money stops the run
-- on it. Uses no parameters.
SELECT
    s.season_id,
    c.client_id,
    CASE WHEN p.client_id IS NULL THEN CAST(0 AS DECIMAL(38, 2)) ELSE p.potential END AS potential,
    CASE WHEN b.client_id IS NULL THEN CAST(0 AS DECIMAL(38, 2)) ELSE b.billing END AS billing,
    p.client_id IS NOT NULL AS has_cadastre,
    b.client_id IS NOT NULL AS has_sales,
    p.potential_problem,
    b.billing_problem
FROM int_seasons_in_scope AS s
CROSS JOIN int_clients_in_scope AS c
LEFT JOIN int_potential AS p ON p.season_id = s.season_id AND p.client_id = c.client_id
LEFT JOIN int_billing AS b ON b.season_id = s.season_id AND b.client_id = c.client_id
