-- int_clients_in_scope: one row per client in scope (active true or null,
-- contract §1). Uses no parameters.
SELECT DISTINCT client_id
FROM stg_clients
WHERE is_active AND client_id IS NOT NULL
