-- rpt_contacts: one row per primary campaign of the snapshot's contact plan:
-- the clients it is the primary campaign of, and how many of them are also
-- in other campaigns. Uses no parameters.
SELECT
    primary_campaign_id,
    primary_season_id,
    primary_priority,
    COUNT(*) AS clients,
    SUM(CASE WHEN other_campaigns > 0 THEN 1 ELSE 0 END) AS also_elsewhere
FROM snap_contacts
GROUP BY primary_campaign_id, primary_season_id, primary_priority
