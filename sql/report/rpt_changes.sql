-- rpt_changes: one row per campaign of either snapshot (campaign_summary):
-- how many clients joined it and how many left it since the previous
-- committed snapshot (memberships compared on campaign and client).
-- Uses no parameters.
WITH current_members AS (
    SELECT campaign_id, client_id FROM snap_memberships
),

previous_members AS (
    SELECT campaign_id, client_id FROM prev_memberships
),

campaigns AS (
    SELECT campaign_id FROM snap_summary
    UNION
    SELECT campaign_id FROM prev_summary
),

moves AS (
    SELECT
        COALESCE(c.campaign_id, p.campaign_id) AS campaign_id,
        SUM(CASE WHEN p.client_id IS NULL THEN 1 ELSE 0 END) AS joined,
        SUM(CASE WHEN c.client_id IS NULL THEN 1 ELSE 0 END) AS left_clients
    FROM current_members AS c
    FULL OUTER JOIN previous_members AS p
        ON p.campaign_id = c.campaign_id AND p.client_id = c.client_id
    WHERE c.client_id IS NULL OR p.client_id IS NULL
    GROUP BY COALESCE(c.campaign_id, p.campaign_id)
)

SELECT
    k.campaign_id,
    COALESCE(m.joined, 0) AS joined,
    COALESCE(m.left_clients, 0) AS left_clients
FROM campaigns AS k
LEFT JOIN moves AS m ON m.campaign_id = k.campaign_id
