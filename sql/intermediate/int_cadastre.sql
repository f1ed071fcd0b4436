-- int_cadastre: one row per row of `cadastre`, with its final reject reason:
-- the validation problem, else `unknown client_id` (absent from `clients`,
-- active or not), whether its client is in scope, and, for a rejected row
-- only, its row key (`client_id|parcel_id|season_id`, `<null>` for a null;
-- null for a kept row). The key is built after the join, for the rows
-- `rejects` and `explain` show, not for the 3.6M parcels of scale 10
-- (BENCHMARKS.md, "Campaign bounds in cents"; as int_sales builds the
-- sales rows' keys). Uses no parameters.
-- (The clients are the join's left side, its hash table: docs/SEMANTICS.md,
-- "Plans".)
WITH checked AS (
    SELECT
        c.client_id,
        c.parcel_id,
        c.season_id,
        c.activity,
        c.productive_ha,
        COALESCE(k.in_scope, FALSE) AS client_in_scope,
        COALESCE(
            c.row_problem,
            CASE WHEN k.client_id IS NULL THEN 'unknown client_id' END
        ) AS reject_reason
    FROM int_known_clients AS k
    RIGHT JOIN val_cadastre AS c ON c.client_id = k.client_id
)

SELECT
    client_id,
    parcel_id,
    season_id,
    activity,
    productive_ha,
    CASE
        WHEN reject_reason IS NOT NULL
            THEN concat_ws(
                '|',
                COALESCE(client_id, '<null>'),
                COALESCE(parcel_id, '<null>'),
                COALESCE(season_id, '<null>')
            )
    END AS row_key,
    client_in_scope,
    reject_reason
FROM checked
