-- stg_seasons: one row per row of the `seasons` input table.
-- Dates are inclusive at both ends. Uses no parameters.
SELECT
    season_id,
    name,
    start_date,
    end_date
FROM seasons
