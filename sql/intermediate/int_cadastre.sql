-- int_cadastre: one row per row of `cadastre`, with its final reject reason:
-- the validation problem, else `unknown client_id` (absent from `clients`,
-- active or not), and whether its client is in scope. Uses no parameters.
-- (The clients are the join's left side, its hash table: docs/SEMANTICS.md,
-- "Plans".)
SELECT
    c.client_id,
    c.parcel_id,
    c.season_id,
    c.activity,
    c.productive_ha,
    c.row_key,
    COALESCE(k.in_scope, FALSE) AS client_in_scope,
    COALESCE(
        c.row_problem,
        CASE WHEN k.client_id IS NULL THEN 'unknown client_id' END
    ) AS reject_reason
FROM int_known_clients AS k
RIGHT JOIN val_cadastre AS c ON c.client_id = k.client_id
