"""The benchmark's peer, written for speed: zafra's whole job in DuckDB SQL.

Same contract, same semantics and same interface as bench/duckdb_job.py
(`compute(input_root, as_of, base_currency, thresholds)` returns the
published tables as pyarrow tables in the published schema and order, so
bench/bench.py can run either), but structured the way a DuckDB expert would
write it for a nightly batch rather than for readability. It publishes all
seven of zafra's tables: the four of the first peer and the three the
commercial manager reads (campaign_diagnostics, contact_plan,
campaign_overlap, added to the contract after the first peer was written);
`compute(..., manager_tables=False)` leaves those three out, as the peer of
the benchmark's sections before the twenty-second session did.

  - nothing of the size of the input is materialised: the inputs are views and
    the big steps pipeline; only small results (the per-client sales
    aggregate, the figures) become tables;
  - inputs keep their stored types where that is exact: DECIMAL(18,2) amounts
    stay 64-bit decimals instead of being widened to DECIMAL(38,·), integer
    line numbers are grouped as integers (the same keys as their decimal
    text) and turned into text only for the rejected rows' keys;
  - the sales are read in two passes. Pass 1 finds the duplicate keys
    (document_id, line_no): a cheap aggregate by document (a bitmask of its
    integer line numbers) or by key hash finds candidates, then the exact
    keys are counted over the candidates' rows only (a short re-read of the
    two key columns). Pass 2 validates every row (first problem wins,
    in the same order as zafra) and, in one hash aggregate, both sums the
    billing of the good rows per client and collects the rejected rows (the
    group key is the client for a good row, the row key and reason for a
    rejected one);
  - the seasons in scope (a handful) are pivoted as columns of that
    aggregate: one conditional sum and count per season, no range join and
    no row duplication;
  - the fx as-of lookup is done once per (currency, day): an ASOF join of a
    calendar of days onto fx_rates, then an equi-join of each sale on
    (currency, day) (a date after the last rate date is clamped to it, which
    gives the latest rate, as the as-of rule says);
  - campaign membership is one join of the figures with each campaign's
    filter as a plain box (unused ranges and null bounds replaced by the
    extremes of the figures), no per-row coalesce/branching;
  - the campaign diagnostics count each range's clients and find the
    nearest client outside each bound by ASOF joins of the campaigns (a few
    hundred rows) onto each season's distinct figures with their running
    counts: no join of campaigns with clients; the contact plan is one
    aggregate of the memberships by client (the minimum of a (priority,
    campaign) struct), the overlap counts each distinct set of campaigns
    that clients of a season share, then that set's pairs (no self-join
    of the memberships);
  - `threads = 2`; the bench's runner writes zstd Parquet (and so does this
    script's command line when given an output folder).
"""
from __future__ import annotations

import datetime
import decimal
import os
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from peer_contract import INPUTS, conform, number_scale, table_files


# Key columns that may be kept in their stored integer type: grouping and
# comparing integers is the same as doing it on their decimal text (the
# mapping is injective), and they become text only in a rejected row's key.
# Only for columns compared with nothing but themselves.
RAW_INT_KEYS = {("sales", "document_id"), ("sales", "line_no")}


def q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def load(con: duckdb.DuckDBPyConnection, root: Path, table: str) -> dict:
    """Creates view `in_<table>` with the contract's coercions; returns {column: 'int'|'text'|...}."""
    files = table_files(root, table)
    columns = INPUTS[table]
    kinds = {}
    if not files:
        if table != "fx_rates":
            raise FileNotFoundError(table)
        con.execute("CREATE VIEW in_fx_rates AS SELECT NULL::VARCHAR AS currency, NULL::DATE AS rate_date, "
                    "NULL::DECIMAL(38,0) AS rate_to_base WHERE false")
        return kinds
    schemas = [pq.read_schema(f) for f in files]
    present = set().union(*(s.names for s in schemas))
    exprs = []
    for name, kind in columns:
        types = [s.field(name).type for s in schemas if name in s.names]
        if name not in present:
            exprs.append(f"NULL AS {name}")
        elif kind == "T":
            if (table, name) in RAW_INT_KEYS and all(pa.types.is_integer(t) for t in types) and len(set(types)) == 1:
                exprs.append(name)
                kinds[name] = "int"
            else:
                exprs.append(f"CAST({name} AS VARCHAR) AS {name}")
        elif kind == "D":
            exprs.append(f"CAST({name} AS DATE) AS {name}")
        elif kind == "B":
            exprs.append(f"CAST({name} AS BOOLEAN) AS {name}")
        else:
            if len(set(types)) == 1 and pa.types.is_decimal(types[0]):
                # One stored decimal type: used as stored (exact, scale kept).
                exprs.append(name)
                continue
            scale = max(number_scale(t) for t in types)
            floats = any(pa.types.is_floating(t) for t in types)
            # Floats: first to 6 decimals (rounded), then to the table's scale.
            inner = f"CAST({name} AS DECIMAL(38,6))" if floats else name
            exprs.append(f"CAST({inner} AS DECIMAL(38,{scale})) AS {name}")
    if table == "campaigns":
        # contract: an optional integer column (SEMANTICS "Contact plan")
        exprs.append("CAST(priority AS BIGINT) AS priority" if "priority" in present
                     else "CAST(NULL AS BIGINT) AS priority")
    file_list = ", ".join(q(f) for f in files)
    con.execute(f"CREATE VIEW in_{table} AS SELECT {', '.join(exprs)} "
                f"FROM read_parquet([{file_list}], union_by_name = true)")
    return kinds


class Timed:
    """A connection wrapper that prints each statement's time to stderr when
    DUCKDB_FAST_TIMINGS is set (for profiling; off in the benchmark)."""

    def __init__(self, con):
        self.con = con
        self.on = bool(os.environ.get("DUCKDB_FAST_TIMINGS"))

    def _timed(self, fn, sql, *args):
        start = time.perf_counter()
        out = fn(sql, *args)
        if self.on:
            head = " ".join(sql.split())[:70]
            print(f"{time.perf_counter() - start:7.2f}s  {head}", file=sys.stderr)
        return out

    def execute(self, sql, *args):
        return self._timed(self.con.execute, sql, *args)

    def sql(self, sql):
        class R:
            def to_arrow_table(inner):
                return self._timed(lambda s: self.con.sql(s).to_arrow_table(), sql)
        return R()

    def __getattr__(self, name):
        return getattr(self.con, name)


def compute(input_root, as_of: datetime.date, base_currency: str, thresholds: dict,
            manager_tables: bool = True) -> dict:
    """The published tables for a run as of `as_of`: all seven, or without
    the manager's three (campaign_diagnostics, contact_plan,
    campaign_overlap) when `manager_tables` is false."""
    con = Timed(duckdb.connect())
    con.execute("SET threads TO 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    root = Path(input_root)
    kinds = {}
    for table in INPUTS:
        kinds[table] = load(con, root, table)
    d = f"DATE '{as_of.isoformat()}'"
    base = q(base_currency)

    # ---- scope (small) -------------------------------------------------------
    con.execute(f"""
    CREATE TEMP TABLE clients_dim AS
    SELECT client_id, bool_or(coalesce(active, true)) AS in_scope
    FROM in_clients WHERE client_id IS NOT NULL GROUP BY client_id
    """)
    con.execute(f"""
    CREATE TEMP TABLE active_k AS
    SELECT * REPLACE (coalesce(by_potential, false) AS by_potential, coalesce(by_billing, false) AS by_billing)
    FROM in_campaigns
    WHERE status = 'ACTIVE' AND start_date <= {d} AND {d} <= end_date
    """)
    con.execute(f"""
    CREATE TEMP TABLE scope_seasons AS
    SELECT s.season_id, s.start_date, least(s.end_date, {d}) AS last_day
    FROM in_seasons s
    WHERE (s.start_date <= {d} AND {d} <= s.end_date)
       OR s.season_id IN (SELECT season_id FROM active_k WHERE season_id IS NOT NULL)
    ORDER BY s.season_id
    """)
    seasons = con.execute("SELECT season_id, start_date, last_day FROM scope_seasons ORDER BY season_id").fetchall()

    # ---- fx: once per (currency, day) ------------------------------------------
    con.execute("""
    CREATE TEMP TABLE v_fx AS
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
    # Calendar: for each currency, every day from its first good rate to the
    # last good rate date of any currency; each day's as-of rate by ASOF join.
    # A sale dated later than that last date is looked up at it (its as-of
    # rate is the currency's latest one); an earlier one finds nothing.
    last_rate_day = con.execute("SELECT max(rate_date) FROM v_fx WHERE reason IS NULL").fetchone()[0]
    con.execute(f"""
    CREATE TEMP TABLE fx_day AS
    WITH good AS (SELECT currency, rate_date, rate_to_base FROM v_fx WHERE reason IS NULL),
    first AS (SELECT currency, min(rate_date) AS first_day FROM good GROUP BY currency),
    cal AS (
      SELECT f.currency, CAST(g.day AS DATE) AS day
      FROM first f, LATERAL (SELECT unnest(generate_series(f.first_day, (SELECT max(rate_date) FROM good),
                                                          INTERVAL 1 DAY)) AS day) g
    )
    SELECT c.currency, c.day, g.rate_to_base AS rate
    FROM cal c ASOF JOIN good g ON c.currency = g.currency AND c.day >= g.rate_date
    """)
    fx_day_expr = (f"least(s.document_date, DATE '{last_rate_day.isoformat()}')" if last_rate_day
                   else "s.document_date")

    # ---- sales pass 1: duplicate keys --------------------------------------------
    # Exact, in two steps: a cheap aggregate finds a superset of the
    # duplicated keys (candidates), then the exact keys are counted over the
    # candidates' rows only. With integer line numbers the first step groups
    # by document (a few lines each, not 51M keys): a document is a
    # candidate when two of its lines share a number (the bitmask of its
    # line numbers has fewer bits than it has lines) or when a line number
    # does not fit the bitmask (0..63); documents are grouped by a hash of
    # their id, so a hash collision only adds candidates. Otherwise the first
    # step groups by a hash of the whole key.
    if kinds["sales"].get("line_no") == "int":
        con.execute("""
        CREATE TEMP TABLE sales_dup_cand AS
        SELECT hash(document_id) AS h FROM in_sales
        WHERE document_id IS NOT NULL AND line_no IS NOT NULL
        GROUP BY h
        HAVING bool_or(line_no NOT BETWEEN 0 AND 63)
            OR bit_count(bit_or(CASE WHEN line_no BETWEEN 0 AND 63
                                     THEN CAST(1 AS UBIGINT) << CAST(line_no AS INTEGER)
                                     ELSE CAST(0 AS UBIGINT) END)) < count(*)
        """)
        cand_hash = "hash(s.document_id)"
    else:
        con.execute("""
        CREATE TEMP TABLE sales_dup_cand AS
        SELECT hash(document_id, line_no) AS h FROM in_sales
        WHERE document_id IS NOT NULL AND line_no IS NOT NULL
        GROUP BY h HAVING count(*) > 1
        """)
        cand_hash = "hash(s.document_id, s.line_no)"
    con.execute(f"""
    CREATE TEMP TABLE sales_dup AS
    SELECT s.document_id, s.line_no FROM in_sales s SEMI JOIN sales_dup_cand c ON c.h = {cand_hash}
    WHERE s.document_id IS NOT NULL AND s.line_no IS NOT NULL
    GROUP BY ALL HAVING count(*) > 1
    """)

    # ---- sales pass 2: validate every row + billing aggregate + rejects -------------
    def text(col):
        return f"CAST(s.{col} AS VARCHAR)" if kinds["sales"].get(col) == "int" else f"s.{col}"

    season_cols, season_any = [], []
    for i, (sid, start, last) in enumerate(seasons):
        cond = f"s.document_date BETWEEN DATE '{start.isoformat()}' AND DATE '{last.isoformat()}'"
        season_any.append(cond)
        season_cols.append(
            f"sum(CASE WHEN contributes AND {cond.replace('s.', '')} THEN signed END) AS b{i}, "
            f"count(CASE WHEN contributes AND {cond.replace('s.', '')} THEN 1 END) AS n{i}")
    any_season = " OR ".join(season_any) if season_any else "false"
    con.execute(f"""
    CREATE TEMP TABLE sales_agg AS
    WITH checked AS (
      SELECT s.client_id, s.document_date,
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
          WHEN dup.document_id IS NOT NULL THEN 'duplicate key'
          WHEN k.client_id IS NULL THEN 'unknown client_id'
          WHEN s.currency IS NOT NULL AND s.currency <> {base} AND f.rate IS NULL THEN 'no fx rate'
        END AS reason,
        s.document_id, s.line_no,
        -- a good row counts in billing: VALID, client in scope, in a season's window
        (s.status = 'VALID' AND k.in_scope AND ({any_season})) AS relevant,
        CASE WHEN s.document_type = 'CREDIT_NOTE' THEN -s.amount ELSE s.amount END
          * CASE WHEN s.currency IS NULL OR s.currency = {base} THEN 1 ELSE f.rate END AS signed_raw
      FROM in_sales s
      LEFT JOIN sales_dup dup ON dup.document_id = s.document_id AND dup.line_no = s.line_no
      LEFT JOIN clients_dim k ON k.client_id = s.client_id
      LEFT JOIN fx_day f ON f.currency = s.currency AND f.day = {fx_day_expr}
    ),
    kept AS (
      SELECT
        CASE WHEN reason IS NULL THEN client_id END AS client_id,
        reason,
        CASE WHEN reason IS NOT NULL
          THEN concat_ws('|', coalesce({text('document_id').replace('s.', '')}, '<null>'),
                              coalesce({text('line_no').replace('s.', '')}, '<null>')) END AS row_key,
        document_date,
        reason IS NULL AND relevant AS contributes,
        signed_raw AS signed
      FROM checked
      WHERE reason IS NOT NULL OR relevant
    )
    SELECT client_id, reason, row_key, count(*) AS n
      {''.join(', ' + c for c in season_cols)}
    FROM kept
    GROUP BY client_id, reason, row_key
    """)

    # ---- potential ----------------------------------------------------------------
    con.execute("""
    CREATE TEMP TABLE v_cadastre AS
    WITH t AS (SELECT * FROM in_cadastre),
    dup AS (SELECT client_id, parcel_id, season_id, true AS dup FROM t GROUP BY ALL HAVING count(*) > 1)
    SELECT t.*,
      CASE
        WHEN t.client_id IS NULL THEN 'null client_id'
        WHEN t.parcel_id IS NULL THEN 'null parcel_id'
        WHEN t.activity IS NULL THEN 'null activity'
        WHEN t.productive_ha IS NULL THEN 'null productive_ha'
        WHEN t.productive_ha < 0 THEN 'negative productive_ha'
        WHEN d.dup THEN 'duplicate key'
        WHEN k.client_id IS NULL THEN 'unknown client_id'
      END AS reason,
      k.in_scope
    FROM t
    LEFT JOIN dup d ON d.client_id IS NOT DISTINCT FROM t.client_id
      AND d.parcel_id IS NOT DISTINCT FROM t.parcel_id AND d.season_id IS NOT DISTINCT FROM t.season_id
    LEFT JOIN clients_dim k ON k.client_id = t.client_id
    """)
    con.execute("""
    CREATE TEMP TABLE v_rates AS
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
    # Per (season in scope, client, parcel): the season's own row, else the
    # generic (null season) one -- two equi-joins instead of an OR join.
    con.execute("""
    CREATE TEMP TABLE pot AS
    WITH ok AS (SELECT client_id, parcel_id, activity, productive_ha, season_id
                FROM v_cadastre WHERE reason IS NULL AND in_scope),
    own AS (SELECT o.season_id AS season, o.client_id, o.parcel_id, o.activity, o.productive_ha
            FROM ok o JOIN scope_seasons s ON s.season_id = o.season_id),
    generic AS (SELECT s.season_id AS season, o.client_id, o.parcel_id, o.activity, o.productive_ha
                FROM ok o CROSS JOIN scope_seasons s WHERE o.season_id IS NULL),
    chosen AS (
      SELECT * FROM own
      UNION ALL
      SELECT g.* FROM generic g ANTI JOIN own w
        ON w.season = g.season AND w.client_id = g.client_id AND w.parcel_id = g.parcel_id
    ),
    r AS (SELECT season_id, activity, amount_per_ha FROM v_rates WHERE reason IS NULL)
    SELECT c.season AS season_id, c.client_id,
      CAST(coalesce(sum(c.productive_ha * coalesce(own.amount_per_ha, star.amount_per_ha)), 0) AS DECIMAL(38,2)) AS potential
    FROM chosen c
    LEFT JOIN r own ON own.season_id = c.season AND own.activity = c.activity
    LEFT JOIN r star ON star.season_id = c.season AND star.activity = '*'
    GROUP BY c.season, c.client_id
    """)

    # ---- billing: unpivot the per-season columns -------------------------------------
    if seasons:
        parts = [f"SELECT {q(sid)} AS season_id, client_id, CAST(b{i} AS DECIMAL(38,2)) AS billing "
                 f"FROM sales_agg WHERE reason IS NULL AND n{i} > 0"
                 for i, (sid, _, _) in enumerate(seasons)]
        bil_sql = " UNION ALL ".join(parts)
    else:
        bil_sql = "SELECT NULL::VARCHAR AS season_id, NULL::VARCHAR AS client_id, NULL::DECIMAL(38,2) AS billing WHERE false"

    # ---- thresholds (constants unless a median is needed) ------------------------
    default = thresholds.get("default", {}) or {}
    per_season = thresholds.get("season", {}) or {}
    con.execute(f"""
    CREATE TEMP TABLE figures AS
    WITH bil AS ({bil_sql})
    SELECT s.season_id, c.client_id,
      coalesce(p.potential, 0)::DECIMAL(38,2) AS potential, coalesce(b.billing, 0)::DECIMAL(38,2) AS billing,
      p.client_id IS NOT NULL AS has_cadastre, b.client_id IS NOT NULL AS has_sales
    FROM scope_seasons s CROSS JOIN (SELECT client_id FROM clients_dim WHERE in_scope) c
    LEFT JOIN pot p ON p.season_id = s.season_id AND p.client_id = c.client_id
    LEFT JOIN bil b ON b.season_id = s.season_id AND b.client_id = c.client_id
    """)
    thr_rows = []
    for sid, _, _ in seasons:
        over = per_season.get(sid, {}) or {}
        pair = []
        for key in ("high_potential", "high_billing"):
            v = over.get(key, default.get(key))
            pair.append(None if v is None else decimal.Decimal(v))
        if None in pair:
            # lower median of the non-zero potentials: position ceil(n/2), ascending
            m = con.execute("""
              SELECT CASE WHEN count(*) = 0 THEN 0 ELSE
                list_sort(list(potential))[CAST(ceil(count(*) / 2) AS BIGINT)] END
              FROM figures WHERE season_id = ? AND potential <> 0""", [sid]).fetchone()[0]
            pair = [m if v is None else v for v in pair]
        thr_rows.append((sid, pair[0], pair[1]))
    con.execute("CREATE TEMP TABLE thr (season_id VARCHAR, tp DECIMAL(38,2), tb DECIMAL(38,2))")
    if thr_rows:
        con.executemany("INSERT INTO thr VALUES (?, ?, ?)", thr_rows)
    con.execute("""
    CREATE TEMP TABLE segs AS
    SELECT f.*, CASE
        WHEN f.potential >= t.tp AND f.billing >= t.tb THEN 'RETENCION'
        WHEN f.potential >= t.tp THEN 'INVERSION'
        WHEN f.billing >= t.tb THEN 'REVISION'
        ELSE 'NO_INVERSION' END AS segment
    FROM figures f JOIN thr t USING (season_id)
    """)

    # ---- campaigns ------------------------------------------------------------
    con.execute("""
    CREATE TEMP TABLE camp AS
    SELECT k.*,
      nullif(concat_ws('; ',
        CASE WHEN k.season_id IS NULL OR k.season_id NOT IN (SELECT season_id FROM in_seasons WHERE season_id IS NOT NULL)
             THEN 'unknown season' END,
        CASE WHEN k.by_potential AND k.potential_min > k.potential_max THEN 'potential_min > potential_max' END,
        CASE WHEN k.by_billing AND k.billing_min > k.billing_max THEN 'billing_min > billing_max' END), '') AS note
    FROM active_k k
    """)
    con.execute("""
    CREATE TEMP TABLE labels AS
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
    # Each campaign's filter as a plain box [plo, phi] x [blo, bhi]: a range
    # that is not used, or a null bound, is replaced by the extreme of the
    # figures (so it excludes nothing) -- branch-free comparisons in the join.
    memberships = con.sql("""
    WITH ext AS (SELECT min(potential) AS pl, max(potential) AS ph, min(billing) AS bl, max(billing) AS bh FROM segs),
    box AS (
      SELECT c.campaign_id, c.season_id,
        CASE WHEN c.by_potential THEN coalesce(c.potential_min, e.pl) ELSE e.pl END AS plo,
        CASE WHEN c.by_potential THEN coalesce(c.potential_max, e.ph) ELSE e.ph END AS phi,
        CASE WHEN c.by_billing THEN coalesce(c.billing_min, e.bl) ELSE e.bl END AS blo,
        CASE WHEN c.by_billing THEN coalesce(c.billing_max, e.bh) ELSE e.bh END AS bhi
      FROM camp c, ext e WHERE c.note IS NULL
    )
    SELECT c.campaign_id, s.client_id, c.season_id, s.potential, s.billing, s.segment
    FROM box c JOIN segs s ON s.season_id = c.season_id
      AND s.potential >= c.plo AND s.potential <= c.phi AND s.billing >= c.blo AND s.billing <= c.bhi
    ORDER BY c.campaign_id, s.client_id
    """).to_arrow_table()
    con.register("members_arrow", memberships)
    summary = con.sql("""
    WITH tot AS (
      SELECT campaign_id, count(*) AS n, sum(potential) AS p, sum(billing) AS b
      FROM members_arrow GROUP BY campaign_id
    )
    SELECT c.campaign_id, c.description, c.season_id, l.label,
      coalesce(t.n, 0)::BIGINT AS members,
      coalesce(t.p, 0)::DECIMAL(38,2) AS potential_total,
      coalesce(t.b, 0)::DECIMAL(38,2) AS billing_total,
      c.note AS status_note
    FROM camp c JOIN labels l USING (campaign_id)
    LEFT JOIN tot t ON t.campaign_id = c.campaign_id
    ORDER BY c.campaign_id
    """).to_arrow_table()
    segments = con.sql("""
    SELECT season_id, client_id, potential, billing, segment, has_cadastre, has_sales
    FROM segs ORDER BY season_id, client_id
    """).to_arrow_table()
    # One rejects row per rejected input row: a sales (row_key, reason) group
    # of n rows gives n rows.
    rejects = con.sql("""
    SELECT * FROM (
      SELECT 'cadastre' AS table_name,
        concat_ws('|', coalesce(client_id, '<null>'), coalesce(parcel_id, '<null>'), coalesce(season_id, '<null>')) AS row_key,
        reason FROM v_cadastre WHERE reason IS NOT NULL
      UNION ALL SELECT 'sales', row_key, reason FROM sales_agg, range(n) WHERE reason IS NOT NULL
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
    if manager_tables:
        out.update(manager(con))
    return {name: conform(name, table) for name, table in out.items()}


def manager(con) -> dict:
    """campaign_diagnostics, contact_plan and campaign_overlap (docs/SEMANTICS.md),
    from `segs` (the published client_segments rows), `camp` (the campaigns
    active on D with their status note) and `members_arrow` (the memberships)."""
    # Each season's distinct rounded figures, ascending, with the smallest
    # client_id holding each and the running count of clients at or below it.
    for dim in ("potential", "billing"):
        con.execute(f"""
        CREATE TEMP TABLE cum_{dim} AS
        SELECT season_id, v, c, CAST(sum(n) OVER (PARTITION BY season_id ORDER BY v) AS BIGINT) AS le
        FROM (SELECT season_id, {dim} AS v, min(client_id) AS c, count(*) AS n FROM segs GROUP BY ALL)
        """)

    def ranges(dim: str) -> str:
        # {dim}_hi.le: clients at or below the maximum; {dim}_lo.le (and .v,
        # .c, the nearest figure below the minimum): clients below the
        # minimum; {dim}_up.v, .c: the nearest figure above the maximum. An
        # ASOF join finds each in the sorted figures; no match (or a null
        # bound) is no row.
        return f"""
        {dim}_hi AS (SELECT k.campaign_id, p.le FROM camp k
                     ASOF JOIN cum_{dim} p ON p.season_id = k.season_id AND k.{dim}_max >= p.v),
        {dim}_lo AS (SELECT k.campaign_id, p.le, p.v, p.c FROM camp k
                     ASOF JOIN cum_{dim} p ON p.season_id = k.season_id AND k.{dim}_min > p.v),
        {dim}_up AS (SELECT k.campaign_id, p.v, p.c FROM camp k
                     ASOF JOIN cum_{dim} p ON p.season_id = k.season_id AND k.{dim}_max < p.v)"""

    def columns(dim: str) -> str:
        nearest = f"k.by_{dim} AND k.note IS NULL"
        return f"""
          CASE WHEN NOT k.by_{dim} THEN coalesce(s.clients, 0)
               ELSE greatest(0, CASE WHEN k.{dim}_max IS NULL THEN coalesce(s.clients, 0)
                                     ELSE coalesce({dim}_hi.le, 0) END
                                - coalesce({dim}_lo.le, 0)) END AS passing_{dim},
          CASE WHEN {nearest} AND k.{dim}_min IS NOT NULL THEN {dim}_lo.c END AS {dim}_below_min_client,
          CASE WHEN {nearest} AND k.{dim}_min IS NOT NULL THEN {dim}_lo.v END AS {dim}_below_min,
          CASE WHEN {nearest} AND k.{dim}_max IS NOT NULL THEN {dim}_up.c END AS {dim}_above_max_client,
          CASE WHEN {nearest} AND k.{dim}_max IS NOT NULL THEN {dim}_up.v END AS {dim}_above_max"""

    def joins(dim: str) -> str:
        return "".join(f" LEFT JOIN {dim}_{x} ON {dim}_{x}.campaign_id = k.campaign_id" for x in ("hi", "lo", "up"))

    def gaps(dim: str) -> str:
        empty = f"k.by_{dim} AND k.passing_{dim} = 0"
        return f"""
          WHEN {empty} AND k.{dim}_min > k.season_max_{dim} THEN '{dim} range above the season''s maximum'
          WHEN {empty} AND k.{dim}_max < k.season_min_{dim} THEN '{dim} range below the season''s minimum'
          WHEN {empty} THEN 'no client''s {dim} in the range'"""

    diagnostics = con.sql(f"""
    WITH season AS (
      SELECT season_id, count(*) AS clients, count(*) FILTER (WHERE has_cadastre) AS with_cadastre,
        count(*) FILTER (WHERE has_sales) AS with_sales,
        min(potential) AS pmin, max(potential) AS pmax, min(billing) AS bmin, max(billing) AS bmax
      FROM segs GROUP BY season_id
    ),
    tot AS (SELECT campaign_id, count(*) AS members FROM members_arrow GROUP BY campaign_id),
    {ranges("potential")},
    {ranges("billing")},
    counted AS (
      SELECT k.campaign_id, k.season_id, k.note, k.by_potential, k.by_billing,
        k.potential_min, k.potential_max, k.billing_min, k.billing_max,
        coalesce(s.clients, 0) AS clients, coalesce(s.with_cadastre, 0) AS with_cadastre,
        coalesce(s.with_sales, 0) AS with_sales,
        coalesce(t.members, 0) AS members,
        s.pmin AS season_min_potential, s.pmax AS season_max_potential,
        s.bmin AS season_min_billing, s.bmax AS season_max_billing,
        {columns("potential")},
        {columns("billing")}
      FROM camp k LEFT JOIN season s ON s.season_id = k.season_id
      LEFT JOIN tot t ON t.campaign_id = k.campaign_id
      {joins("potential")}{joins("billing")}
    )
    SELECT k.campaign_id, k.season_id, k.clients, k.with_cadastre, k.with_sales,
      k.passing_potential, k.passing_billing, k.members,
      k.season_min_potential, k.season_max_potential, k.season_min_billing, k.season_max_billing,
      k.potential_below_min_client, k.potential_below_min, k.potential_above_max_client, k.potential_above_max,
      k.billing_below_min_client, k.billing_below_min, k.billing_above_max_client, k.billing_above_max,
      CASE
        WHEN k.members > 0 THEN NULL
        WHEN k.note LIKE 'unknown season%' THEN 'unknown season'
        WHEN k.note IS NOT NULL THEN 'invalid range'
        WHEN k.clients = 0 THEN 'no client in scope in the season'
        WHEN k.by_potential AND k.passing_potential = 0 AND k.with_cadastre = 0
          THEN 'no client has cadastre in the season'
        WHEN k.by_billing AND k.passing_billing = 0 AND k.with_sales = 0
          THEN 'the season has no sales up to D'
        {gaps("potential")}
        {gaps("billing")}
        ELSE 'no client in both ranges'
      END AS empty_reason
    FROM counted k
    ORDER BY k.campaign_id
    """).to_arrow_table()
    # Primary campaign: priority ascending, nulls last, then campaign_id
    # (byte-wise: DuckDB's default collation); the struct's order is that.
    contacts = con.sql("""
    WITH firsts AS (
      SELECT m.client_id,
        min(struct_pack(no_priority := k.priority IS NULL, priority := coalesce(k.priority, 0),
                        campaign_id := m.campaign_id, season_id := m.season_id, p := k.priority)) AS f,
        count(*) - 1 AS other_campaigns
      FROM members_arrow m JOIN camp k ON k.campaign_id = m.campaign_id
      GROUP BY m.client_id
    )
    SELECT client_id, f.campaign_id AS primary_campaign_id, f.season_id AS primary_season_id,
      f.p AS primary_priority, CAST(other_campaigns AS BIGINT) AS other_campaigns
    FROM firsts ORDER BY client_id
    """).to_arrow_table()
    # Overlap: the campaigns of one season that a client is in form a set;
    # clients with the same set share every pair of it. So the memberships
    # are grouped by (season, client) into sets of campaign numbers, the sets
    # counted, and each distinct set's pairs weighted by its count (at scale
    # 10: 15.9M client pairs, 2 680 distinct sets), instead of a self-join of
    # the memberships on (season, client). Campaigns are numbered in
    # campaign_id order, so the smaller number is the smaller id.
    overlap = con.sql("""
    WITH numbered AS (
      SELECT campaign_id, season_id, row_number() OVER (ORDER BY campaign_id) AS r
      FROM camp WHERE note IS NULL
    ),
    n AS (SELECT campaign_id, count(*) AS members FROM members_arrow GROUP BY campaign_id),
    sets AS (
      SELECT l, count(*) AS clients FROM (
        SELECT list(k.r ORDER BY k.r) AS l
        FROM members_arrow m JOIN numbered k ON k.campaign_id = m.campaign_id
        GROUP BY k.season_id, m.client_id HAVING count(*) > 1)
      GROUP BY l
    ),
    pairs AS (
      SELECT l[i] AS ra, l[j] AS rb, sum(clients) AS shared
      FROM sets, range(1, len(l) + 1) t1(i), range(1, len(l) + 1) t2(j)
      WHERE i < j GROUP BY ALL
    )
    SELECT ka.season_id, ka.campaign_id, kb.campaign_id AS other_campaign_id,
      na.members, nb.members AS other_members, CAST(p.shared AS BIGINT) AS shared
    FROM pairs p JOIN numbered ka ON ka.r = p.ra JOIN numbered kb ON kb.r = p.rb
    JOIN n na ON na.campaign_id = ka.campaign_id JOIN n nb ON nb.campaign_id = kb.campaign_id
    ORDER BY ka.campaign_id, kb.campaign_id
    """).to_arrow_table()
    return {"campaign_diagnostics": diagnostics, "contact_plan": contacts, "campaign_overlap": overlap}


if __name__ == "__main__":
    # python3 bench/duckdb_fast.py INPUT_ROOT AS_OF [OUTPUT_ROOT]
    # Without OUTPUT_ROOT: as bench/duckdb_job.py (median thresholds, prints
    # the row counts). With it: as bench/bench.py's runner (thresholds 5000 /
    # 5000, writes OUTPUT_ROOT/<table>/snapshot_date=AS_OF/part-00000.parquet
    # with zstd).
    as_of = datetime.date.fromisoformat(sys.argv[2])
    tables = compute(sys.argv[1], as_of, "USD",
                     {"default": {"high_potential": decimal.Decimal("5000"),
                                  "high_billing": decimal.Decimal("5000")}, "season": {}}
                     if len(sys.argv) > 3 else {})
    for n, t in tables.items():
        print(n, t.num_rows)
        if len(sys.argv) > 3:
            folder = Path(sys.argv[3]) / n / f"snapshot_date={as_of.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(t, folder / "part-00000.parquet", compression="zstd")
