-- val_cadastre: one row per row of the `cadastre` input table, with its
-- row key and its first intra-table problem (docs/SEMANTICS.md, "Row problems"):
-- null key, null value, negative hectares, duplicate key (nulls equal:
-- a null season_id is a value of the key). Uses no parameters.
--
-- Duplicate keys, as in every validation view: the keys that occur more than
-- once (GROUP BY the key, nulls forming one group, HAVING COUNT(*) > 1), a
-- short list joined back on the key with nulls equal (no sort of the table).
WITH source AS (
    SELECT client_id, parcel_id, activity, productive_ha, season_id
    FROM stg_cadastre
),

duplicated AS (
    SELECT client_id, parcel_id, season_id, TRUE AS is_duplicated
    FROM source
    GROUP BY client_id, parcel_id, season_id
    HAVING COUNT(*) > 1
),

counted AS (
    SELECT
        s.*,
        COALESCE(d.is_duplicated, FALSE) AS duplicated_key
    FROM duplicated AS d
    RIGHT JOIN source AS s
        ON (s.client_id IS NOT DISTINCT FROM d.client_id)
        AND (s.parcel_id IS NOT DISTINCT FROM d.parcel_id)
        AND (s.season_id IS NOT DISTINCT FROM d.season_id)
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
        WHEN duplicated_key THEN 'duplicate key'
    END AS row_problem
FROM counted
