-- int_campaign_overlap: one row per pair of campaigns active on D, of the
-- same season, that share at least one member: campaign_id <
-- other_campaign_id (byte-wise: each pair once, a campaign never with
-- itself), each one's members and how many members they share
-- (docs/SEMANTICS.md, "Campaign overlap"). Uses no parameters.
--
-- Clients are counted by their list of campaigns, not paired one by one
-- (int_campaign_list_members): the pairs are made from the example client
-- of each distinct list, weighted by the list's clients. A campaign paired
-- with itself shares all its members (each client of a season has exactly
-- one list), so the pairs are made with campaign_no <= other_campaign_no:
-- a pair's two member counts are read from the two campaigns' pairs with
-- themselves, and those are then dropped. A membership's season is its
-- campaign's, so a pair's season is its first campaign's. With every list
-- distinct this is the self-join of the memberships it replaces.
WITH list_members AS (
    SELECT season_id, example_client_id, campaign_no, campaign_id, clients
    FROM int_campaign_list_members
),

campaigns AS (
    SELECT DISTINCT campaign_no, campaign_id, season_id FROM list_members
),

pairs AS (
    SELECT
        a.campaign_no,
        b.campaign_no AS other_campaign_no,
        SUM(a.clients) AS shared
    FROM list_members AS a
    INNER JOIN list_members AS b
        ON b.season_id = a.season_id
        AND b.example_client_id = a.example_client_id
        AND a.campaign_no <= b.campaign_no
    GROUP BY a.campaign_no, b.campaign_no
),

sized AS (
    SELECT
        campaign_no,
        other_campaign_no,
        shared,
        MAX(CASE WHEN campaign_no = other_campaign_no THEN shared END)
            OVER (PARTITION BY campaign_no) AS members,
        MAX(CASE WHEN campaign_no = other_campaign_no THEN shared END)
            OVER (PARTITION BY other_campaign_no) AS other_members
    FROM pairs
)

SELECT
    ka.season_id,
    ka.campaign_id,
    kb.campaign_id AS other_campaign_id,
    s.members,
    s.other_members,
    s.shared
FROM sized AS s
INNER JOIN campaigns AS ka ON ka.campaign_no = s.campaign_no
INNER JOIN campaigns AS kb ON kb.campaign_no = s.other_campaign_no
WHERE s.campaign_no < s.other_campaign_no
