-- preview_result: one row per preview campaign (preview_campaigns): its
-- bounds, its label and status_note as the job's int_active_campaigns gives
-- them, its members as the job's int_campaign_conditions finds them, the
-- exact sums of the members' figures (DECIMAL(76,2)), and, compared with
-- the range as given ('range'), how many clients would join and how many
-- would leave. Uses no parameters.
--
-- The range's members are preview_evaluated's 'range' rows. A moved variant
-- differs from the range in one bound, so only clients in its band can
-- join or leave (preview_candidates): its members are the range's, plus
-- the band's members that are not the range's (joined), minus the range's
-- members in the band that are not its own (left). A campaign with a
-- status_note has no member (int_campaign_conditions evaluates none).
WITH evaluated AS (
    SELECT campaign_id, client_id, potential, billing, is_member
    FROM preview_evaluated
),

given_members AS (
    SELECT client_id, potential, billing
    FROM evaluated
    WHERE campaign_id = 'range'
),

given AS (
    SELECT
        COUNT(*) AS members,
        COALESCE(SUM(CAST(potential AS DECIMAL(76, 2))), 0) AS potential_total,
        COALESCE(SUM(CAST(billing AS DECIMAL(76, 2))), 0) AS billing_total
    FROM given_members
),

-- Each band row with whether its client is a member of the range as given;
-- the band rows are the hash table, the range's members probe it (the
-- session keeps the written join order).
band AS (
    SELECT
        e.campaign_id,
        e.is_member,
        g.client_id IS NOT NULL AS is_given,
        CAST(e.potential AS DECIMAL(76, 2)) AS potential,
        CAST(e.billing AS DECIMAL(76, 2)) AS billing
    FROM evaluated AS e
    LEFT JOIN given_members AS g ON g.client_id = e.client_id
    WHERE e.campaign_id <> 'range'
),

changes AS (
    SELECT
        campaign_id,
        COUNT(CASE WHEN is_member AND NOT is_given THEN 1 END) AS joined,
        COUNT(CASE WHEN is_given AND NOT is_member THEN 1 END) AS left_clients,
        COALESCE(SUM(CASE WHEN is_member AND NOT is_given THEN potential END), 0)
            - COALESCE(SUM(CASE WHEN is_given AND NOT is_member THEN potential END), 0)
            AS potential_change,
        COALESCE(SUM(CASE WHEN is_member AND NOT is_given THEN billing END), 0)
            - COALESCE(SUM(CASE WHEN is_given AND NOT is_member THEN billing END), 0)
            AS billing_change
    FROM band
    GROUP BY campaign_id
)

SELECT
    k.campaign_id,
    k.moved_bound,
    k.step,
    k.season_id,
    k.by_potential,
    CAST(k.potential_min AS DECIMAL(38, 2)) AS potential_min,
    CAST(k.potential_max AS DECIMAL(38, 2)) AS potential_max,
    k.by_billing,
    CAST(k.billing_min AS DECIMAL(38, 2)) AS billing_min,
    CAST(k.billing_max AS DECIMAL(38, 2)) AS billing_max,
    a.label,
    a.status_note,
    CASE WHEN a.status_note IS NULL
        THEN g.members + COALESCE(c.joined, 0) - COALESCE(c.left_clients, 0)
        ELSE 0 END AS members,
    CAST(CASE WHEN a.status_note IS NULL
        THEN g.potential_total + COALESCE(c.potential_change, 0)
        ELSE 0 END AS DECIMAL(76, 2)) AS potential_total,
    CAST(CASE WHEN a.status_note IS NULL
        THEN g.billing_total + COALESCE(c.billing_change, 0)
        ELSE 0 END AS DECIMAL(76, 2)) AS billing_total,
    CASE WHEN a.status_note IS NULL THEN COALESCE(c.joined, 0) ELSE 0 END AS joined,
    -- left: members of the range as given that are not members here.
    CASE WHEN a.status_note IS NULL THEN COALESCE(c.left_clients, 0) ELSE g.members END
        AS left_clients
FROM preview_campaigns AS k
CROSS JOIN given AS g
INNER JOIN int_active_campaigns AS a ON a.campaign_id = k.campaign_id
LEFT JOIN changes AS c ON c.campaign_id = k.campaign_id
