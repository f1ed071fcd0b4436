-- int_memberships: one row per (campaign active on D without a status_note,
-- client in scope) where the client passes every condition of the rule
-- (contract §7) as int_campaign_conditions evaluates it, with the client's
-- figures and segment in the campaign's season. Uses no parameters.
SELECT
    campaign_id,
    client_id,
    season_id,
    potential,
    billing,
    segment
FROM int_campaign_conditions
WHERE is_member
