-- int_fx_intervals: one row per accepted fx rate: the rate holds from its
-- rate_date until the day before the currency's next rate_date (open-ended for
-- the latest). Uses no parameters.
SELECT
    currency,
    rate_date,
    LEAD(rate_date) OVER (PARTITION BY currency ORDER BY rate_date) AS next_rate_date,
    rate_to_base
FROM val_fx_rates
WHERE row_problem IS NULL
