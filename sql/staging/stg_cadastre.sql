-- stg_cadastre: one row per row of the `cadastre` input table, with its
-- row key and its first intra-table problem (docs/SEMANTICS.md, "Row problems"):
-- null key, null value, negative hectares, duplicate key (nulls equal:
-- a null season_id is a value of the key). Uses no parameters.
WITH source AS (
    SELECT client_id, parcel_id, activity, productive_ha, season_id
    FROM cadastre
),

counted AS (
    SELECT
        *,
        COUNT(*) OVER (PARTITION BY client_id, parcel_id, season_id) AS key_rows
    FROM source
)

SELECT
    client_id,
    parcel_id,
    season_id,
    activity,
    productive_ha,
    concat_ws('|',
        COALESCE(client_id, '<null>'),
        COALESCE(parcel_id, '<null>'),
        COALESCE(season_id, '<null>')) AS row_key,
    CASE
        WHEN client_id IS NULL THEN 'null client_id'
        WHEN parcel_id IS NULL THEN 'null parcel_id'
        WHEN activity IS NULL THEN 'null activity'
        WHEN productive_ha IS NULL THEN 'null productive_ha'
        WHEN productive_ha < 0 THEN 'negative productive_ha'
        WHEN key_rows > 1 THEN 'duplicate key'
    END AS row_problem
FROM counted
