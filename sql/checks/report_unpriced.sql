-- report_unpriced: one row: hectares of unpriced parcels of clients in scope,
-- summed over the seasons in scope (for the run report). Uses no parameters.
SELECT CAST(COALESCE(SUM(unpriced_ha), 0) AS VARCHAR) AS unpriced_ha
FROM int_potential
