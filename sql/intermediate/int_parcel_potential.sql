-- int_parcel_potential: one row per (season in scope, client in scope, parcel)
-- that applies: the parcel's row for that season if it has one, else its row
-- with a null season_id (contract §3). `rate` is the (season, activity) rate,
-- else the (season, '*') rate, else null (unpriced); `rate_activity` says
-- which; `cadastre_season_id` is the applied row's own season_id (null for a
-- generic row). `parcel_potential` = productive_ha × rate, exact, as a
-- DECIMAL(76, s) (each factor widened to 76 digits keeping its scale, so the
-- product cannot overflow; docs/SEMANTICS.md, "Exact money"); null when
-- unpriced. Uses no parameters.
--
-- The small side of each join comes first (its hash table): seasons,
-- season-specific keys and rates (docs/SEMANTICS.md, "Plans").
WITH parcels AS (
    SELECT client_id, parcel_id, season_id, activity, productive_ha
    FROM int_parcels_in_scope
),

seasons AS (
    SELECT season_id FROM int_seasons_in_scope
),

rates AS (
    SELECT season_id, activity, amount_per_ha
    FROM int_potential_rates
),

season_specific AS (
    SELECT
        p.season_id, p.client_id, p.parcel_id, p.activity, p.productive_ha,
        p.season_id AS cadastre_season_id
    FROM seasons AS s
    INNER JOIN parcels AS p ON p.season_id = s.season_id
),

generic AS (
    SELECT
        s.season_id, p.client_id, p.parcel_id, p.activity, p.productive_ha,
        p.season_id AS cadastre_season_id
    FROM seasons AS s
    CROSS JOIN parcels AS p
    WHERE p.season_id IS NULL
),

-- A generic row applies where its parcel has no row of that season: the
-- season-specific keys are the hash table and the generic rows (parcels x
-- seasons, the larger side) stream through it (a NOT EXISTS would build on
-- the generic rows: 6M at scale 10, 60M at scale 100).
specific_keys AS (
    SELECT season_id, client_id, parcel_id FROM season_specific
),

applied AS (
    SELECT * FROM season_specific
    UNION ALL
    SELECT g.*
    FROM specific_keys AS x
    RIGHT ANTI JOIN generic AS g
        ON x.season_id = g.season_id
        AND x.client_id = g.client_id
        AND x.parcel_id = g.parcel_id
),

with_exact AS (
    SELECT a.*, r.amount_per_ha AS exact_rate
    FROM rates AS r
    RIGHT JOIN applied AS a
        ON r.season_id = a.season_id AND r.activity = a.activity
),

fallback_rates AS (
    SELECT season_id, amount_per_ha FROM rates WHERE activity = '*'
),

with_fallback AS (
    SELECT a.*, r.amount_per_ha AS fallback_rate
    FROM fallback_rates AS r
    RIGHT JOIN with_exact AS a ON r.season_id = a.season_id
)

SELECT
    season_id,
    client_id,
    parcel_id,
    activity,
    productive_ha,
    COALESCE(exact_rate, fallback_rate) AS rate,
    CASE
        WHEN exact_rate IS NOT NULL THEN activity
        WHEN fallback_rate IS NOT NULL THEN '*'
    END AS rate_activity,
    cadastre_season_id,
    (productive_ha + CAST(0 AS DECIMAL(39, 0)))
        * (COALESCE(exact_rate, fallback_rate) + CAST(0 AS DECIMAL(39, 0))) AS parcel_potential
FROM with_fallback
