-- val_sales_candidate_documents: one row per document of `sales` that may
-- hold a repeated (document_id, line_no) key (all rows with a null
-- document_id are one document). A document not listed holds no repeated
-- key: the exact count (val_sales_duplicate_keys) runs over these
-- documents' rows only. Uses no parameters.
--
-- Per document, each line gets a bit: a line number whose text reads as an
-- integer n from 0 to 49 ('7', '42', also '07' or '+7') is 2^n; any other
-- ('50', 'x', null) is 2^50. (When line_no is registered as an integer,
-- src/inputs.rs INTEGER_TEXT_COLUMNS, the cast is of the integer itself:
-- the same bit as its text's.) A document of more than one line is a
-- candidate unless it has at most 1024 lines, no 2^50 bit (their bitwise
-- OR is below 2^50) and the sum of its bits equals their OR. A sum of
-- single bits equals their OR exactly when no bit repeats, and with at most
-- 1024 lines of at most 2^50 the sum stays below 2^61, so it cannot wrap.
-- The bit is a function of the text, so two equal texts have the same bit:
-- distinct bits mean distinct texts. Two different texts with one bit ('7'
-- and '07', or 'x' and null) only make the document a candidate.
--
-- A run computes this view as a checkpoint one range of document_id after
-- the other when the sales files hold disjoint ranges of it
-- (src/checkpoints.rs, KEY_RANGED): a range is a condition on the grouping
-- key, so it is applied to the rows before they are grouped and reaches the
-- scan, which skips the files outside it. Otherwise a run with no memory
-- limit computes it in two hash parts of document_id, one after the other
-- (IN_PARTS: the last character's code modulo 2): a condition on the
-- grouping key, so it is applied to the rows before they are grouped, and
-- each part's hash table holds about half of the documents (as even as the
-- ids' last characters are). The rows are the same either way.
WITH keys AS (
    SELECT document_id, line_no FROM stg_sales
),

numbered AS (
    SELECT
        document_id,
        CASE
            WHEN TRY_CAST(line_no AS INT) BETWEEN 0 AND 49
                THEN CAST(1 AS BIGINT) << TRY_CAST(line_no AS INT)
            ELSE CAST(1 AS BIGINT) << 50
        END AS line_bit
    FROM keys
)

SELECT document_id
FROM numbered
GROUP BY document_id
HAVING COUNT(*) > 1
    AND (
        COUNT(*) > 1024
        OR BIT_OR(line_bit) >= CAST(1 AS BIGINT) << 50
        OR SUM(line_bit) <> BIT_OR(line_bit)
    )
