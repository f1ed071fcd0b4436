-- int_campaign_conditions: one row per evaluated (campaign active on D
-- without a status_note, client in scope of its season) pair, with each
-- range condition of the membership rule (contract §7) spelled out: whether
-- it applies (its flag), the client's rounded figure, the bounds, where the
-- figure lies ('below' the minimum, 'inside', 'above' the maximum; null when
-- the flag is false or the figure unknown), the distance (outside: how far
-- the figure must move to enter; inside: how far it may move before leaving,
-- null when unbounded) and pass/fail. Bounds are inclusive and a null bound
-- is unbounded; a condition whose flag is false passes. is_member: every
-- condition passes (a campaign with neither flag reaches every client in
-- scope). This is where the rule is decided: `memberships` keeps the
-- members, `zafra explain` prints the conditions, `zafra preview` binds
-- its ranges in. (int_campaign_candidates filters the pairs with the same
-- comparisons so that a run evaluates few pairs outside the ranges; it
-- decides nothing the rule here does not.)
--
-- The evaluated pairs are the candidates (int_campaign_candidates: in a
-- run, the pairs within the ranges; in a preview, preview_candidates) and,
-- for `zafra explain`, every such campaign with the client named in
-- explain_params (one row, null in a run).
-- Parameters: explain_params.client_id.
WITH campaigns AS (
    SELECT
        k.campaign_id, k.season_id, k.by_potential, k.potential_min, k.potential_max,
        r.potential_low, r.potential_high,
        k.by_billing, k.billing_min, k.billing_max, r.billing_low, r.billing_high
    FROM int_active_campaigns AS k
    INNER JOIN int_campaign_bounds AS r ON r.campaign_id = k.campaign_id
    WHERE k.status_note IS NULL
),

focus AS (
    SELECT DISTINCT client_id FROM explain_params WHERE client_id IS NOT NULL
),

other_candidates AS (
    SELECT c.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment
    FROM focus AS x
    RIGHT JOIN int_campaign_candidates AS c ON c.client_id = x.client_id
    WHERE x.client_id IS NULL
),

focus_pairs AS (
    SELECT k.campaign_id, f.client_id, f.season_id, f.potential, f.billing, f.segment
    FROM focus AS x
    INNER JOIN int_client_segments AS f ON f.client_id = x.client_id
    INNER JOIN campaigns AS k ON k.season_id = f.season_id
),

pairs AS (
    SELECT * FROM other_candidates
    UNION ALL
    SELECT * FROM focus_pairs
),

positioned AS (
    SELECT
        p.campaign_id,
        p.client_id,
        p.season_id,
        p.potential,
        p.billing,
        p.segment,
        k.by_potential,
        k.potential_min,
        k.potential_max,
        CASE
            WHEN NOT k.by_potential THEN NULL
            WHEN p.potential < k.potential_min THEN 'below'
            WHEN p.potential > k.potential_max THEN 'above'
            WHEN (k.potential_min IS NULL OR p.potential >= k.potential_min)
                AND (k.potential_max IS NULL OR p.potential <= k.potential_max) THEN 'inside'
        END AS potential_position,
        k.potential_low,
        k.potential_high,
        k.by_billing,
        k.billing_min,
        k.billing_max,
        k.billing_low,
        k.billing_high,
        CASE
            WHEN NOT k.by_billing THEN NULL
            WHEN p.billing < k.billing_min THEN 'below'
            WHEN p.billing > k.billing_max THEN 'above'
            WHEN (k.billing_min IS NULL OR p.billing >= k.billing_min)
                AND (k.billing_max IS NULL OR p.billing <= k.billing_max) THEN 'inside'
        END AS billing_position
    FROM campaigns AS k
    INNER JOIN pairs AS p ON p.campaign_id = k.campaign_id
),

-- A pass is `NOT flag OR position = 'inside'`, written on the numbers: the
-- 'inside' branch is taken exactly when its condition is true (it implies
-- neither 'below' nor 'above'), and otherwise the position is 'below' or
-- 'above' (condition false) or null (condition null), so both forms have
-- the same truth value, null included (tests/slt: every pair is checked
-- against the position). The numbers are the bounds moved onto the
-- figures' cents (int_campaign_bounds), which every figure passes exactly
-- when it passes the bounds as given. So `is_member` costs comparisons of
-- the figures' own decimals, not the positions' text nor a widening of
-- each figure to the bounds' 76 digits, for the pairs a run filters
-- (int_memberships).
evaluated AS (
    SELECT
        *,
        NOT by_potential
            OR ((potential_low IS NULL OR potential >= potential_low)
                AND (potential_high IS NULL OR potential <= potential_high)) AS potential_pass,
        NOT by_billing
            OR ((billing_low IS NULL OR billing >= billing_low)
                AND (billing_high IS NULL OR billing <= billing_high)) AS billing_pass
    FROM positioned
)

SELECT
    campaign_id,
    client_id,
    season_id,
    potential,
    billing,
    segment,
    by_potential,
    potential_min,
    potential_max,
    potential_position,
    CASE potential_position
        WHEN 'below' THEN potential_min - potential
        WHEN 'above' THEN potential - potential_max
        WHEN 'inside' THEN LEAST(potential - potential_min, potential_max - potential)
    END AS potential_distance,
    potential_pass,
    by_billing,
    billing_min,
    billing_max,
    billing_position,
    CASE billing_position
        WHEN 'below' THEN billing_min - billing
        WHEN 'above' THEN billing - billing_max
        WHEN 'inside' THEN LEAST(billing - billing_min, billing_max - billing)
    END AS billing_distance,
    billing_pass,
    COALESCE(potential_pass AND billing_pass, FALSE) AS is_member
FROM evaluated
