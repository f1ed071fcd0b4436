-- int_client_figures: one row per season in scope × client in scope, including
-- clients with neither cadastre nor sales (potential and billing 0).
-- Uses no parameters.
SELECT
    s.season_id,
    c.client_id,
    COALESCE(p.potential, CAST(0 AS DECIMAL(38, 2))) AS potential,
    COALESCE(b.billing, CAST(0 AS DECIMAL(38, 2))) AS billing,
    p.client_id IS NOT NULL AS has_cadastre,
    b.client_id IS NOT NULL AS has_sales
FROM int_seasons_in_scope AS s
CROSS JOIN int_clients_in_scope AS c
LEFT JOIN potential AS p ON p.season_id = s.season_id AND p.client_id = c.client_id
LEFT JOIN billing AS b ON b.season_id = s.season_id AND b.client_id = c.client_id
