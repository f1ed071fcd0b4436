-- memberships: one row per (campaign active on D without a status_note, client
-- in scope) where the client's rounded figures in the campaign's season fall in
-- every range whose flag is true (contract §7): bounds inclusive, a null bound
-- unbounded. A campaign with neither flag reaches every client in scope.
--
-- Same rows as int_memberships_simple (tests/slt/memberships_plan.slt), but
-- cost follows clients + campaigns × buckets + candidates instead of clients ×
-- campaigns: each ranged campaign scans only the clients of the buckets
-- overlapping its range on its most selective dimension, then applies the
-- exact rule. Uses no parameters.
WITH campaigns AS (
    SELECT * FROM active_campaigns WHERE status_note IS NULL
),

bucket_counts AS (
    SELECT
        campaign_id,
        SUM(CASE WHEN dimension = 'potential' THEN 1 ELSE 0 END) AS potential_buckets,
        SUM(CASE WHEN dimension = 'billing' THEN 1 ELSE 0 END) AS billing_buckets
    FROM int_campaign_buckets
    GROUP BY campaign_id
),

plan AS (
    SELECT
        k.campaign_id,
        CASE
            WHEN k.by_potential AND (NOT k.by_billing
                OR COALESCE(n.potential_buckets, 0) <= COALESCE(n.billing_buckets, 0))
                THEN 'potential'
            WHEN k.by_billing THEN 'billing'
            ELSE 'all'
        END AS dimension
    FROM campaigns AS k
    LEFT JOIN bucket_counts AS n ON n.campaign_id = k.campaign_id
),

candidates AS (
    SELECT b.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment
    FROM plan AS p
    INNER JOIN int_campaign_buckets AS b
        ON b.campaign_id = p.campaign_id AND b.dimension = p.dimension
    INNER JOIN int_client_buckets AS c
        ON c.season_id = b.season_id AND c.potential_bucket = b.bucket
    WHERE p.dimension = 'potential'
    UNION ALL
    SELECT b.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment
    FROM plan AS p
    INNER JOIN int_campaign_buckets AS b
        ON b.campaign_id = p.campaign_id AND b.dimension = p.dimension
    INNER JOIN int_client_buckets AS c
        ON c.season_id = b.season_id AND c.billing_bucket = b.bucket
    WHERE p.dimension = 'billing'
    UNION ALL
    SELECT k.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment
    FROM plan AS p
    INNER JOIN campaigns AS k ON k.campaign_id = p.campaign_id
    INNER JOIN client_segments AS c ON c.season_id = k.season_id
    WHERE p.dimension = 'all'
)

SELECT
    x.campaign_id,
    x.client_id,
    x.season_id,
    x.potential,
    x.billing,
    x.segment
FROM campaigns AS k
INNER JOIN candidates AS x ON x.campaign_id = k.campaign_id
WHERE (NOT k.by_potential OR (
        (k.potential_min IS NULL OR x.potential >= k.potential_min)
        AND (k.potential_max IS NULL OR x.potential <= k.potential_max)))
    AND (NOT k.by_billing OR (
        (k.billing_min IS NULL OR x.billing >= k.billing_min)
        AND (k.billing_max IS NULL OR x.billing <= k.billing_max)))
