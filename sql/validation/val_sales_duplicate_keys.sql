-- val_sales_duplicate_keys: one row per (document_id, line_no) that occurs
-- more than once among all rows of `sales` (GROUP BY the key, nulls forming
-- one group, HAVING COUNT(*) > 1, as in every validation view). A run
-- computes it once, as a checkpoint: the one pass that must hold every key,
-- after which every other use of sales only joins with this short list.
-- Uses no parameters.
SELECT document_id, line_no
FROM stg_sales
GROUP BY document_id, line_no
HAVING COUNT(*) > 1
