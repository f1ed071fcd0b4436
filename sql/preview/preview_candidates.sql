-- preview_candidates: one row per (preview campaign, client of the
-- snapshot's client_segments in that campaign's season), with the client's
-- figures and segment. Shaped as int_campaign_candidates, in whose place
-- the preview binds it: every client of the season is a candidate, and the
-- job's int_campaign_conditions applies the rule to each. Uses no
-- parameters.
SELECT
    k.campaign_id,
    s.client_id,
    s.season_id,
    s.potential,
    s.billing,
    s.segment
FROM preview_campaigns AS k
INNER JOIN snap_segments AS s ON s.season_id = k.season_id
