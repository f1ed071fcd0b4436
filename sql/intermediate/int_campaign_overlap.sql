-- int_campaign_overlap: one row per pair of campaigns active on D, of the
-- same season, that share at least one member: campaign_id <
-- other_campaign_id (byte-wise: each pair once, a campaign never with
-- itself), each one's members and how many members they share
-- (docs/SEMANTICS.md, "Campaign overlap"). Uses no parameters.
--
-- Cost: one row per member pair of a client, summed over clients (k
-- campaigns of a client give k (k - 1) / 2 pairs).
WITH members AS (
    SELECT campaign_id, client_id, season_id FROM int_memberships
),

counts AS (
    SELECT campaign_id, COUNT(*) AS members FROM members GROUP BY campaign_id
),

shared AS (
    SELECT
        a.season_id,
        a.campaign_id,
        b.campaign_id AS other_campaign_id,
        COUNT(*) AS shared
    FROM members AS a
    INNER JOIN members AS b
        ON b.season_id = a.season_id
        AND b.client_id = a.client_id
        AND a.campaign_id < b.campaign_id
    GROUP BY a.season_id, a.campaign_id, b.campaign_id
)

SELECT
    s.season_id,
    s.campaign_id,
    s.other_campaign_id,
    a.members,
    b.members AS other_members,
    s.shared
FROM counts AS a
INNER JOIN shared AS s ON s.campaign_id = a.campaign_id
INNER JOIN counts AS b ON b.campaign_id = s.other_campaign_id
