-- int_campaigns_on_date: one row per campaign active on the as-of date D
-- (status ACTIVE and start_date <= D <= end_date, contract §6).
-- Parameters: run_params.as_of.
WITH campaigns AS (
    SELECT * FROM stg_campaigns
),

params AS (
    SELECT as_of FROM run_params
)

SELECT c.*
FROM campaigns AS c
CROSS JOIN params AS p
WHERE c.status = 'ACTIVE'
    AND c.start_date <= p.as_of
    AND p.as_of <= c.end_date
