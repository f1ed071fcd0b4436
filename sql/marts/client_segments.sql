-- client_segments: one row per season in scope and client in scope (contract
-- §2, §5): figures, flags and segment. high potential <=> potential >= Tp,
-- high billing <=> billing >= Tb. Uses no parameters.
SELECT
    f.season_id,
    f.client_id,
    f.potential,
    f.billing,
    CASE
        WHEN f.potential >= t.high_potential AND f.billing >= t.high_billing THEN 'RETENCION'
        WHEN f.potential >= t.high_potential THEN 'INVERSION'
        WHEN f.billing >= t.high_billing THEN 'REVISION'
        ELSE 'NO_INVERSION'
    END AS segment,
    f.has_cadastre,
    f.has_sales
FROM int_thresholds AS t
INNER JOIN int_client_figures AS f ON f.season_id = t.season_id
