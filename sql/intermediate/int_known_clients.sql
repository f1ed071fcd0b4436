-- int_known_clients: one row per distinct non-null client_id of `clients`
-- (active or not), with `in_scope` (contract §1: active true or null). The
-- table-level checks refuse duplicate ids before any figure is computed; the
-- aggregate only keeps this view one row per id whatever its input.
-- A run computes it once, as a checkpoint (src/checkpoints.rs): int_cadastre
-- and int_sales both join it. Uses no parameters.
SELECT client_id, bool_or(is_active) AS in_scope
FROM stg_clients
WHERE client_id IS NOT NULL
GROUP BY client_id
