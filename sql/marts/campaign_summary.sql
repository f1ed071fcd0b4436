-- campaign_summary: one row per campaign active on D, including those with a
-- status_note (contract §9): label, members (INT64), and the sums of the
-- members' rounded figures (0.00 with no members). Uses no parameters.
--
-- Exact money (docs/SEMANTICS.md): the members' figures (each below 10^36)
-- are summed as DECIMAL(76, 2), which cannot wrap; a total that does not fit
-- DECIMAL(38,2) (|total| >= 10^36) is null, and check_money stops the run
-- on it.
WITH totals AS (
    SELECT
        campaign_id,
        COUNT(*) AS members,
        SUM(CAST(potential AS DECIMAL(76, 2))) AS potential_total,
        SUM(CAST(billing AS DECIMAL(76, 2))) AS billing_total
    FROM int_memberships
    GROUP BY campaign_id
),

checked AS (
    SELECT
        campaign_id,
        members,
        COALESCE(potential_total, 0) AS potential_total,
        COALESCE(billing_total, 0) AS billing_total,
        abs(COALESCE(potential_total, 0))
            >= CAST('1000000000000000000000000000000000000' AS DECIMAL(37, 0)) AS potential_beyond,
        abs(COALESCE(billing_total, 0))
            >= CAST('1000000000000000000000000000000000000' AS DECIMAL(37, 0)) AS billing_beyond
    FROM totals
)

SELECT
    k.campaign_id,
    k.description,
    k.season_id,
    k.label,
    COALESCE(t.members, 0) AS members,
    CASE
        WHEN t.campaign_id IS NULL THEN CAST(0 AS DECIMAL(38, 2))
        WHEN NOT t.potential_beyond THEN CAST(t.potential_total AS DECIMAL(38, 2))
    END AS potential_total,
    CASE
        WHEN t.campaign_id IS NULL THEN CAST(0 AS DECIMAL(38, 2))
        WHEN NOT t.billing_beyond THEN CAST(t.billing_total AS DECIMAL(38, 2))
    END AS billing_total,
    k.status_note
FROM int_active_campaigns AS k
LEFT JOIN checked AS t ON t.campaign_id = k.campaign_id
