-- preview_evaluated: one row per pair of preview_candidates the preview
-- needs after the job's int_campaign_conditions has decided it: every
-- member of the range as given ('range'), and every client in a moved
-- variant's band, member or not (is_member), with the client's figures
-- and segment. The preview computes it once and keeps it in memory:
-- preview_result, preview_segment_mix and preview_overlap read it. A
-- campaign with a status_note has no row (the rule evaluates none). Uses
-- no parameters.
WITH conditions AS (
    SELECT campaign_id, client_id, potential, billing, segment, is_member
    FROM int_campaign_conditions
)

SELECT campaign_id, client_id, potential, billing, segment, is_member
FROM conditions
WHERE is_member OR campaign_id <> 'range'
