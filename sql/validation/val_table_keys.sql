-- val_table_keys: one row per table-level problem that stops the run (exit 3):
-- a null or duplicate key in clients, seasons or campaigns, and a season with
-- a null date or start_date > end_date. key_value is the offending key (one row
-- per distinct key). Duplicate keys are found as in every validation view:
-- GROUP BY the key, HAVING COUNT(*) > 1. A run checks this view before
-- computing anything else. Uses no parameters.
SELECT DISTINCT 'clients' AS table_name, 'null client_id' AS problem, '<null>' AS key_value
FROM stg_clients WHERE client_id IS NULL
UNION ALL
SELECT 'clients', 'duplicate client_id', client_id
FROM stg_clients WHERE client_id IS NOT NULL GROUP BY client_id HAVING COUNT(*) > 1
UNION ALL
SELECT DISTINCT 'seasons', 'null season_id', '<null>'
FROM stg_seasons WHERE season_id IS NULL
UNION ALL
SELECT 'seasons', 'duplicate season_id', season_id
FROM stg_seasons WHERE season_id IS NOT NULL GROUP BY season_id HAVING COUNT(*) > 1
UNION ALL
SELECT DISTINCT 'seasons', 'null start_date or end_date', season_id
FROM stg_seasons WHERE season_id IS NOT NULL AND (start_date IS NULL OR end_date IS NULL)
UNION ALL
SELECT DISTINCT 'seasons', 'start_date > end_date', season_id
FROM stg_seasons WHERE season_id IS NOT NULL AND start_date > end_date
UNION ALL
SELECT DISTINCT 'campaigns', 'null campaign_id', '<null>'
FROM stg_campaigns WHERE campaign_id IS NULL
UNION ALL
SELECT 'campaigns', 'duplicate campaign_id', campaign_id
FROM stg_campaigns WHERE campaign_id IS NOT NULL GROUP BY campaign_id HAVING COUNT(*) > 1
