-- rpt_campaigns: one row per campaign of the snapshot (campaign_summary),
-- with its empty_reason (campaign_diagnostics), the segment its description
-- names, if any, and whether its label contradicts that segment. A
-- description names a segment when, upper-cased with Ó read as O, it
-- contains NO_INVERSION or NO INVERSION (checked first), else RETENCION,
-- else INVERSION, else REVISION. The label contradicts it when the label is
-- a segment (both flags used) and another one. Uses no parameters.
WITH summary AS (
    SELECT
        campaign_id, description, season_id, label, members,
        potential_total, billing_total, status_note
    FROM snap_summary
),

diagnostics AS (
    SELECT campaign_id, empty_reason FROM snap_diagnostics
),

normalised AS (
    SELECT campaign_id, replace(upper(COALESCE(description, '')), 'Ó', 'O') AS text
    FROM summary
),

named AS (
    SELECT
        campaign_id,
        CASE
            WHEN strpos(text, 'NO_INVERSION') > 0 OR strpos(text, 'NO INVERSION') > 0
                THEN 'NO_INVERSION'
            WHEN strpos(text, 'RETENCION') > 0 THEN 'RETENCION'
            WHEN strpos(text, 'INVERSION') > 0 THEN 'INVERSION'
            WHEN strpos(text, 'REVISION') > 0 THEN 'REVISION'
        END AS named_segment
    FROM normalised
)

SELECT
    s.campaign_id,
    s.description,
    s.season_id,
    s.label,
    s.members,
    s.potential_total,
    s.billing_total,
    s.status_note,
    d.empty_reason,
    n.named_segment,
    COALESCE(
        n.named_segment IS NOT NULL
        AND s.label IN ('RETENCION', 'INVERSION', 'REVISION', 'NO_INVERSION')
        AND s.label <> n.named_segment,
        FALSE
    ) AS label_contradicts
FROM summary AS s
LEFT JOIN diagnostics AS d ON d.campaign_id = s.campaign_id
LEFT JOIN named AS n ON n.campaign_id = s.campaign_id
