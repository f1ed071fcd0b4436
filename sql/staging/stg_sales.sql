-- stg_sales: one row per row of the `sales` input table. Renames and casts
-- only; none is needed (the input tables are registered with the contract's
-- types; `line_no` is text, or the files' integer type when every file
-- holds one: src/inputs.rs, INTEGER_TEXT_COLUMNS; the text columns are
-- string views, Utf8View, until the first checkpoint writes them as Utf8:
-- src/inputs.rs, VIEW_TEXT_TABLES). A null currency is the
-- base currency (int_sales). Row problems: val_sales. Uses no parameters.
SELECT
    document_id,
    line_no,
    client_id,
    document_date,
    document_type,
    status,
    amount,
    currency
FROM sales
