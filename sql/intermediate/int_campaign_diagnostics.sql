-- int_campaign_diagnostics: one row per campaign active on D (with or
-- without a status_note): why it has the members it has
-- (docs/SEMANTICS.md, "Campaign diagnostics"). For the campaign's season:
-- clients in scope, with cadastre, with sales; clients passing the
-- potential range and the billing range, each on its own (every client when
-- the flag is false); members; the season's smallest and largest figures;
-- on each bound of an applied range (campaigns without a status_note), the
-- nearest client outside it and its figure (the largest figure below the
-- minimum, the smallest above the maximum; ties by client_id); and, with no
-- member, empty_reason: the first that applies of 'unknown season',
-- 'invalid range', 'no client in scope in the season', 'no client has
-- cadastre in the season', 'the season has no sales up to D', 'potential
-- range above the season's maximum', 'potential range below the season's
-- minimum', 'no client's potential in the range', the same three for
-- billing, 'no client in both ranges'. Uses no parameters.
--
-- Cost follows campaigns × buckets + 2 buckets per range: buckets fully in a
-- range are counted by their size, only the (at most two) buckets a bound
-- cuts are read client by client.
WITH campaigns AS (
    SELECT
        campaign_id, season_id, status_note, by_potential, potential_min,
        potential_max, by_billing, billing_min, billing_max
    FROM int_active_campaigns
),

seasons AS (
    SELECT
        season_id,
        COUNT(*) AS clients,
        SUM(CASE WHEN has_cadastre THEN 1 ELSE 0 END) AS with_cadastre,
        SUM(CASE WHEN has_sales THEN 1 ELSE 0 END) AS with_sales,
        MIN(potential) AS min_potential,
        MAX(potential) AS max_potential,
        MIN(billing) AS min_billing,
        MAX(billing) AS max_billing
    FROM int_client_segments
    GROUP BY season_id
),

members AS (
    SELECT campaign_id, COUNT(*) AS members FROM int_memberships GROUP BY campaign_id
),

ranges AS (
    SELECT
        campaign_id, season_id, 'potential' AS dimension,
        by_potential AND status_note IS NULL AS searched,
        potential_min AS low_bound, potential_max AS high_bound
    FROM campaigns
    UNION ALL
    SELECT
        campaign_id, season_id, 'billing' AS dimension,
        by_billing AND status_note IS NULL AS searched,
        billing_min AS low_bound, billing_max AS high_bound
    FROM campaigns
),

overlapping AS (
    SELECT
        r.campaign_id, r.dimension, r.season_id, r.low_bound, r.high_bound,
        b.bucket, b.clients,
        (r.low_bound IS NULL OR b.low >= r.low_bound)
            AND (r.high_bound IS NULL OR b.high <= r.high_bound) AS inside
    FROM ranges AS r
    INNER JOIN int_figure_buckets AS b
        ON b.season_id = r.season_id AND b.dimension = r.dimension
    WHERE (r.low_bound IS NULL OR b.high >= r.low_bound)
        AND (r.high_bound IS NULL OR b.low <= r.high_bound)
),

cut_values AS (
    SELECT o.campaign_id, o.dimension, COUNT(*) AS clients
    FROM overlapping AS o
    INNER JOIN int_figure_values AS v
        ON v.season_id = o.season_id AND v.dimension = o.dimension AND v.bucket = o.bucket
    WHERE NOT o.inside
        AND (o.low_bound IS NULL OR v.value >= o.low_bound)
        AND (o.high_bound IS NULL OR v.value <= o.high_bound)
    GROUP BY o.campaign_id, o.dimension
),

inside_buckets AS (
    SELECT campaign_id, dimension, SUM(clients) AS clients
    FROM overlapping
    WHERE inside
    GROUP BY campaign_id, dimension
),

-- Both dimensions' counts on one row per campaign (a CTE is planned again
-- at each reference: joined once, its cut buckets are read once).
passing AS (
    SELECT
        r.campaign_id,
        MAX(CASE WHEN r.dimension = 'potential'
            THEN COALESCE(i.clients, 0) + COALESCE(c.clients, 0) END) AS potential_clients,
        MAX(CASE WHEN r.dimension = 'billing'
            THEN COALESCE(i.clients, 0) + COALESCE(c.clients, 0) END) AS billing_clients
    FROM ranges AS r
    LEFT JOIN inside_buckets AS i ON i.campaign_id = r.campaign_id AND i.dimension = r.dimension
    LEFT JOIN cut_values AS c ON c.campaign_id = r.campaign_id AND c.dimension = r.dimension
    GROUP BY r.campaign_id
),

-- The nearest figure below a minimum is in the last bucket starting below
-- it; the nearest above a maximum in the first bucket ending above it.
nearest_buckets AS (
    SELECT r.campaign_id, r.dimension, r.season_id, 'below' AS side, r.low_bound AS bound,
        MAX(b.bucket) AS bucket
    FROM ranges AS r
    INNER JOIN int_figure_buckets AS b
        ON b.season_id = r.season_id AND b.dimension = r.dimension
    WHERE r.searched AND r.low_bound IS NOT NULL AND b.low < r.low_bound
    GROUP BY r.campaign_id, r.dimension, r.season_id, r.low_bound
    UNION ALL
    SELECT r.campaign_id, r.dimension, r.season_id, 'above' AS side, r.high_bound AS bound,
        MIN(b.bucket) AS bucket
    FROM ranges AS r
    INNER JOIN int_figure_buckets AS b
        ON b.season_id = r.season_id AND b.dimension = r.dimension
    WHERE r.searched AND r.high_bound IS NOT NULL AND b.high > r.high_bound
    GROUP BY r.campaign_id, r.dimension, r.season_id, r.high_bound
),

nearest_values AS (
    SELECT
        n.campaign_id, n.dimension, n.season_id, n.side,
        CASE WHEN n.side = 'below' THEN MAX(v.value) ELSE MIN(v.value) END AS value
    FROM nearest_buckets AS n
    INNER JOIN int_figure_values AS v
        ON v.season_id = n.season_id AND v.dimension = n.dimension AND v.bucket = n.bucket
    WHERE (n.side = 'below' AND v.value < n.bound) OR (n.side = 'above' AND v.value > n.bound)
    GROUP BY n.campaign_id, n.dimension, n.season_id, n.side
),

nearest AS (
    SELECT n.campaign_id, n.dimension, n.side, n.value, MIN(v.client_id) AS client_id
    FROM nearest_values AS n
    INNER JOIN int_figure_values AS v
        ON v.season_id = n.season_id AND v.dimension = n.dimension AND v.value = n.value
    GROUP BY n.campaign_id, n.dimension, n.side, n.value
),

-- The four nearest clients on one row per campaign (joined once, see
-- `passing`): at most one per campaign, dimension and side.
nearest_by_campaign AS (
    SELECT
        campaign_id,
        MAX(CASE WHEN dimension = 'potential' AND side = 'below' THEN client_id END)
            AS potential_below_min_client,
        MAX(CASE WHEN dimension = 'potential' AND side = 'below' THEN value END)
            AS potential_below_min,
        MAX(CASE WHEN dimension = 'potential' AND side = 'above' THEN client_id END)
            AS potential_above_max_client,
        MAX(CASE WHEN dimension = 'potential' AND side = 'above' THEN value END)
            AS potential_above_max,
        MAX(CASE WHEN dimension = 'billing' AND side = 'below' THEN client_id END)
            AS billing_below_min_client,
        MAX(CASE WHEN dimension = 'billing' AND side = 'below' THEN value END)
            AS billing_below_min,
        MAX(CASE WHEN dimension = 'billing' AND side = 'above' THEN client_id END)
            AS billing_above_max_client,
        MAX(CASE WHEN dimension = 'billing' AND side = 'above' THEN value END)
            AS billing_above_max
    FROM nearest
    GROUP BY campaign_id
),

diagnosed AS (
    SELECT
        k.campaign_id,
        k.season_id,
        k.status_note,
        k.by_potential,
        k.potential_min,
        k.potential_max,
        k.by_billing,
        k.billing_min,
        k.billing_max,
        COALESCE(s.clients, 0) AS clients,
        COALESCE(s.with_cadastre, 0) AS with_cadastre,
        COALESCE(s.with_sales, 0) AS with_sales,
        CASE WHEN k.by_potential THEN COALESCE(p.potential_clients, 0) ELSE COALESCE(s.clients, 0) END
            AS passing_potential,
        CASE WHEN k.by_billing THEN COALESCE(p.billing_clients, 0) ELSE COALESCE(s.clients, 0) END
            AS passing_billing,
        COALESCE(m.members, 0) AS members,
        s.min_potential,
        s.max_potential,
        s.min_billing,
        s.max_billing
    FROM campaigns AS k
    LEFT JOIN seasons AS s ON s.season_id = k.season_id
    LEFT JOIN members AS m ON m.campaign_id = k.campaign_id
    LEFT JOIN passing AS p ON p.campaign_id = k.campaign_id
)

SELECT
    d.campaign_id,
    d.season_id,
    d.clients,
    d.with_cadastre,
    d.with_sales,
    d.passing_potential,
    d.passing_billing,
    d.members,
    d.min_potential AS season_min_potential,
    d.max_potential AS season_max_potential,
    d.min_billing AS season_min_billing,
    d.max_billing AS season_max_billing,
    n.potential_below_min_client,
    n.potential_below_min,
    n.potential_above_max_client,
    n.potential_above_max,
    n.billing_below_min_client,
    n.billing_below_min,
    n.billing_above_max_client,
    n.billing_above_max,
    CASE
        WHEN d.members > 0 THEN NULL
        WHEN starts_with(d.status_note, 'unknown season') THEN 'unknown season'
        WHEN d.status_note IS NOT NULL THEN 'invalid range'
        WHEN d.clients = 0 THEN 'no client in scope in the season'
        WHEN d.by_potential AND d.passing_potential = 0 AND d.with_cadastre = 0
            THEN 'no client has cadastre in the season'
        WHEN d.by_billing AND d.passing_billing = 0 AND d.with_sales = 0
            THEN 'the season has no sales up to D'
        WHEN d.by_potential AND d.passing_potential = 0 AND d.potential_min > d.max_potential
            THEN 'potential range above the season''s maximum'
        WHEN d.by_potential AND d.passing_potential = 0 AND d.potential_max < d.min_potential
            THEN 'potential range below the season''s minimum'
        WHEN d.by_potential AND d.passing_potential = 0 THEN 'no client''s potential in the range'
        WHEN d.by_billing AND d.passing_billing = 0 AND d.billing_min > d.max_billing
            THEN 'billing range above the season''s maximum'
        WHEN d.by_billing AND d.passing_billing = 0 AND d.billing_max < d.min_billing
            THEN 'billing range below the season''s minimum'
        WHEN d.by_billing AND d.passing_billing = 0 THEN 'no client''s billing in the range'
        ELSE 'no client in both ranges'
    END AS empty_reason
FROM diagnosed AS d
LEFT JOIN nearest_by_campaign AS n ON n.campaign_id = d.campaign_id
