-- preview_members: one row per (preview campaign, member client): the
-- members that the job's int_campaign_conditions finds for each preview
-- campaign (the range as given, 'range', and each moved variant), with the
-- client's figures and segment. The preview computes it once and keeps it
-- in memory: preview_result, preview_segment_mix and preview_overlap read
-- it. Uses no parameters.
WITH conditions AS (
    SELECT campaign_id, client_id, potential, billing, segment, is_member
    FROM int_campaign_conditions
)

SELECT campaign_id, client_id, potential, billing, segment
FROM conditions
WHERE is_member
