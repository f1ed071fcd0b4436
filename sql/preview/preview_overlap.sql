-- preview_overlap: one row per campaign of the snapshot in the preview's
-- season that has members (snap_memberships): its label, its members, and
-- how many of them are also members of the range as given ('range').
-- The small relations come first in each join (they are the hash tables;
-- the session keeps the written join order). Parameters:
-- preview_params.season_id.
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
    FROM season AS s
    INNER JOIN snap_memberships AS m ON m.season_id = s.season_id
),

counted AS (
    SELECT
        m.campaign_id,
        COUNT(*) AS members,
        COUNT(g.client_id) AS shared
    FROM given_members AS g
    RIGHT JOIN season_members AS m ON m.client_id = g.client_id
    GROUP BY m.campaign_id
)

SELECT c.campaign_id, k.label, c.members, c.shared
FROM snap_campaigns AS k
RIGHT JOIN counted AS c ON c.campaign_id = k.campaign_id
