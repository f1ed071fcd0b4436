-- val_sales_duplicate_keys: one row per (document_id, line_no) that occurs
-- more than once among all rows of `sales` (GROUP BY the key, nulls forming
-- one group, HAVING COUNT(*) > 1, as in every validation view). A run
-- computes it once, as a checkpoint, after which every other use of sales
-- only joins with this short list. Uses no parameters.
--
-- Two passes, so that neither holds every (document_id, line_no) key
-- (docs/SEMANTICS.md, "Plans"):
-- 1. per document, a bitmask of its lines: a line number whose text reads
--    as an integer n from 0 to 49 ('7', '42', also '07' or '+7'; not '50',
--    'x' or null) is the bit 2^n, and the document can hold no duplicate key
--    when every line of it has a bit and the sum of its bits equals their
--    bitwise OR (a sum of single bits equals their OR exactly when no bit
--    repeats; with at most 1024 lines the sum stays below 2^59, so it cannot
--    wrap). The bit is a function of the text, so two equal texts have the
--    same bit: distinct bits mean distinct texts. Two different texts with
--    one bit ('7' and '07') only make the document a candidate. Every other
--    document with more than one line is a candidate: a candidate may hold
--    no duplicate, a non-candidate never does;
-- 2. the exact GROUP BY (document_id, line_no) over the candidates' rows only.
WITH keys AS (
    SELECT document_id, line_no FROM stg_sales
),

numbered AS (
    SELECT
        document_id,
        CASE
            WHEN TRY_CAST(line_no AS INT) BETWEEN 0 AND 49
                THEN CAST(1 AS BIGINT) << TRY_CAST(line_no AS INT)
        END AS line_bit
    FROM keys
),

candidates AS (
    SELECT document_id
    FROM numbered
    GROUP BY document_id
    HAVING COUNT(*) > 1
        AND (
            COUNT(line_bit) < COUNT(*)
            OR COUNT(*) > 1024
            OR SUM(line_bit) <> BIT_OR(line_bit)
        )
)

SELECT k.document_id, k.line_no
FROM candidates AS c
INNER JOIN keys AS k ON k.document_id IS NOT DISTINCT FROM c.document_id
GROUP BY k.document_id, k.line_no
HAVING COUNT(*) > 1
