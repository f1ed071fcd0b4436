-- int_client_buckets: one row per season in scope and client in scope, with
-- the client's position buckets: the season's clients ordered by potential
-- (resp. billing), 1024 per bucket. Used to find each campaign's candidates
-- without comparing every client with every campaign. Uses no parameters.
SELECT
    season_id,
    client_id,
    potential,
    billing,
    segment,
    -- ROW_NUMBER is unsigned: cast it, or `- 1` would make a decimal.
    (CAST(ROW_NUMBER() OVER (PARTITION BY season_id ORDER BY potential, client_id) AS BIGINT) - 1)
        / 1024 AS potential_bucket,
    (CAST(ROW_NUMBER() OVER (PARTITION BY season_id ORDER BY billing, client_id) AS BIGINT) - 1)
        / 1024 AS billing_bucket
FROM int_client_segments
