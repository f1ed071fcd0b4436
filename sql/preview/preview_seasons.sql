-- preview_seasons: one row per season of the snapshot's client_segments
-- (the seasons that were in scope). Shaped as stg_seasons for what
-- int_active_campaigns reads of it (season_id), in whose place the preview
-- binds it. Uses no parameters.
SELECT DISTINCT season_id
FROM snap_segments
