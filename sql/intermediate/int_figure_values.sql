-- int_figure_values: one row per season in scope, client in scope and
-- dimension ('potential', 'billing'): the client's rounded figure on that
-- dimension and its value bucket (int_client_buckets). The long form the
-- campaign diagnostics count and search in. Uses no parameters.
SELECT season_id, client_id, 'potential' AS dimension, potential AS value,
    potential_bucket AS bucket
FROM int_client_buckets
UNION ALL
SELECT season_id, client_id, 'billing' AS dimension, billing AS value,
    billing_bucket AS bucket
FROM int_client_buckets
