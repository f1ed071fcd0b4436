-- int_season_days: one row per season in scope and day of its counted window
-- [start_date, min(end_date, D)] (contract §4): the billing window as a
-- day -> season table, so a sales line finds its seasons by an equi-join
-- on its document_date (a hash probe of a date) instead of a range join
-- over every sales line (docs/SEMANTICS.md, "Plans"). A window that ends
-- before it starts (a future season) has no days; a day in two overlapping
-- seasons has a row for each. Parameters: run_params.as_of.
WITH params AS (
    SELECT as_of FROM run_params
),

seasons AS (
    SELECT season_id, start_date, end_date FROM int_seasons_in_scope
),

windows AS (
    SELECT s.season_id, s.start_date, LEAST(s.end_date, p.as_of) AS last_date
    FROM params AS p
    CROSS JOIN seasons AS s
)

SELECT
    season_id,
    unnest(generate_series(start_date, last_date, INTERVAL '1 day')) AS document_date
FROM windows
