-- contact_plan: one row per client that is a member of at least one
-- campaign active on D, with its primary campaign and how many other
-- campaigns it is in (int_contact_plan). Published. Uses no parameters.
SELECT
    client_id,
    primary_campaign_id,
    primary_season_id,
    primary_priority,
    other_campaigns
FROM int_contact_plan
