-- preview_overlap: one row per campaign of the snapshot in the preview's
-- season that has members (snap_memberships): its label, its members, and
-- how many of them are also members of the range as given ('range').
-- Parameters: preview_params.season_id.
WITH season AS (
    SELECT season_id FROM preview_params
),

given_members AS (
    SELECT client_id
    FROM int_campaign_conditions
    WHERE is_member AND campaign_id = 'range'
),

season_members AS (
    SELECT m.campaign_id, m.client_id
    FROM snap_memberships AS m
    INNER JOIN season AS s ON s.season_id = m.season_id
)

SELECT
    m.campaign_id,
    k.label,
    COUNT(*) AS members,
    COUNT(g.client_id) AS shared
FROM season_members AS m
LEFT JOIN given_members AS g ON g.client_id = m.client_id
LEFT JOIN snap_campaigns AS k ON k.campaign_id = m.campaign_id
GROUP BY m.campaign_id, k.label
