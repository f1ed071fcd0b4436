-- campaign_summary: one row per campaign active on D, including those with a
-- status_note (contract §9): label, members (INT64), and the sums of the
-- members' rounded figures (0.00 with no members). Uses no parameters.
WITH totals AS (
    SELECT
        campaign_id,
        COUNT(*) AS members,
        SUM(potential) AS potential_total,
        SUM(billing) AS billing_total
    FROM memberships
    GROUP BY campaign_id
)

SELECT
    k.campaign_id,
    k.description,
    k.season_id,
    k.label,
    COALESCE(t.members, 0) AS members,
    CAST(COALESCE(t.potential_total, 0) AS DECIMAL(38, 2)) AS potential_total,
    CAST(COALESCE(t.billing_total, 0) AS DECIMAL(38, 2)) AS billing_total,
    k.status_note
FROM active_campaigns AS k
LEFT JOIN totals AS t ON t.campaign_id = k.campaign_id
