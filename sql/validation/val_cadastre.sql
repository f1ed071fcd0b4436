-- val_cadastre: one row per row of the `cadastre` input table, with its
-- first intra-table problem (docs/SEMANTICS.md, "Row problems"):
-- null key, null value, negative hectares, duplicate key (nulls equal:
-- a null season_id is a value of the key). Uses no parameters.
--
-- Duplicate keys, as in every validation view: the keys that occur more than
-- once (GROUP BY the key, nulls forming one group, HAVING COUNT(*) > 1), a
-- short list joined back on the key with nulls equal (no sort of the table).
-- That GROUP BY only runs over the rows of candidate clients: per client
-- (all rows with a null client_id are one client), each row gets a bit,
-- 2^k with k from 0 to 49 a function of its parcel_id and season_id texts
-- (their last characters; a null is a value), and a client of more than
-- one row is a candidate if it has more than 1024 rows or the sum of its
-- bits differs from their OR, which is when a bit repeats (as in
-- val_sales_candidate_documents). Equal keys have equal bits, so every
-- repeated key is in a candidate; different keys may share a bit, which
-- only makes their client a candidate. A grouping by client holds a few
-- times fewer groups than one by the whole key.
WITH source AS (
    SELECT client_id, parcel_id, activity, productive_ha, season_id
    FROM stg_cadastre
),

keyed AS (
    SELECT
        client_id,
        CAST(1 AS BIGINT) << ((
            10 * COALESCE(ascii(left(right(parcel_id, 2), 1)), 0)
            + COALESCE(ascii(right(parcel_id, 1)), 0)
            + 7 * COALESCE(ascii(right(season_id, 1)), 47)
        ) % 50) AS key_bit
    FROM source
),

candidate_clients AS (
    SELECT client_id
    FROM keyed
    GROUP BY client_id
    HAVING COUNT(*) > 1
        AND (COUNT(*) > 1024 OR SUM(key_bit) <> BIT_OR(key_bit))
),

duplicated AS (
    SELECT s.client_id, s.parcel_id, s.season_id, TRUE AS is_duplicated
    FROM candidate_clients AS c
    INNER JOIN source AS s ON s.client_id IS NOT DISTINCT FROM c.client_id
    GROUP BY s.client_id, s.parcel_id, s.season_id
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
    CASE
        WHEN client_id IS NULL THEN 'null client_id'
        WHEN parcel_id IS NULL THEN 'null parcel_id'
        WHEN activity IS NULL THEN 'null activity'
        WHEN productive_ha IS NULL THEN 'null productive_ha'
        WHEN productive_ha < 0 THEN 'negative productive_ha'
        WHEN duplicated_key THEN 'duplicate key'
    END AS row_problem
FROM counted
