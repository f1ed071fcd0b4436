-- int_campaign_candidates: one row per (campaign active on D without a
-- status_note, client in scope of its season) that may pass the campaign's
-- ranges: a superset of the members, with the client's figures and segment.
-- The rule itself is applied in int_campaign_conditions.
--
-- Cost follows clients + campaigns × buckets + candidates instead of
-- clients × campaigns: each ranged campaign takes only the clients of the
-- buckets (int_client_buckets) overlapping its range (int_campaign_buckets)
-- on its most selective dimension; a campaign with neither flag takes every
-- client of its season. Uses no parameters.
WITH campaigns AS (
    SELECT * FROM int_active_campaigns WHERE status_note IS NULL
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
    INNER JOIN int_client_segments AS c ON c.season_id = k.season_id
    WHERE p.dimension = 'all'
)

SELECT campaign_id, client_id, season_id, potential, billing, segment
FROM candidates
