-- preview_result: one row per preview campaign (preview_campaigns): its
-- bounds, its label and status_note as the job's int_active_campaigns gives
-- them, its members (preview_members: as the job's int_campaign_conditions
-- finds them), the exact sums of the members' figures (DECIMAL(76,2)),
-- and, compared with the range as given ('range'), how many clients would
-- join and how many would leave. Uses no parameters.
WITH members AS (
    SELECT campaign_id, client_id, potential, billing
    FROM preview_members
),

given_members AS (
    SELECT client_id FROM members WHERE campaign_id = 'range'
),

given_count AS (
    SELECT COUNT(*) AS given FROM given_members
),

-- joined: members that are not members of the range as given; the given
-- members are the hash table (the session keeps the written join order).
totals AS (
    SELECT
        m.campaign_id,
        COUNT(*) AS members,
        SUM(CAST(m.potential AS DECIMAL(76, 2))) AS potential_total,
        SUM(CAST(m.billing AS DECIMAL(76, 2))) AS billing_total,
        COUNT(*) - COUNT(g.client_id) AS joined
    FROM given_members AS g
    RIGHT JOIN members AS m ON m.client_id = g.client_id
    GROUP BY m.campaign_id
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
    COALESCE(t.joined, 0) AS joined,
    -- left: members of the range as given that are not members here.
    n.given - (COALESCE(t.members, 0) - COALESCE(t.joined, 0)) AS left_clients
FROM preview_campaigns AS k
CROSS JOIN given_count AS n
INNER JOIN int_active_campaigns AS a ON a.campaign_id = k.campaign_id
LEFT JOIN totals AS t ON t.campaign_id = k.campaign_id
