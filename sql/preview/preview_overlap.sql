-- preview_overlap: one row per campaign of the snapshot (snap_campaigns,
-- from its manifest) in the preview's season with members: its label, its
-- members (the manifest's count) and how many of them are also members of
-- the range as given ('range'; from snap_memberships). The range's members
-- are the hash table and only matching memberships go on (the session
-- keeps the written join order); a membership of another season's campaign
-- is counted, then dropped with its campaign. Parameters:
-- preview_params.season_id.
WITH season AS (
    SELECT season_id FROM preview_params
),

given_members AS (
    SELECT client_id
    FROM preview_evaluated
    WHERE campaign_id = 'range'
),

campaigns AS (
    SELECT k.campaign_id, k.label, k.members
    FROM season AS s
    INNER JOIN snap_campaigns AS k ON k.season_id = s.season_id
    WHERE k.members > 0
),

shared AS (
    SELECT m.campaign_id, COUNT(*) AS shared
    FROM given_members AS g
    INNER JOIN snap_memberships AS m ON m.client_id = g.client_id
    GROUP BY m.campaign_id
)

SELECT k.campaign_id, k.label, k.members, COALESCE(x.shared, 0) AS shared
FROM campaigns AS k
LEFT JOIN shared AS x ON x.campaign_id = k.campaign_id
