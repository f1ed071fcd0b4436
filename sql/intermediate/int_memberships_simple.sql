-- int_memberships_simple: the membership rule (contract §7) as its plain
-- definition, a join of campaigns and clients on the season: one row per
-- (campaign active on D without a status_note, client in scope) where the
-- client's rounded figures fall in every range whose flag is true (bounds
-- inclusive, a null bound unbounded; no flag = every client). Its cost is
-- clients × campaigns; `memberships` computes the same rows faster, and the
-- SQL tests prove the two equal. Uses no parameters.
SELECT
    k.campaign_id,
    f.client_id,
    k.season_id,
    f.potential,
    f.billing,
    f.segment
FROM active_campaigns AS k
INNER JOIN client_segments AS f ON f.season_id = k.season_id
WHERE k.status_note IS NULL
    AND (NOT k.by_potential OR (
        (k.potential_min IS NULL OR f.potential >= k.potential_min)
        AND (k.potential_max IS NULL OR f.potential <= k.potential_max)))
    AND (NOT k.by_billing OR (
        (k.billing_min IS NULL OR f.billing >= k.billing_min)
        AND (k.billing_max IS NULL OR f.billing <= k.billing_max)))
