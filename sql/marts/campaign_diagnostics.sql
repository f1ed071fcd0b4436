-- campaign_diagnostics: one row per campaign active on D: its season's
-- clients, how many pass each range, members, the season's extremes, the
-- nearest client outside each bound and, with no member, why
-- (int_campaign_diagnostics). Published. Uses no parameters.
SELECT
    campaign_id,
    season_id,
    clients,
    with_cadastre,
    with_sales,
    passing_potential,
    passing_billing,
    members,
    season_min_potential,
    season_max_potential,
    season_min_billing,
    season_max_billing,
    potential_below_min_client,
    potential_below_min,
    potential_above_max_client,
    potential_above_max,
    billing_below_min_client,
    billing_below_min,
    billing_above_max_client,
    billing_above_max,
    empty_reason
FROM int_campaign_diagnostics
