-- report_unpriced_activities: one row per (season in scope, activity) with
-- unpriced parcels (no rate for the season and activity, and no '*' rate)
-- of clients in scope: their hectares (exact, as text) and how many
-- clients hold them, for the manifest and the manager's report. A generic
-- parcel counts in every season in scope it applies to. Uses no
-- parameters.
WITH unpriced AS (
    SELECT season_id, activity, client_id, productive_ha
    FROM int_parcel_potential
    WHERE rate IS NULL
),

per_activity AS (
    SELECT
        season_id,
        activity,
        SUM(productive_ha + CAST(0 AS DECIMAL(39, 0))) AS hectares,
        COUNT(DISTINCT client_id) AS clients
    FROM unpriced
    GROUP BY season_id, activity
)

SELECT season_id, activity, CAST(hectares AS VARCHAR) AS hectares, clients
FROM per_activity
