-- client_segments: one row per season in scope and client in scope (contract
-- §2, §5): the client's figures, segment (int_client_segments) and whether
-- it has cadastre and sales in the season. Published. Uses no parameters.
SELECT
    season_id,
    client_id,
    potential,
    billing,
    segment,
    has_cadastre,
    has_sales
FROM int_client_segments
