-- report_unpriced_activities: one row per (season in scope, activity) with
-- unpriced parcels (no rate for the season and activity, and no '*' rate)
-- of clients in scope: their hectares (exact, as text) and how many
-- clients hold them, for the manifest and the manager's report. A generic
-- parcel counts in every season in scope it applies to. Uses no
-- parameters.
--
-- The rows are those of int_parcel_potential with a null rate, found
-- without building all of int_parcel_potential: whether a parcel is priced
-- depends only on its (season, activity), so the pairs without a rate come
-- first (seasons in scope x the parcels' activities, with
-- int_parcel_potential's two rate joins), and only the parcels of those
-- activities go through its rule of which row applies in a season (the
-- parcel's row of that season, else its generic row). Every season-specific
-- row, priced or not, hides its parcel's generic row in its season. At
-- scale 10: 92K of the 6M applied rows, 0.05 s instead of 0.6 s (the run's
-- last query before publishing; BENCHMARKS.md).
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

fallback_rates AS (
    SELECT season_id, amount_per_ha FROM rates WHERE activity = '*'
),

activities AS (
    SELECT DISTINCT activity FROM parcels
),

pairs AS (
    SELECT s.season_id, a.activity
    FROM seasons AS s
    CROSS JOIN activities AS a
),

-- The pairs with neither rate, as int_parcel_potential joins them.
unpriced_pairs AS (
    SELECT p.season_id, p.activity
    FROM pairs AS p
    LEFT JOIN rates AS e ON e.season_id = p.season_id AND e.activity = p.activity
    LEFT JOIN fallback_rates AS f ON f.season_id = p.season_id
    WHERE COALESCE(e.amount_per_ha, f.amount_per_ha) IS NULL
),

-- The applied rows of those pairs: a parcel's row of the season, or its
-- generic row (own_season null) where the parcel has no row of the season.
candidates AS (
    SELECT
        u.season_id, p.client_id, p.parcel_id, p.activity, p.productive_ha,
        p.season_id AS own_season
    FROM unpriced_pairs AS u
    INNER JOIN parcels AS p ON p.activity = u.activity
    WHERE p.season_id IS NULL OR p.season_id = u.season_id
),

-- Every parcel's season-specific row, whatever its activity.
specific_keys AS (
    SELECT season_id, client_id, parcel_id
    FROM parcels
    WHERE season_id IS NOT NULL
),

applied AS (
    SELECT c.season_id, c.client_id, c.activity, c.productive_ha
    FROM candidates AS c
    LEFT ANTI JOIN specific_keys AS x
        ON x.season_id = c.season_id
        AND x.client_id = c.client_id
        AND x.parcel_id = c.parcel_id
        AND c.own_season IS NULL
),

per_activity AS (
    SELECT
        season_id,
        activity,
        SUM(productive_ha + CAST(0 AS DECIMAL(39, 0))) AS hectares,
        COUNT(DISTINCT client_id) AS clients
    FROM applied
    GROUP BY season_id, activity
)

SELECT season_id, activity, CAST(hectares AS VARCHAR) AS hectares, clients
FROM per_activity
