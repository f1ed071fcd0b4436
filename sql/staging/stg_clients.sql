-- stg_clients: one row per row of the `clients` input table.
-- Casts only: a null `active` means active (contract §1).
-- Uses no parameters.
SELECT
    client_id,
    name,
    COALESCE(active, TRUE) AS is_active
FROM clients
