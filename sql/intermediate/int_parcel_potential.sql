-- int_parcel_potential: one row per (season in scope, client in scope, parcel)
-- that applies: the parcel's row for that season if it has one, else its row
-- with a null season_id (contract §3). `rate` is the (season, activity) rate,
-- else the (season, '*') rate, else null (unpriced); `rate_activity` says
-- which. Uses no parameters.
WITH parcels AS (
    SELECT c.client_id, c.parcel_id, c.season_id, c.activity, c.productive_ha
    FROM int_cadastre AS c
    INNER JOIN int_clients_in_scope AS k ON c.client_id = k.client_id
    WHERE c.reject_reason IS NULL
),

seasons AS (
    SELECT season_id FROM int_seasons_in_scope
),

rates AS (
    SELECT season_id, activity, amount_per_ha
    FROM stg_potential_rates
    WHERE row_problem IS NULL
),

season_specific AS (
    SELECT p.season_id, p.client_id, p.parcel_id, p.activity, p.productive_ha
    FROM parcels AS p
    INNER JOIN seasons AS s ON p.season_id = s.season_id
),

generic AS (
    SELECT s.season_id, p.client_id, p.parcel_id, p.activity, p.productive_ha
    FROM parcels AS p
    CROSS JOIN seasons AS s
    WHERE p.season_id IS NULL
),

applied AS (
    SELECT * FROM season_specific
    UNION ALL
    SELECT g.*
    FROM generic AS g
    WHERE NOT EXISTS (
        SELECT 1
        FROM season_specific AS x
        WHERE x.season_id = g.season_id
            AND x.client_id = g.client_id
            AND x.parcel_id = g.parcel_id
    )
)

SELECT
    a.season_id,
    a.client_id,
    a.parcel_id,
    a.activity,
    a.productive_ha,
    COALESCE(exact.amount_per_ha, fallback.amount_per_ha) AS rate,
    CASE
        WHEN exact.amount_per_ha IS NOT NULL THEN a.activity
        WHEN fallback.amount_per_ha IS NOT NULL THEN '*'
    END AS rate_activity
FROM applied AS a
LEFT JOIN rates AS exact
    ON exact.season_id = a.season_id AND exact.activity = a.activity
LEFT JOIN rates AS fallback
    ON fallback.season_id = a.season_id AND fallback.activity = '*'
