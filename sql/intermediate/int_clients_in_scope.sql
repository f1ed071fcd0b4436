-- int_clients_in_scope: one row per client in scope (active true or null,
-- contract §1), as int_known_clients decides it. Uses no parameters.
SELECT client_id
FROM int_known_clients
WHERE in_scope
