-- int_seasons_in_scope: one row per season in scope (contract §2): every season
-- containing D, plus every existing season referenced by a campaign active on D.
-- Parameters: run_params.as_of.
WITH seasons AS (
    SELECT season_id, start_date, end_date FROM stg_seasons
),

params AS (
    SELECT as_of FROM run_params
),

campaign_seasons AS (
    SELECT DISTINCT season_id FROM int_campaigns_on_date WHERE season_id IS NOT NULL
)

SELECT s.season_id, s.start_date, s.end_date
FROM seasons AS s
CROSS JOIN params AS p
WHERE (s.start_date <= p.as_of AND p.as_of <= s.end_date)
    OR s.season_id IN (SELECT season_id FROM campaign_seasons)
