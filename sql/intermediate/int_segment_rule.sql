-- int_segment_rule: one row per segment (contract §5): the segment of a pair
-- of figures is the row whose two flags equal (potential >= high_potential,
-- billing >= high_billing) under the season's thresholds. The clients'
-- segments (int_client_segments) and the campaigns' labels
-- (int_active_campaigns) both read it: the rule is written here only.
-- Uses no parameters.
SELECT segment, potential_is_high, billing_is_high
FROM (
    VALUES
        ('RETENCION', TRUE, TRUE),
        ('INVERSION', TRUE, FALSE),
        ('REVISION', FALSE, TRUE),
        ('NO_INVERSION', FALSE, FALSE)
) AS rule (segment, potential_is_high, billing_is_high)
