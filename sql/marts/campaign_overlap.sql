-- campaign_overlap: one row per pair of campaigns active on D, of the same
-- season, sharing at least one member (int_campaign_overlap). Published.
-- Uses no parameters.
SELECT
    season_id,
    campaign_id,
    other_campaign_id,
    members,
    other_members,
    shared
FROM int_campaign_overlap
