-- stg_potential_rates: one row per row of the `potential_rates` input table.
-- Renames and casts only; none is needed. `activity = '*'` is the season's
-- rate for activities without their own. Row problems: val_potential_rates.
-- Uses no parameters.
SELECT
    season_id,
    activity,
    amount_per_ha
FROM potential_rates
