-- int_campaign_candidates: one row per (campaign active on D without a
-- status_note, client in scope of its season) whose figures lie within the
-- campaign's ranges, with the client's figures and segment: the pairs the
-- rule (int_campaign_conditions) then decides, so in a run the members.
-- The rule itself is written in int_campaign_conditions; this filter
-- compares the same figures with the same bounds (int_campaign_bounds) to
-- keep no pair the rule rejects, and the tests check that every member is
-- a candidate (tests/slt, every_pair.slt.part).
--
-- Cost follows clients + campaigns × buckets + candidates instead of
-- clients × campaigns: each ranged campaign takes only the clients of the
-- buckets (int_client_buckets) overlapping its range (int_campaign_buckets)
-- on its most selective dimension (the one whose overlapping buckets hold
-- fewer clients; potential on a tie), and the ranges are compared in that
-- join, so a pair outside them is never copied; a campaign with neither
-- flag takes every client of its season. The dimension chosen changes which
-- pairs the join compares, never the rows: both ranges are compared. (By
-- clients, not by buckets: at scale 10 a count of buckets chose ranges
-- holding 20M pairs for 4.5M candidates, BENCHMARKS.md.) Uses no
-- parameters.
WITH campaigns AS (
    SELECT * FROM int_active_campaigns WHERE status_note IS NULL
),

client_counts AS (
    SELECT
        campaign_id,
        SUM(CASE WHEN dimension = 'potential' THEN clients ELSE 0 END) AS potential_clients,
        SUM(CASE WHEN dimension = 'billing' THEN clients ELSE 0 END) AS billing_clients
    FROM int_campaign_buckets
    GROUP BY campaign_id
),

plan AS (
    SELECT
        k.campaign_id,
        CASE
            WHEN k.by_potential AND (NOT k.by_billing
                OR COALESCE(n.potential_clients, 0) <= COALESCE(n.billing_clients, 0))
                THEN 'potential'
            WHEN k.by_billing THEN 'billing'
            ELSE 'all'
        END AS dimension
    FROM campaigns AS k
    LEFT JOIN client_counts AS n ON n.campaign_id = k.campaign_id
),

-- Each campaign's buckets on its chosen dimension, with its bounds.
planned_buckets AS (
    SELECT
        p.campaign_id, p.dimension, b.season_id, b.bucket,
        r.by_potential, r.potential_low, r.potential_high,
        r.by_billing, r.billing_low, r.billing_high
    FROM plan AS p
    INNER JOIN int_campaign_buckets AS b
        ON b.campaign_id = p.campaign_id AND b.dimension = p.dimension
    INNER JOIN int_campaign_bounds AS r ON r.campaign_id = p.campaign_id
),

unranged AS (
    SELECT
        p.campaign_id, r.season_id,
        r.by_potential, r.potential_low, r.potential_high,
        r.by_billing, r.billing_low, r.billing_high
    FROM plan AS p
    INNER JOIN int_campaign_bounds AS r ON r.campaign_id = p.campaign_id
    WHERE p.dimension = 'all'
),

candidates AS (
    SELECT
        k.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment,
        k.by_potential, k.potential_low, k.potential_high,
        k.by_billing, k.billing_low, k.billing_high
    FROM planned_buckets AS k
    INNER JOIN int_client_buckets AS c
        ON c.season_id = k.season_id AND c.potential_bucket = k.bucket
    WHERE k.dimension = 'potential'
    UNION ALL
    SELECT
        k.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment,
        k.by_potential, k.potential_low, k.potential_high,
        k.by_billing, k.billing_low, k.billing_high
    FROM planned_buckets AS k
    INNER JOIN int_client_buckets AS c
        ON c.season_id = k.season_id AND c.billing_bucket = k.bucket
    WHERE k.dimension = 'billing'
    UNION ALL
    SELECT
        k.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment,
        k.by_potential, k.potential_low, k.potential_high,
        k.by_billing, k.billing_low, k.billing_high
    FROM unranged AS k
    INNER JOIN int_client_segments AS c ON c.season_id = k.season_id
)

SELECT campaign_id, client_id, season_id, potential, billing, segment
FROM candidates
WHERE (NOT by_potential
        OR ((potential_low IS NULL OR potential >= potential_low)
            AND (potential_high IS NULL OR potential <= potential_high)))
    AND (NOT by_billing
        OR ((billing_low IS NULL OR billing >= billing_low)
            AND (billing_high IS NULL OR billing <= billing_high)))
