-- int_potential: one row per client in scope and season in scope with at least one
-- applicable parcel (contract §3). potential = sum of productive_ha × rate over
-- priced parcels, exact, then rounded once to 2 decimals half away from zero
-- (a cast to DECIMAL(38,2) rounds that way). unpriced_ha: hectares of
-- parcels with no rate (a DECIMAL(76, s): it cannot wrap). Uses no parameters.
--
-- Exact money (docs/SEMANTICS.md), as in int_billing: the sum is only used when
-- every parcel's potential is below 10^36 in absolute value. A figure that
-- cannot be published exactly is null, with its potential_problem: 'line' (a
-- parcel of 10^36 or more) or 'sum' (|sum| >= 10^36 - 0.005). check_money
-- stops the run on either. Whether a parcel reaches 10^36 is one flag per
-- group (BOOL_OR), not the largest parcel (a DECIMAL(76, s) per group): the
-- smaller state is what keeps the aggregate of 17M groups at scale 100 in
-- memory (BENCHMARKS.md).
WITH sums AS (
    SELECT
        season_id,
        client_id,
        SUM(parcel_potential) AS exact_potential,
        BOOL_OR(abs(parcel_potential) >= CAST('1000000000000000000000000000000000000' AS DECIMAL(37, 0)))
            AS has_huge_parcel,
        COUNT(*) AS parcels,
        SUM(CASE WHEN rate IS NULL THEN productive_ha + CAST(0 AS DECIMAL(39, 0)) END)
            AS unpriced_ha
    FROM int_parcel_potential
    GROUP BY season_id, client_id
),

checked AS (
    SELECT
        *,
        CASE
            WHEN has_huge_parcel THEN 'line'
            WHEN abs(exact_potential)
                >= CAST('999999999999999999999999999999999999.995' AS DECIMAL(39, 3))
                THEN 'sum'
        END AS potential_problem
    FROM sums
)

SELECT
    season_id,
    client_id,
    CASE
        WHEN potential_problem IS NOT NULL THEN NULL
        WHEN exact_potential IS NULL THEN CAST(0 AS DECIMAL(38, 2))
        ELSE CAST(exact_potential AS DECIMAL(38, 2))
    END AS potential,
    potential_problem,
    parcels,
    COALESCE(unpriced_ha, 0) AS unpriced_ha
FROM checked
