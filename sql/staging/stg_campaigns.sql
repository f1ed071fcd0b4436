-- stg_campaigns: one row per row of the `campaigns` input table.
-- Casts only: a null flag means the range is not used. Uses no parameters.
SELECT
    campaign_id,
    description,
    season_id,
    start_date,
    end_date,
    status,
    COALESCE(by_potential, FALSE) AS by_potential,
    potential_min,
    potential_max,
    COALESCE(by_billing, FALSE) AS by_billing,
    billing_min,
    billing_max
FROM campaigns
