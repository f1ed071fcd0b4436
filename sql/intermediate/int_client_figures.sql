-- int_client_figures: one row per season in scope × client in scope, including
-- clients with neither cadastre nor sales (potential and billing 0).
-- A figure that cannot be published exactly stays null, with its problem
-- ('line' or 'sum', from int_potential / int_billing); check_money stops the run
-- on it. Uses no parameters.
--
-- The grid (seasons × clients) is the probe side of both joins and the
-- figures are their hash tables (each view's rows are one per season and
-- client, so each grid row meets at most one): written as RIGHT JOINs, the
-- tables hold only the figures' columns, not the grid's rows with every
-- column joined so far; a row's presence is read from its count (parcels,
-- sales_lines: never null on a row of the view). The rows are those of
-- grid LEFT JOIN figures (docs/SEMANTICS.md, "Plans").
WITH seasons AS (
    SELECT season_id FROM int_seasons_in_scope
),

clients AS (
    SELECT client_id FROM int_clients_in_scope
),

potential AS (
    SELECT season_id, client_id, potential, potential_problem, parcels
    FROM int_potential
),

billing AS (
    SELECT season_id, client_id, billing, billing_problem, sales_lines
    FROM int_billing
),

grid AS (
    SELECT s.season_id, c.client_id
    FROM seasons AS s
    CROSS JOIN clients AS c
),

with_potential AS (
    SELECT g.season_id, g.client_id, p.potential, p.potential_problem, p.parcels
    FROM potential AS p
    RIGHT JOIN grid AS g ON p.season_id = g.season_id AND p.client_id = g.client_id
),

with_billing AS (
    SELECT
        g.season_id, g.client_id, g.potential, g.potential_problem, g.parcels,
        b.billing, b.billing_problem, b.sales_lines
    FROM billing AS b
    RIGHT JOIN with_potential AS g
        ON b.season_id = g.season_id AND b.client_id = g.client_id
)

SELECT
    season_id,
    client_id,
    CASE WHEN parcels IS NULL THEN CAST(0 AS DECIMAL(38, 2)) ELSE potential END AS potential,
    CASE WHEN sales_lines IS NULL THEN CAST(0 AS DECIMAL(38, 2)) ELSE billing END AS billing,
    parcels IS NOT NULL AS has_cadastre,
    sales_lines IS NOT NULL AS has_sales,
    potential_problem,
    billing_problem
FROM with_billing
