-- int_campaign_buckets: one row per (campaign, dimension, bucket) where the
-- bucket's figure range [low, high] overlaps the campaign's range on that
-- dimension (only for ranges whose flag is true; campaigns with a
-- status_note get none). A client outside every overlapping bucket cannot be
-- in the range. `clients`: the bucket's clients (int_figure_buckets), so
-- int_campaign_candidates can take each campaign's clients on the dimension
-- whose overlapping buckets hold fewer. Cost: campaigns × buckets. Uses no
-- parameters.
WITH campaigns AS (
    SELECT * FROM int_active_campaigns WHERE status_note IS NULL
),

bounds AS (
    SELECT season_id, dimension, bucket, low, high, clients FROM int_figure_buckets
)

SELECT k.campaign_id, k.season_id, b.dimension, b.bucket, b.clients
FROM campaigns AS k
INNER JOIN bounds AS b ON b.season_id = k.season_id
WHERE (b.dimension = 'potential' AND k.by_potential
        AND (k.potential_min IS NULL OR b.high >= k.potential_min)
        AND (k.potential_max IS NULL OR b.low <= k.potential_max))
    OR (b.dimension = 'billing' AND k.by_billing
        AND (k.billing_min IS NULL OR b.high >= k.billing_min)
        AND (k.billing_max IS NULL OR b.low <= k.billing_max))
