-- int_cadastre: one row per row of `cadastre`, with its final reject reason:
-- the staging problem, else `unknown client_id` (absent from `clients`,
-- active or not). Uses no parameters.
WITH cadastre AS (
    SELECT * FROM stg_cadastre
),

known_clients AS (
    SELECT DISTINCT client_id FROM stg_clients WHERE client_id IS NOT NULL
)

SELECT
    c.client_id,
    c.parcel_id,
    c.season_id,
    c.activity,
    c.productive_ha,
    c.row_key,
    COALESCE(
        c.row_problem,
        CASE WHEN k.client_id IS NULL THEN 'unknown client_id' END
    ) AS reject_reason
FROM cadastre AS c
LEFT JOIN known_clients AS k ON c.client_id = k.client_id
