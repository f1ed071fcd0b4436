-- diff_memberships: one row per (campaign, client) that joined or left a
-- campaign between two snapshots, with the causes found in the snapshots:
-- the campaign started or ended, its rule changed, its status note changed,
-- the client appeared or disappeared, its potential or billing changed.
-- Reads from_/to_memberships, from_/to_segments (published files) and
-- from_/to_campaigns (from the manifests). Uses no parameters.
WITH old_members AS (
    SELECT campaign_id, client_id, season_id FROM from_memberships
),

new_members AS (
    SELECT campaign_id, client_id, season_id FROM to_memberships
),

changes AS (
    SELECT
        CASE WHEN o.client_id IS NULL THEN 'joined' ELSE 'left' END AS change,
        COALESCE(n.campaign_id, o.campaign_id) AS campaign_id,
        COALESCE(n.client_id, o.client_id) AS client_id,
        COALESCE(n.season_id, o.season_id) AS season_id
    FROM old_members AS o
    FULL OUTER JOIN new_members AS n
        ON o.campaign_id = n.campaign_id AND o.client_id = n.client_id
    WHERE o.client_id IS NULL OR n.client_id IS NULL
)

SELECT
    c.change,
    c.campaign_id,
    c.client_id,
    c.season_id,
    COALESCE(NULLIF(concat_ws(', ',
        CASE WHEN fc.campaign_id IS NULL THEN 'campaign started' END,
        CASE WHEN tc.campaign_id IS NULL THEN 'campaign ended' END,
        CASE WHEN fc.rule_digest <> tc.rule_digest THEN 'rule changed' END,
        CASE WHEN COALESCE(fc.status_note, '') <> COALESCE(tc.status_note, '')
            THEN 'status note changed' END,
        CASE WHEN fs.client_id IS NULL AND ts.client_id IS NOT NULL THEN 'client appeared' END,
        CASE WHEN ts.client_id IS NULL AND fs.client_id IS NOT NULL THEN 'client disappeared' END,
        CASE WHEN fs.potential <> ts.potential THEN 'potential changed' END,
        CASE WHEN fs.billing <> ts.billing THEN 'billing changed' END
    ), ''), 'unexplained') AS causes,
    fs.potential AS from_potential,
    ts.potential AS to_potential,
    fs.billing AS from_billing,
    ts.billing AS to_billing
FROM changes AS c
LEFT JOIN from_campaigns AS fc ON fc.campaign_id = c.campaign_id
LEFT JOIN to_campaigns AS tc ON tc.campaign_id = c.campaign_id
LEFT JOIN from_segments AS fs ON fs.season_id = c.season_id AND fs.client_id = c.client_id
LEFT JOIN to_segments AS ts ON ts.season_id = c.season_id AND ts.client_id = c.client_id
