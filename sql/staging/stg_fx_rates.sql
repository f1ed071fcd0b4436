-- stg_fx_rates: one row per row of the `fx_rates` input table (empty when the
-- optional table is absent). Renames and casts only; none is needed. Row
-- problems: val_fx_rates. Uses no parameters.
SELECT
    currency,
    rate_date,
    rate_to_base
FROM fx_rates
