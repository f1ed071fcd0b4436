-- preview_candidates: one row per (preview campaign, client of the
-- snapshot's client_segments in that campaign's season) pair the rule must
-- decide, with the client's figures and segment. Shaped as
-- int_campaign_candidates, in whose place the preview binds it; the job's
-- int_campaign_conditions applies the rule to each.
--
-- - The range as given ('range'): the clients whose figures lie within its
--   bounds (a superset of its members: a prefilter, not the rule; a client
--   with a null figure under a used flag is outside, as it is outside any
--   range of that flag).
-- - A moved variant (one bound moved by ±10%): only the clients whose
--   figure under that bound lies between the bound as given and as moved,
--   inclusive (its band; none when the bound did not move, at 0). The
--   variant and the range differ in that one bound, so a client outside
--   the band is a member of both or of neither: preview_result counts the
--   variant's members as the range's, plus the band's joiners, minus its
--   leavers.
-- Both are found in one pass over the clients of the envelope of all the
-- preview campaigns. Uses no parameters.
WITH campaigns AS (
    SELECT
        campaign_id, moved_bound, season_id, by_potential, potential_min, potential_max,
        by_billing, billing_min, billing_max
    FROM preview_campaigns
),

given AS (
    SELECT * FROM campaigns WHERE moved_bound IS NULL
),

-- Per season and flag every preview campaign uses: the smallest minimum
-- and the largest maximum (unbounded when a bound is null). A client
-- outside it is a member of none of them.
envelope AS (
    SELECT
        season_id,
        BOOL_AND(by_potential) AS by_potential,
        CASE WHEN COUNT(potential_min) = COUNT(*) THEN MIN(potential_min) END AS potential_low,
        CASE WHEN COUNT(potential_max) = COUNT(*) THEN MAX(potential_max) END AS potential_high,
        BOOL_AND(by_billing) AS by_billing,
        CASE WHEN COUNT(billing_min) = COUNT(*) THEN MIN(billing_min) END AS billing_low,
        CASE WHEN COUNT(billing_max) = COUNT(*) THEN MAX(billing_max) END AS billing_high
    FROM campaigns
    GROUP BY season_id
),

near AS (
    SELECT s.season_id, s.client_id, s.potential, s.billing, s.segment
    FROM envelope AS e
    INNER JOIN snap_segments AS s ON s.season_id = e.season_id
    WHERE (NOT e.by_potential OR (
            (e.potential_low IS NULL OR s.potential >= e.potential_low)
            AND (e.potential_high IS NULL OR s.potential <= e.potential_high)))
        AND (NOT e.by_billing OR (
            (e.billing_low IS NULL OR s.billing >= e.billing_low)
            AND (e.billing_high IS NULL OR s.billing <= e.billing_high)))
),

-- Each preview campaign with the range as given and, for a moved variant,
-- the figure its moved bound applies to and that bound as moved and as
-- given.
moved_bounds AS (
    SELECT
        v.campaign_id,
        v.season_id,
        v.moved_bound IS NULL AS is_given,
        v.moved_bound LIKE 'potential%' AS on_potential,
        CASE v.moved_bound
            WHEN 'potential_min' THEN v.potential_min
            WHEN 'potential_max' THEN v.potential_max
            WHEN 'billing_min' THEN v.billing_min
            WHEN 'billing_max' THEN v.billing_max
        END AS moved,
        CASE v.moved_bound
            WHEN 'potential_min' THEN g.potential_min
            WHEN 'potential_max' THEN g.potential_max
            WHEN 'billing_min' THEN g.billing_min
            WHEN 'billing_max' THEN g.billing_max
        END AS given,
        g.by_potential, g.potential_min, g.potential_max,
        g.by_billing, g.billing_min, g.billing_max
    FROM given AS g
    INNER JOIN campaigns AS v ON v.season_id = g.season_id
),

tests AS (
    SELECT
        campaign_id, season_id, is_given, on_potential,
        least(moved, given) AS low,
        greatest(moved, given) AS high,
        by_potential, potential_min, potential_max,
        by_billing, billing_min, billing_max
    FROM moved_bounds
)

-- Every preview campaign has the one season of preview_params, as every
-- client of near: the pairs are a cross product, filtered by the test (an
-- equi-join on the one season would walk a chain of nine rows per client).
SELECT t.campaign_id, c.client_id, c.season_id, c.potential, c.billing, c.segment
FROM tests AS t
CROSS JOIN near AS c
WHERE CASE
    WHEN t.is_given THEN
        (NOT t.by_potential OR (
            (t.potential_min IS NULL OR c.potential >= t.potential_min)
            AND (t.potential_max IS NULL OR c.potential <= t.potential_max)))
        AND (NOT t.by_billing OR (
            (t.billing_min IS NULL OR c.billing >= t.billing_min)
            AND (t.billing_max IS NULL OR c.billing <= t.billing_max)))
    -- A bound of 0 moves by 10% of 0: the variant is the range, no client
    -- can join or leave, the band is empty.
    WHEN t.low = t.high THEN false
    WHEN t.on_potential THEN c.potential BETWEEN t.low AND t.high
    ELSE c.billing BETWEEN t.low AND t.high
END
