-- stg_cadastre: one row per row of the `cadastre` input table. Renames and
-- casts only; none is needed (the input tables are registered with the
-- contract's types). Row problems: val_cadastre. Uses no parameters.
SELECT
    client_id,
    parcel_id,
    activity,
    productive_ha,
    season_id
FROM cadastre
