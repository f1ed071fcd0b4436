-- preview_result: one row per preview campaign (preview_campaigns): its
-- bounds, its label and status_note as the job's int_active_campaigns gives
-- them, its members as the job's int_campaign_conditions finds them, the
-- exact sums of the members' figures (DECIMAL(76,2)), and, compared with
-- the range as given ('range'), how many clients would join and how many
-- would leave. Uses no parameters.
WITH members AS (
    SELECT campaign_id, client_id, potential, billing
    FROM int_campaign_conditions
    WHERE is_member
),

given_members AS (
    SELECT client_id FROM members WHERE campaign_id = 'range'
),

totals AS (
    SELECT
        campaign_id,
        COUNT(*) AS members,
        SUM(CAST(potential AS DECIMAL(76, 2))) AS potential_total,
        SUM(CAST(billing AS DECIMAL(76, 2))) AS billing_total
    FROM members
    GROUP BY campaign_id
),

expected AS (
    SELECT k.campaign_id, g.client_id
    FROM preview_campaigns AS k
    CROSS JOIN given_members AS g
),

moves AS (
    SELECT
        COALESCE(m.campaign_id, e.campaign_id) AS campaign_id,
        SUM(CASE WHEN e.client_id IS NULL THEN 1 ELSE 0 END) AS joined,
        SUM(CASE WHEN m.client_id IS NULL THEN 1 ELSE 0 END) AS left_clients
    FROM members AS m
    FULL OUTER JOIN expected AS e
        ON e.campaign_id = m.campaign_id AND e.client_id = m.client_id
    GROUP BY COALESCE(m.campaign_id, e.campaign_id)
)

SELECT
    k.campaign_id,
    k.moved_bound,
    k.step,
    k.season_id,
    k.by_potential,
    CAST(k.potential_min AS DECIMAL(38, 2)) AS potential_min,
    CAST(k.potential_max AS DECIMAL(38, 2)) AS potential_max,
    k.by_billing,
    CAST(k.billing_min AS DECIMAL(38, 2)) AS billing_min,
    CAST(k.billing_max AS DECIMAL(38, 2)) AS billing_max,
    a.label,
    a.status_note,
    COALESCE(t.members, 0) AS members,
    COALESCE(t.potential_total, 0) AS potential_total,
    COALESCE(t.billing_total, 0) AS billing_total,
    COALESCE(v.joined, 0) AS joined,
    COALESCE(v.left_clients, 0) AS left_clients
FROM preview_campaigns AS k
INNER JOIN int_active_campaigns AS a ON a.campaign_id = k.campaign_id
LEFT JOIN totals AS t ON t.campaign_id = k.campaign_id
LEFT JOIN moves AS v ON v.campaign_id = k.campaign_id
