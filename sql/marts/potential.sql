-- potential: one row per client in scope and season in scope with at least one
-- applicable parcel (contract §3). potential = sum of productive_ha × rate over
-- priced parcels, exact, then rounded once to 2 decimals half away from zero
-- (a cast to DECIMAL(38,2) rounds that way). unpriced_ha: hectares of
-- parcels with no rate. Uses no parameters.
WITH parcels AS (
    SELECT * FROM int_parcel_potential
)

SELECT
    season_id,
    client_id,
    COALESCE(
        CAST(SUM(productive_ha * rate) AS DECIMAL(38, 2)),
        CAST(0 AS DECIMAL(38, 2))
    ) AS potential,
    COUNT(*) AS parcels,
    COALESCE(SUM(CASE WHEN rate IS NULL THEN productive_ha END), 0) AS unpriced_ha
FROM parcels
GROUP BY season_id, client_id
