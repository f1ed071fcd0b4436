-- stg_campaigns: one row per row of the `campaigns` input table.
-- Casts only: a null flag means the range is not used; `priority` (optional,
-- INT64, null when absent) orders the contact plan. The bounds are widened
-- to 76 digits keeping their scale (adding a DECIMAL(39, 0) zero), so that
-- comparing them with the figures (DECIMAL(38,2)) and adding them for the
-- label's midpoints can never overflow, whatever their scale
-- (docs/SEMANTICS.md, "Exact money"). Uses no parameters.
SELECT
    campaign_id,
    description,
    season_id,
    start_date,
    end_date,
    status,
    COALESCE(by_potential, FALSE) AS by_potential,
    potential_min + CAST(0 AS DECIMAL(39, 0)) AS potential_min,
    potential_max + CAST(0 AS DECIMAL(39, 0)) AS potential_max,
    COALESCE(by_billing, FALSE) AS by_billing,
    billing_min + CAST(0 AS DECIMAL(39, 0)) AS billing_min,
    billing_max + CAST(0 AS DECIMAL(39, 0)) AS billing_max,
    priority
FROM campaigns
