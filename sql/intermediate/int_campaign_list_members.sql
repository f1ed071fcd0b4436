-- int_campaign_list_members: one row per distinct list of campaigns that a
-- client of a season is a member of, and campaign of that list: the
-- season, the list's example client (its smallest client_id), the
-- campaign (its number, 1 = the smallest campaign_id active on D, and its
-- id) and how many clients of the season have exactly that list
-- (docs/SEMANTICS.md, "Campaign overlap"). Uses no parameters.
--
-- The overlap's pairs are a self-join of these rows, so a run computes
-- this view once, as a checkpoint (src/checkpoints.rs): the per-client
-- lists are one aggregate of every membership, and the self-join would
-- otherwise compute them once per side. Clients with the same figures
-- fall in the same campaigns, so there are far fewer lists than clients.
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
    SELECT
        season_id,
        MIN(client_id) AS example_client_id,
        COUNT(*) AS clients
    FROM client_lists
    GROUP BY season_id, campaign_list
)

-- The example clients' memberships: the memberships meet the few example
-- clients first, and only those rows get their campaign's number (a join
-- of every membership with the numbers, as `members` is, would run again
-- here: DataFusion plans a CTE at each reference).
SELECT
    m.season_id,
    m.client_id AS example_client_id,
    k.campaign_no,
    m.campaign_id,
    l.clients
FROM lists AS l
INNER JOIN memberships AS m
    ON m.season_id = l.season_id AND m.client_id = l.example_client_id
INNER JOIN numbered AS k ON k.campaign_id = m.campaign_id
