-- preview_candidates: one row per (preview campaign, client of the
-- snapshot's client_segments in that campaign's season whose figures lie
-- in the envelope of the preview campaigns), with the client's figures and
-- segment. Shaped as int_campaign_candidates, in whose place the preview
-- binds it; the job's int_campaign_conditions applies the rule to each.
--
-- The envelope is a superset of every preview campaign's members, not the
-- rule: per flag used by every preview campaign, the smallest minimum and
-- the largest maximum over them (unbounded when a bound is null), so the rule
-- runs on the clients near the range instead of the whole season. A client
-- with a null figure under a used flag is outside it, as it is outside any
-- range of that flag. Uses no parameters.
WITH campaigns AS (
    SELECT campaign_id, season_id FROM preview_campaigns
),

envelope AS (
    SELECT
        season_id,
        BOOL_AND(by_potential) AS by_potential,
        CASE WHEN COUNT(potential_min) = COUNT(*) THEN MIN(potential_min) END AS potential_low,
        CASE WHEN COUNT(potential_max) = COUNT(*) THEN MAX(potential_max) END AS potential_high,
        BOOL_AND(by_billing) AS by_billing,
        CASE WHEN COUNT(billing_min) = COUNT(*) THEN MIN(billing_min) END AS billing_low,
        CASE WHEN COUNT(billing_max) = COUNT(*) THEN MAX(billing_max) END AS billing_high
    FROM preview_campaigns
    GROUP BY season_id
),

near AS (
    SELECT s.season_id, s.client_id, s.potential, s.billing, s.segment
    FROM envelope AS e
    INNER JOIN snap_segments AS s ON s.season_id = e.season_id
    WHERE (NOT e.by_potential OR (
            (e.potential_low IS NULL OR s.potential >= e.potential_low)
            AND (e.potential_high IS NULL OR s.potential <= e.potential_high)))
        AND (NOT e.by_billing OR (
            (e.billing_low IS NULL OR s.billing >= e.billing_low)
            AND (e.billing_high IS NULL OR s.billing <= e.billing_high)))
)

SELECT
    k.campaign_id,
    c.client_id,
    c.season_id,
    c.potential,
    c.billing,
    c.segment
FROM campaigns AS k
INNER JOIN near AS c ON c.season_id = k.season_id
