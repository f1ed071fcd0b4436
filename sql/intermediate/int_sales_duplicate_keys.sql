-- int_sales_duplicate_keys: one row per (document_id, line_no) that occurs more
-- than once among all rows of `sales` (rows with a null key part are rejected
-- for that first, so only non-null keys matter). A run computes it once, as a
-- checkpoint: the one pass that must hold every key, after which every other
-- use of sales only joins with this short list. Uses no parameters.
SELECT document_id, line_no
FROM sales
WHERE document_id IS NOT NULL AND line_no IS NOT NULL
GROUP BY document_id, line_no
HAVING COUNT(*) > 1
