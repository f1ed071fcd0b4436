-- int_potential_rates: one row per valid potential rate (no row problem:
-- neither a null field nor a duplicated (season_id, activity) key), the
-- activity '*' being the season's fallback rate (contract §3). The one
-- place that says which rates price a parcel: int_parcel_potential prices
-- the parcels with them, report_unpriced_activities finds the (season,
-- activity) pairs they leave unpriced. Uses no parameters.
SELECT
    season_id,
    activity,
    amount_per_ha
FROM val_potential_rates
WHERE row_problem IS NULL
