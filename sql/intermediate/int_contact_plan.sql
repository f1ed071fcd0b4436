-- int_contact_plan: one row per client that is a member of at least one
-- campaign active on D: its primary campaign (the lowest `priority`, a null
-- priority after every numbered one, then the smallest campaign_id,
-- byte-wise), that campaign's season and priority, and how many other
-- campaigns the client is a member of (docs/SEMANTICS.md, "Contact plan").
-- Uses no parameters.
WITH campaigns AS (
    SELECT campaign_id, priority FROM int_active_campaigns
),

members AS (
    SELECT client_id, campaign_id, season_id FROM int_memberships
),

ranked AS (
    SELECT
        m.client_id,
        m.campaign_id,
        m.season_id,
        k.priority,
        ROW_NUMBER() OVER (
            PARTITION BY m.client_id
            ORDER BY k.priority ASC NULLS LAST, m.campaign_id ASC
        ) AS position,
        COUNT(*) OVER (PARTITION BY m.client_id) AS campaigns
    FROM campaigns AS k
    INNER JOIN members AS m ON m.campaign_id = k.campaign_id
)

SELECT
    client_id,
    campaign_id AS primary_campaign_id,
    season_id AS primary_season_id,
    priority AS primary_priority,
    campaigns - 1 AS other_campaigns
FROM ranked
WHERE position = 1
