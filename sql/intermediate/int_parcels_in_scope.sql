-- int_parcels_in_scope: one row per accepted cadastre row (no reject
-- reason) of a client in scope, with its own season_id (null for a generic
-- row): the parcels whose potential counts (contract §3). The one place
-- that says which cadastre rows count: int_parcel_potential applies them to
-- the seasons in scope, report_unpriced_activities reports the unpriced
-- ones. Uses no parameters.
SELECT
    client_id,
    parcel_id,
    season_id,
    activity,
    productive_ha
FROM int_cadastre
WHERE reject_reason IS NULL AND client_in_scope
