-- int_figure_buckets: one row per (season in scope, dimension, bucket): the
-- range [low, high] of the bucket's figures and how many clients it holds.
-- Buckets follow the figures' order: every figure of a bucket is <= every
-- figure of the next one. Uses no parameters.
SELECT
    season_id,
    dimension,
    bucket,
    MIN(value) AS low,
    MAX(value) AS high,
    COUNT(*) AS clients
FROM int_figure_values
GROUP BY season_id, dimension, bucket
