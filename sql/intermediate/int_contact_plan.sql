-- int_contact_plan: one row per client that is a member of at least one
-- campaign active on D: its primary campaign (the lowest `priority`, a null
-- priority after every numbered one, then the smallest campaign_id,
-- byte-wise), that campaign's season and priority, and how many other
-- campaigns the client is a member of (docs/SEMANTICS.md, "Contact plan").
-- Uses no parameters.
--
-- The campaigns (a few hundred) are numbered once in that order
-- (campaign_rank, 1 = first); a client's primary campaign is then the one
-- of its smallest rank: one hash aggregate over the memberships, not a
-- sort of them per client. A membership's season is its campaign's.
WITH campaigns AS (
    SELECT campaign_id, season_id, priority FROM int_active_campaigns
),

members AS (
    SELECT client_id, campaign_id FROM int_memberships
),

ranked_campaigns AS (
    SELECT
        campaign_id,
        season_id,
        priority,
        ROW_NUMBER() OVER (
            ORDER BY priority ASC NULLS LAST, campaign_id ASC
        ) AS campaign_rank
    FROM campaigns
),

per_client AS (
    SELECT
        m.client_id,
        MIN(k.campaign_rank) AS primary_rank,
        COUNT(*) AS campaigns
    FROM ranked_campaigns AS k
    INNER JOIN members AS m ON m.campaign_id = k.campaign_id
    GROUP BY m.client_id
)

SELECT
    p.client_id,
    k.campaign_id AS primary_campaign_id,
    k.season_id AS primary_season_id,
    k.priority AS primary_priority,
    p.campaigns - 1 AS other_campaigns
FROM ranked_campaigns AS k
INNER JOIN per_client AS p ON p.primary_rank = k.campaign_rank
