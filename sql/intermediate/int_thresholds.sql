-- int_thresholds: one row per season in scope with its two thresholds (contract
-- §5), each resolved on its own: the season's override, else the [segments]
-- default, else the lower median of the non-zero rounded potentials of the
-- clients in scope in that season (position ceil(n/2) ascending; 0 if n = 0).
-- Parameters: config_thresholds (season_id null = the [segments] default).
--
-- The median is computed only for the seasons that use it (one threshold
-- with neither an override nor a default): with both defaults set no
-- client's potential is sorted (docs/SEMANTICS.md, "Plans").
WITH defaults AS (
    SELECT high_potential, high_billing
    FROM config_thresholds
    WHERE season_id IS NULL
),

overrides AS (
    SELECT season_id, high_potential, high_billing
    FROM config_thresholds
    WHERE season_id IS NOT NULL
),

median_seasons AS (
    SELECT s.season_id
    FROM int_seasons_in_scope AS s
    LEFT JOIN defaults AS d ON TRUE
    LEFT JOIN overrides AS o ON o.season_id = s.season_id
    WHERE COALESCE(o.high_potential, d.high_potential) IS NULL
        OR COALESCE(o.high_billing, d.high_billing) IS NULL
),

nonzero AS (
    SELECT f.season_id, f.potential
    FROM median_seasons AS m
    INNER JOIN int_client_figures AS f ON f.season_id = m.season_id
    WHERE f.potential <> 0
),

ranked AS (
    SELECT
        season_id,
        potential,
        ROW_NUMBER() OVER (PARTITION BY season_id ORDER BY potential) AS position,
        COUNT(*) OVER (PARTITION BY season_id) AS n
    FROM nonzero
),

lower_median AS (
    SELECT season_id, potential AS value
    FROM ranked
    WHERE position = (n + 1) / 2
)

SELECT
    s.season_id,
    CAST(COALESCE(o.high_potential, d.high_potential, m.value, 0) AS DECIMAL(38, 2))
        AS high_potential,
    CASE
        WHEN o.high_potential IS NOT NULL THEN 'season'
        WHEN d.high_potential IS NOT NULL THEN 'default'
        ELSE 'median'
    END AS high_potential_source,
    CAST(COALESCE(o.high_billing, d.high_billing, m.value, 0) AS DECIMAL(38, 2))
        AS high_billing,
    CASE
        WHEN o.high_billing IS NOT NULL THEN 'season'
        WHEN d.high_billing IS NOT NULL THEN 'default'
        ELSE 'median'
    END AS high_billing_source
FROM int_seasons_in_scope AS s
LEFT JOIN defaults AS d ON TRUE
LEFT JOIN overrides AS o ON o.season_id = s.season_id
LEFT JOIN lower_median AS m ON m.season_id = s.season_id
