-- rpt_density: one row per season and non-empty cell of a bins × bins grid
-- over (potential, billing): how many clients fall in it. The axes of a
-- season run from min(0, smallest figure) to its largest figure; a figure
-- on the upper edge falls in the last cell, and an axis of zero width
-- (every figure equal and not positive) puts them in cell 0 (the cell is
-- chosen before the last-cell cap: LEAST ignores a null). Cell positions
-- are computed in DOUBLE (they place marks on a chart; no money is
-- computed here).
-- Parameters: report_params.bins.
WITH params AS (
    SELECT bins FROM report_params
),

axes AS (
    SELECT
        season_id,
        CAST(LEAST(MIN(potential), 0) AS DOUBLE) AS potential_low,
        CAST(MAX(potential) AS DOUBLE) AS potential_high,
        CAST(LEAST(MIN(billing), 0) AS DOUBLE) AS billing_low,
        CAST(MAX(billing) AS DOUBLE) AS billing_high
    FROM snap_segments
    GROUP BY season_id
),

placed AS (
    SELECT
        s.season_id,
        LEAST(
            COALESCE(CAST(floor((CAST(s.potential AS DOUBLE) - a.potential_low)
                / NULLIF(a.potential_high - a.potential_low, 0) * p.bins) AS BIGINT), 0),
            p.bins - 1) AS potential_cell,
        LEAST(
            COALESCE(CAST(floor((CAST(s.billing AS DOUBLE) - a.billing_low)
                / NULLIF(a.billing_high - a.billing_low, 0) * p.bins) AS BIGINT), 0),
            p.bins - 1) AS billing_cell
    FROM snap_segments AS s
    INNER JOIN axes AS a ON a.season_id = s.season_id
    CROSS JOIN params AS p
)

SELECT
    c.season_id,
    c.potential_cell,
    c.billing_cell,
    c.clients,
    a.potential_low,
    a.potential_high,
    a.billing_low,
    a.billing_high
FROM (
    SELECT season_id, potential_cell, billing_cell, COUNT(*) AS clients
    FROM placed
    GROUP BY season_id, potential_cell, billing_cell
) AS c
INNER JOIN axes AS a ON a.season_id = c.season_id
