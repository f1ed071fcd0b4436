-- diff_segments: one row per (season, client) whose segment differs between
-- two snapshots (including clients or seasons present in only one), with the
-- causes: the season entered or left the scope, the client appeared or
-- disappeared, its potential or billing changed, the season's thresholds
-- changed. Reads from_/to_segments and from_/to_thresholds. Uses no parameters.
WITH changed AS (
    SELECT
        COALESCE(n.season_id, o.season_id) AS season_id,
        COALESCE(n.client_id, o.client_id) AS client_id,
        o.segment AS from_segment,
        n.segment AS to_segment,
        o.client_id IS NOT NULL AS in_from,
        n.client_id IS NOT NULL AS in_to,
        o.potential AS from_potential,
        n.potential AS to_potential,
        o.billing AS from_billing,
        n.billing AS to_billing
    FROM from_segments AS o
    FULL OUTER JOIN to_segments AS n
        ON o.season_id = n.season_id AND o.client_id = n.client_id
    WHERE o.segment IS DISTINCT FROM n.segment
)

SELECT
    c.season_id,
    c.client_id,
    c.from_segment,
    c.to_segment,
    COALESCE(NULLIF(concat_ws(', ',
        CASE WHEN ft.season_id IS NULL THEN 'season entered scope' END,
        CASE WHEN tt.season_id IS NULL THEN 'season left scope' END,
        CASE WHEN ft.season_id IS NOT NULL AND tt.season_id IS NOT NULL
            AND NOT c.in_from THEN 'client appeared' END,
        CASE WHEN ft.season_id IS NOT NULL AND tt.season_id IS NOT NULL
            AND NOT c.in_to THEN 'client disappeared' END,
        CASE WHEN c.from_potential <> c.to_potential THEN 'potential changed' END,
        CASE WHEN c.from_billing <> c.to_billing THEN 'billing changed' END,
        CASE WHEN ft.high_potential <> tt.high_potential
            OR ft.high_billing <> tt.high_billing THEN 'thresholds changed' END
    ), ''), 'unexplained') AS causes,
    c.from_potential,
    c.to_potential,
    c.from_billing,
    c.to_billing
FROM changed AS c
LEFT JOIN from_thresholds AS ft ON ft.season_id = c.season_id
LEFT JOIN to_thresholds AS tt ON tt.season_id = c.season_id
