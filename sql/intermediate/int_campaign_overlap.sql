-- int_campaign_overlap: one row per pair of campaigns active on D, of the
-- same season, that share at least one member: campaign_id <
-- other_campaign_id (byte-wise: each pair once, a campaign never with
-- itself), each one's members and how many members they share
-- (docs/SEMANTICS.md, "Campaign overlap"). Uses no parameters.
--
-- Clients are counted by their list of campaigns, not paired one by one:
-- the campaigns (a few hundred) are numbered in campaign_id order, each
-- (season, client) gets the sorted list of its campaigns' numbers, equal
-- lists are counted together, and each distinct list gives its pairs of
-- campaigns, weighted by the list's clients. Clients with the same figures
-- fall in the same campaigns, so there are far fewer lists than clients
-- (3 080 for 9.7M clients at scale 100); with every list distinct this is
-- the self-join of the memberships it replaces.
--
-- DataFusion computes a CTE once per reference, so the lists are referenced
-- once: a list's campaigns and its pairs are found by testing its numbers
-- against the numbered campaigns (a few hundred), and the pairs include
-- each campaign with itself (shared = its members), read back by two
-- windows over the few thousand pairs. Referencing the lists twice (a
-- self-join) aggregated the 45M memberships twice: 23 s of CPU at
-- scale 100 (BENCHMARKS.md).
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

client_lists AS (
    SELECT
        season_id,
        client_id,
        array_sort(array_agg(campaign_no)) AS campaign_list
    FROM members
    GROUP BY season_id, client_id
),

lists AS (
    SELECT season_id, campaign_list, COUNT(*) AS clients
    FROM client_lists
    GROUP BY season_id, campaign_list
),

list_campaigns AS (
    SELECT l.season_id, l.campaign_list, l.clients, k.campaign_no
    FROM numbered AS k
    INNER JOIN lists AS l ON array_has(l.campaign_list, k.campaign_no)
),

pairs AS (
    SELECT
        a.season_id,
        a.campaign_no,
        b.campaign_no AS other_campaign_no,
        SUM(a.clients) AS shared
    FROM numbered AS b
    INNER JOIN list_campaigns AS a
        ON a.campaign_no <= b.campaign_no AND array_has(a.campaign_list, b.campaign_no)
    GROUP BY a.season_id, a.campaign_no, b.campaign_no
),

counted AS (
    SELECT
        season_id,
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
    s.season_id,
    ka.campaign_id,
    kb.campaign_id AS other_campaign_id,
    s.members,
    s.other_members,
    s.shared
FROM counted AS s
INNER JOIN numbered AS ka ON ka.campaign_no = s.campaign_no
INNER JOIN numbered AS kb ON kb.campaign_no = s.other_campaign_no
WHERE s.campaign_no < s.other_campaign_no
