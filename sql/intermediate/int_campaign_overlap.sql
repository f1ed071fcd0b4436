-- int_campaign_overlap: one row per pair of campaigns active on D, of the
-- same season, that share at least one member: campaign_id <
-- other_campaign_id (byte-wise: each pair once, a campaign never with
-- itself), each one's members and how many members they share
-- (docs/SEMANTICS.md, "Campaign overlap"). Uses no parameters.
--
-- Clients are counted by their list of campaigns, not paired one by one:
-- the campaigns (a few hundred) are numbered in campaign_id order, each
-- (season, client) gets the sorted list of its campaigns' numbers, equal
-- lists are counted together, and the pairs are made from one client of
-- each distinct list (the smallest client_id), weighted by the list's
-- clients. Clients with the same figures fall in the same campaigns, so
-- there are far fewer lists than clients; with every list distinct this is
-- the self-join of the memberships it replaces.
WITH campaigns AS (
    SELECT campaign_id FROM int_active_campaigns
),

memberships AS (
    SELECT campaign_id, client_id, season_id FROM int_memberships
),

numbered AS (
    SELECT
        campaign_id,
        ROW_NUMBER() OVER (ORDER BY campaign_id ASC) AS campaign_no
    FROM campaigns
),

members AS (
    SELECT k.campaign_no, m.client_id, m.season_id
    FROM numbered AS k
    INNER JOIN memberships AS m ON m.campaign_id = k.campaign_id
),

counts AS (
    SELECT campaign_no, COUNT(*) AS members FROM members GROUP BY campaign_no
),

client_lists AS (
    SELECT
        season_id,
        client_id,
        array_sort(array_agg(campaign_no)) AS campaign_list
    FROM members
    GROUP BY season_id, client_id
),

lists AS (
    SELECT
        season_id,
        MIN(client_id) AS example_client_id,
        COUNT(*) AS clients
    FROM client_lists
    GROUP BY season_id, campaign_list
),

example_members AS (
    SELECT m.season_id, m.client_id, m.campaign_no, l.clients
    FROM lists AS l
    INNER JOIN members AS m
        ON m.season_id = l.season_id AND m.client_id = l.example_client_id
),

shared AS (
    SELECT
        a.season_id,
        a.campaign_no,
        b.campaign_no AS other_campaign_no,
        SUM(a.clients) AS shared
    FROM example_members AS a
    INNER JOIN example_members AS b
        ON b.season_id = a.season_id
        AND b.client_id = a.client_id
        AND a.campaign_no < b.campaign_no
    GROUP BY a.season_id, a.campaign_no, b.campaign_no
)

SELECT
    s.season_id,
    ka.campaign_id,
    kb.campaign_id AS other_campaign_id,
    a.members,
    b.members AS other_members,
    s.shared
FROM counts AS a
INNER JOIN shared AS s ON s.campaign_no = a.campaign_no
INNER JOIN counts AS b ON b.campaign_no = s.other_campaign_no
INNER JOIN numbered AS ka ON ka.campaign_no = s.campaign_no
INNER JOIN numbered AS kb ON kb.campaign_no = s.other_campaign_no
