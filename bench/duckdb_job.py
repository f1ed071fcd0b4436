"""The benchmark's peer: zafra's whole job written in DuckDB SQL.

What a data team could write in an afternoon instead of scheduling zafra:
the contract's semantics (validation and rejects, potential, billing with an
ASOF fx join, thresholds, segments, campaigns) over the same Parquet files,
written for speed (hash joins, no correlated subqueries). `compute()` returns
the four published tables as pyarrow tables in the published schema and
order; bench/bench.py writes them as Parquet and checks they equal zafra's.
(The differential test's reference, tests/differential/reference.py, is a
separate implementation written for clarity, not speed.)
"""
from __future__ import annotations

import datetime
import decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from peer_contract import INPUTS, conform, number_scale, table_files


def load(con: duckdb.DuckDBPyConnection, root: Path, table: str) -> None:
    """Creates view `in_<table>` with the contract's coercions applied."""
    files = table_files(root, table)
    columns = INPUTS[table]
    if not files:
        if table != "fx_rates":
            raise FileNotFoundError(table)
        con.execute("CREATE VIEW in_fx_rates AS SELECT NULL::VARCHAR AS currency, NULL::DATE AS rate_date, "
                    "NULL::DECIMAL(38,0) AS rate_to_base WHERE false")
        return
    schemas = [pq.read_schema(f) for f in files]
    present = set().union(*(s.names for s in schemas))
    exprs = []
    for name, kind in columns:
        if name not in present:
            exprs.append(f"NULL AS {name}")
        elif kind == "T":
            exprs.append(f"CAST({name} AS VARCHAR) AS {name}")
        elif kind == "D":
            exprs.append(f"CAST({name} AS DATE) AS {name}")
        elif kind == "B":
            exprs.append(f"CAST({name} AS BOOLEAN) AS {name}")
        else:
            scale = max(number_scale(s.field(name).type) for s in schemas if name in s.names)
            floats = any(pa.types.is_floating(s.field(name).type) for s in schemas if name in s.names)
            # Floats: first to 6 decimals (rounded), then to the table's scale.
            inner = f"CAST({name} AS DECIMAL(38,6))" if floats else name
            exprs.append(f"CAST({inner} AS DECIMAL(38,{scale})) AS {name}")
    file_list = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"CREATE VIEW in_{table} AS SELECT {', '.join(exprs)} "
                f"FROM read_parquet([{file_list}], union_by_name = true)")


def compute(input_root, as_of: datetime.date, base_currency: str, thresholds: dict) -> dict:
    """The four published tables for a run as of `as_of`."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET preserve_insertion_order = false")
    root = Path(input_root)
    for table in INPUTS:
        load(con, root, table)
    con.execute("CREATE TABLE params AS SELECT ?::DATE AS d, ?::VARCHAR AS base", [as_of, base_currency])
    rows = [(None, thresholds.get("default", {}).get("high_potential"), thresholds.get("default", {}).get("high_billing"))]
    for season, pair in thresholds.get("season", {}).items():
        rows.append((season, pair.get("high_potential"), pair.get("high_billing")))
    con.execute("CREATE TABLE cfg (season_id VARCHAR, tp DECIMAL(38,2), tb DECIMAL(38,2))")
    con.executemany("INSERT INTO cfg VALUES (?, ?, ?)", rows)

    # ---- row-level validation -------------------------------------------
    con.execute("""
    CREATE TABLE v_cadastre AS
    WITH t AS (SELECT * FROM in_cadastre),
    dup AS (SELECT client_id, parcel_id, season_id, true AS dup FROM t GROUP BY ALL HAVING count(*) > 1),
    known AS (SELECT DISTINCT client_id, true AS known FROM in_clients WHERE client_id IS NOT NULL)
    SELECT t.*,
      concat_ws('|', coalesce(t.client_id, '<null>'), coalesce(t.parcel_id, '<null>'), coalesce(t.season_id, '<null>')) AS row_key,
      CASE
        WHEN t.client_id IS NULL THEN 'null client_id'
        WHEN t.parcel_id IS NULL THEN 'null parcel_id'
        WHEN t.activity IS NULL THEN 'null activity'
        WHEN t.productive_ha IS NULL THEN 'null productive_ha'
        WHEN t.productive_ha < 0 THEN 'negative productive_ha'
        WHEN d.dup THEN 'duplicate key'
        WHEN k.known IS NULL THEN 'unknown client_id'
      END AS reason
    FROM t
    LEFT JOIN dup d ON d.client_id IS NOT DISTINCT FROM t.client_id
      AND d.parcel_id IS NOT DISTINCT FROM t.parcel_id AND d.season_id IS NOT DISTINCT FROM t.season_id
    LEFT JOIN known k ON k.client_id = t.client_id
    """)
    con.execute("""
    CREATE TABLE v_rates AS
    WITH t AS (SELECT * FROM in_potential_rates),
    dup AS (SELECT season_id, activity FROM t GROUP BY ALL HAVING count(*) > 1)
    SELECT t.*,
      concat_ws('|', coalesce(t.season_id, '<null>'), coalesce(t.activity, '<null>')) AS row_key,
      CASE
        WHEN t.season_id IS NULL THEN 'null season_id'
        WHEN t.activity IS NULL THEN 'null activity'
        WHEN t.amount_per_ha IS NULL THEN 'null amount_per_ha'
        WHEN (t.season_id, t.activity) IN (SELECT (season_id, activity) FROM dup) THEN 'duplicate key'
      END AS reason
    FROM t
    """)
    con.execute("""
    CREATE TABLE v_fx AS
    WITH t AS (SELECT * FROM in_fx_rates),
    dup AS (SELECT currency, rate_date FROM t GROUP BY ALL HAVING count(*) > 1)
    SELECT t.*,
      concat_ws('|', coalesce(t.currency, '<null>'), coalesce(strftime(t.rate_date, '%Y-%m-%d'), '<null>')) AS row_key,
      CASE
        WHEN t.currency IS NULL THEN 'null currency'
        WHEN t.rate_date IS NULL THEN 'null rate_date'
        WHEN t.rate_to_base IS NULL THEN 'null rate_to_base'
        WHEN (t.currency, t.rate_date) IN (SELECT (currency, rate_date) FROM dup) THEN 'duplicate key'
      END AS reason
    FROM t
    """)
    # Sales: the reason of every row, computed once; the row key is only
    # built for rejected rows (50M keys would dominate the memory).
    con.execute("""
    CREATE TABLE v_sales AS
    WITH t AS (SELECT * FROM in_sales),
    dup AS (SELECT document_id, line_no, true AS dup FROM t
            WHERE document_id IS NOT NULL AND line_no IS NOT NULL
            GROUP BY ALL HAVING count(*) > 1),
    known AS (SELECT DISTINCT client_id, true AS known FROM in_clients WHERE client_id IS NOT NULL),
    good_fx AS (SELECT currency, rate_date, rate_to_base FROM v_fx WHERE reason IS NULL),
    with_fx AS (
      SELECT t.*, f.rate_to_base AS fx_found,
        (t.currency IS NULL OR t.currency = (SELECT base FROM params)) AS is_base
      FROM t ASOF LEFT JOIN good_fx f
        ON t.currency = f.currency AND t.document_date >= f.rate_date
    ),
    checked AS (
      SELECT s.document_id, s.line_no, s.client_id, s.document_date, s.document_type, s.status, s.amount,
        CASE WHEN s.is_base THEN 1 ELSE s.fx_found END AS fx,
        CASE
          WHEN s.document_id IS NULL THEN 'null document_id'
          WHEN s.line_no IS NULL THEN 'null line_no'
          WHEN s.client_id IS NULL THEN 'null client_id'
          WHEN s.document_date IS NULL THEN 'null document_date'
          WHEN s.document_type IS NULL THEN 'null document_type'
          WHEN s.status IS NULL THEN 'null status'
          WHEN s.amount IS NULL THEN 'null amount'
          WHEN s.document_type NOT IN ('INVOICE', 'DEBIT_NOTE', 'CREDIT_NOTE') THEN 'unknown document_type'
          WHEN s.status NOT IN ('VALID', 'VOID') THEN 'unknown status'
          WHEN d.dup THEN 'duplicate key'
          WHEN k.known IS NULL THEN 'unknown client_id'
          WHEN NOT s.is_base AND s.fx_found IS NULL THEN 'no fx rate'
        END AS reason
      FROM with_fx s
      LEFT JOIN dup d ON d.document_id = s.document_id AND d.line_no = s.line_no
      LEFT JOIN known k ON k.client_id = s.client_id
    )
    SELECT client_id, document_date, document_type, status, amount, fx, reason,
      CASE WHEN reason IS NOT NULL
        THEN concat_ws('|', coalesce(document_id, '<null>'), coalesce(line_no, '<null>')) END AS row_key
    FROM checked
    """)

    # ---- scope ------------------------------------------------------------
    con.execute("""
    CREATE TABLE scope_clients AS SELECT DISTINCT client_id FROM in_clients
    WHERE client_id IS NOT NULL AND coalesce(active, true)
    """)
    con.execute("""
    CREATE TABLE active_k AS
    SELECT * REPLACE (coalesce(by_potential, false) AS by_potential, coalesce(by_billing, false) AS by_billing)
    FROM in_campaigns, params
    WHERE status = 'ACTIVE' AND start_date <= params.d AND params.d <= end_date
    """)
    con.execute("""
    CREATE TABLE scope_seasons AS
    SELECT s.season_id, s.start_date, s.end_date FROM in_seasons s, params
    WHERE (s.start_date <= params.d AND params.d <= s.end_date)
       OR s.season_id IN (SELECT season_id FROM active_k WHERE season_id IS NOT NULL)
    """)

    # ---- potential ----------------------------------------------------------
    con.execute("""
    CREATE TABLE parcel_rows AS
    WITH ok AS (SELECT * FROM v_cadastre WHERE reason IS NULL AND client_id IN (SELECT client_id FROM scope_clients)),
    chosen AS (
      -- per (season in scope, client, parcel): the season's own row, else the generic one
      SELECT s.season_id AS season, o.client_id, o.parcel_id, o.activity, o.productive_ha,
             row_number() OVER (PARTITION BY s.season_id, o.client_id, o.parcel_id
                                ORDER BY (o.season_id IS NULL)) AS pick
      FROM scope_seasons s JOIN ok o ON o.season_id = s.season_id OR o.season_id IS NULL
    ),
    r AS (SELECT season_id, activity, amount_per_ha FROM v_rates WHERE reason IS NULL)
    SELECT c.season AS season_id, c.client_id, c.productive_ha,
      coalesce(own.amount_per_ha, star.amount_per_ha) AS rate
    FROM chosen c
    LEFT JOIN r own ON own.season_id = c.season AND own.activity = c.activity
    LEFT JOIN r star ON star.season_id = c.season AND star.activity = '*'
    WHERE c.pick = 1
    """)
    con.execute("""
    CREATE TABLE pot AS
    SELECT season_id, client_id, CAST(coalesce(sum(productive_ha * rate), 0) AS DECIMAL(38,2)) AS potential
    FROM parcel_rows GROUP BY season_id, client_id
    """)

    # ---- billing ------------------------------------------------------------
    con.execute("""
    CREATE TABLE bil AS
    SELECT s.season_id, x.client_id,
      CAST(sum(CASE WHEN x.document_type = 'CREDIT_NOTE' THEN -1 ELSE 1 END * (x.amount * x.fx)) AS DECIMAL(38,2)) AS billing
    FROM v_sales x JOIN scope_clients c ON c.client_id = x.client_id, scope_seasons s, params
    WHERE x.reason IS NULL AND x.status = 'VALID'
      AND x.document_date BETWEEN s.start_date AND least(s.end_date, params.d)
    GROUP BY s.season_id, x.client_id
    """)

    # ---- figures, thresholds, segments --------------------------------------
    con.execute("""
    CREATE TABLE figures AS
    SELECT s.season_id, c.client_id,
      coalesce(p.potential, 0)::DECIMAL(38,2) AS potential, coalesce(b.billing, 0)::DECIMAL(38,2) AS billing,
      p.client_id IS NOT NULL AS has_cadastre, b.client_id IS NOT NULL AS has_sales
    FROM scope_seasons s CROSS JOIN scope_clients c
    LEFT JOIN pot p ON p.season_id = s.season_id AND p.client_id = c.client_id
    LEFT JOIN bil b ON b.season_id = s.season_id AND b.client_id = c.client_id
    """)
    con.execute("""
    CREATE TABLE thr AS
    WITH med AS (
      SELECT season_id, list_sort(list(potential)) AS xs FROM figures WHERE potential <> 0 GROUP BY season_id
    ),
    lower_median AS (SELECT season_id, xs[CAST(ceil(len(xs) / 2) AS BIGINT)] AS m FROM med)
    SELECT s.season_id,
      coalesce((SELECT tp FROM cfg WHERE cfg.season_id = s.season_id),
               (SELECT tp FROM cfg WHERE cfg.season_id IS NULL),
               (SELECT m FROM lower_median l WHERE l.season_id = s.season_id), 0)::DECIMAL(38,2) AS tp,
      coalesce((SELECT tb FROM cfg WHERE cfg.season_id = s.season_id),
               (SELECT tb FROM cfg WHERE cfg.season_id IS NULL),
               (SELECT m FROM lower_median l WHERE l.season_id = s.season_id), 0)::DECIMAL(38,2) AS tb
    FROM scope_seasons s
    """)
    con.execute("""
    CREATE TABLE segs AS
    SELECT f.*, CASE
        WHEN f.potential >= t.tp AND f.billing >= t.tb THEN 'RETENCION'
        WHEN f.potential >= t.tp THEN 'INVERSION'
        WHEN f.billing >= t.tb THEN 'REVISION'
        ELSE 'NO_INVERSION' END AS segment
    FROM figures f JOIN thr t USING (season_id)
    """)

    # ---- campaigns ------------------------------------------------------------
    con.execute("""
    CREATE TABLE camp AS
    SELECT k.*,
      nullif(concat_ws('; ',
        CASE WHEN k.season_id IS NULL OR k.season_id NOT IN (SELECT season_id FROM in_seasons WHERE season_id IS NOT NULL)
             THEN 'unknown season' END,
        CASE WHEN k.by_potential AND k.potential_min > k.potential_max THEN 'potential_min > potential_max' END,
        CASE WHEN k.by_billing AND k.billing_min > k.billing_max THEN 'billing_min > billing_max' END), '') AS note
    FROM active_k k
    """)
    con.execute("""
    CREATE TABLE labels AS
    WITH mids AS (
      SELECT c.campaign_id, c.by_potential, c.by_billing, c.note,
        -- exact midpoints: DuckDB's `/` would give a DOUBLE
        (coalesce(c.potential_min, c.potential_max, 0) + coalesce(c.potential_max, c.potential_min, 0)) * 0.5 AS pm,
        (coalesce(c.billing_min, c.billing_max, 0) + coalesce(c.billing_max, c.billing_min, 0)) * 0.5 AS bm,
        t.tp, t.tb, c.season_id IN (SELECT season_id FROM in_seasons WHERE season_id IS NOT NULL) AS known
      FROM camp c LEFT JOIN thr t ON t.season_id = c.season_id
    )
    SELECT campaign_id, CASE
      WHEN NOT by_potential AND NOT by_billing THEN 'TODOS'
      WHEN by_potential AND NOT by_billing THEN 'SOLO_POTENCIAL'
      WHEN by_billing AND NOT by_potential THEN 'SOLO_FACTURACION'
      WHEN NOT coalesce(known, false) THEN NULL
      WHEN pm >= tp AND bm >= tb THEN 'RETENCION'
      WHEN pm >= tp THEN 'INVERSION'
      WHEN bm >= tb THEN 'REVISION'
      ELSE 'NO_INVERSION' END AS label
    FROM mids
    """)
    memberships = con.sql("""
    SELECT c.campaign_id, s.client_id, c.season_id, s.potential, s.billing, s.segment
    FROM camp c JOIN segs s ON s.season_id = c.season_id
    WHERE c.note IS NULL
      AND (NOT c.by_potential OR (s.potential >= coalesce(c.potential_min, s.potential)
                                  AND s.potential <= coalesce(c.potential_max, s.potential)))
      AND (NOT c.by_billing OR (s.billing >= coalesce(c.billing_min, s.billing)
                                AND s.billing <= coalesce(c.billing_max, s.billing)))
    ORDER BY c.campaign_id, s.client_id
    """).to_arrow_table()
    con.register("members_arrow", memberships)
    summary = con.sql("""
    SELECT c.campaign_id, c.description, c.season_id, l.label,
      count(m.client_id)::BIGINT AS members,
      coalesce(sum(m.potential), 0)::DECIMAL(38,2) AS potential_total,
      coalesce(sum(m.billing), 0)::DECIMAL(38,2) AS billing_total,
      c.note AS status_note
    FROM camp c JOIN labels l USING (campaign_id)
    LEFT JOIN members_arrow m ON m.campaign_id = c.campaign_id
    GROUP BY ALL ORDER BY c.campaign_id
    """).to_arrow_table()
    segments = con.sql("""
    SELECT season_id, client_id, potential, billing, segment, has_cadastre, has_sales
    FROM segs ORDER BY season_id, client_id
    """).to_arrow_table()
    rejects = con.sql("""
    SELECT * FROM (
      SELECT 'cadastre' AS table_name, row_key, reason FROM v_cadastre WHERE reason IS NOT NULL
      UNION ALL SELECT 'sales', row_key, reason FROM v_sales WHERE reason IS NOT NULL
      UNION ALL SELECT 'potential_rates', row_key, reason FROM v_rates WHERE reason IS NOT NULL
      UNION ALL SELECT 'fx_rates', row_key, reason FROM v_fx WHERE reason IS NOT NULL
    ) ORDER BY table_name, row_key, reason
    """).to_arrow_table()
    out = {
        "client_segments": segments,
        "memberships": memberships,
        "campaign_summary": summary,
        "rejects": rejects,
    }
    return {name: conform(name, table) for name, table in out.items()}


if __name__ == "__main__":
    import sys
    tables = compute(sys.argv[1], datetime.date.fromisoformat(sys.argv[2]), "USD", {})
    for n, t in tables.items():
        print(n, t.num_rows)
