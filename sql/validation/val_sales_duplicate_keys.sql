-- val_sales_duplicate_keys: one row per (document_id, line_no) that occurs
-- more than once among all rows of `sales` (GROUP BY the key, nulls forming
-- one group, HAVING COUNT(*) > 1, as in every validation view). A run
-- computes it once, as a checkpoint, after which every other use of sales
-- only joins with this short list. Uses no parameters.
--
-- Two passes, so that neither holds every (document_id, line_no) key
-- (docs/SEMANTICS.md, "Plans"): the documents that may hold a repeated key
-- (val_sales_candidate_documents, which states why the others cannot), then
-- the exact GROUP BY (document_id, line_no) over their rows only.
WITH keys AS (
    SELECT document_id, line_no FROM stg_sales
),

candidates AS (
    SELECT document_id FROM val_sales_candidate_documents
)

SELECT k.document_id, k.line_no
FROM candidates AS c
INNER JOIN keys AS k ON k.document_id IS NOT DISTINCT FROM c.document_id
GROUP BY k.document_id, k.line_no
HAVING COUNT(*) > 1
