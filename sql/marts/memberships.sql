-- memberships: one row per (campaign active on D without a status_note,
-- client in scope) where the client's rounded figures in the campaign's
-- season pass every condition of the rule (int_memberships). Published.
-- Uses no parameters.
SELECT
    campaign_id,
    client_id,
    season_id,
    potential,
    billing,
    segment
FROM int_memberships
