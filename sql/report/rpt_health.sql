-- rpt_health: one row per season of the snapshot: its clients, those with
-- sales but no cadastre (billing without a potential to compare it with),
-- those with cadastre but no sales, and those billing far above their
-- potential: with cadastre, billing > 0 and billing > 2 × potential (the
-- cadastre is probably out of date). Uses no parameters.
SELECT
    season_id,
    COUNT(*) AS clients,
    SUM(CASE WHEN has_sales AND NOT has_cadastre THEN 1 ELSE 0 END) AS sales_without_cadastre,
    SUM(CASE WHEN has_cadastre AND NOT has_sales THEN 1 ELSE 0 END) AS cadastre_without_sales,
    SUM(CASE WHEN has_cadastre AND billing > 0 AND billing > CAST(potential AS DECIMAL(39, 2)) * 2 THEN 1 ELSE 0 END)
        AS billing_far_above
FROM snap_segments
GROUP BY season_id
