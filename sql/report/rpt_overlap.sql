-- rpt_overlap: one row per pair of campaigns of the snapshot sharing
-- members (campaign_overlap: each pair once, campaign_id <
-- other_campaign_id), with the share of the smaller campaign's members that
-- the pair shares, in tenths of a percent (integer arithmetic).
-- Uses no parameters.
SELECT
    season_id,
    campaign_id,
    other_campaign_id,
    members,
    other_members,
    shared,
    (shared * 1000 + LEAST(members, other_members) / 2) / LEAST(members, other_members)
        AS shared_of_smaller_permille
FROM snap_overlap
