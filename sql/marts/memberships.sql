-- memberships: one row per (campaign active on D without a status_note, client
-- in scope) where the client's rounded figures in the campaign's season fall in
-- every range whose flag is true (contract §7): bounds inclusive, a null bound
-- unbounded. A campaign with neither flag reaches every client in scope.
-- Uses no parameters.
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
