-- What a run leaves behind in its table's storage, read from the catalog and pg_stat_user_tables right after
-- the run (all NULL for runs that did not read it: failed runs, runs recorded before this version), and the
-- opt-in VACUUM that may follow it (NULL when not opted in, and for dry runs). Nullable, no defaults: a short
-- ALTER TABLE of the history table only.
ALTER TABLE cleanup_runs
  -- pg_total_relation_size (heap, indexes, TOAST, free space and visibility maps) and pg_relation_size (heap).
  ADD COLUMN table_bytes              BIGINT      NULL,
  ADD COLUMN heap_bytes               BIGINT      NULL,
  -- pg_stat_user_tables.n_live_tup and n_dead_tup.
  ADD COLUMN live_tuples              BIGINT      NULL,
  ADD COLUMN dead_tuples              BIGINT      NULL,
  -- The dead tuples above which autovacuum vacuums this table: autovacuum_vacuum_threshold
  -- + autovacuum_vacuum_scale_factor * reltuples, with the table's own reloptions.
  ADD COLUMN autovacuum_threshold     BIGINT      NULL,
  ADD COLUMN last_autovacuum          TIMESTAMPTZ NULL,
  ADD COLUMN last_vacuum              TIMESTAMPTZ NULL,
  -- Why autovacuum looks far behind on this table; NULL when it does not.
  ADD COLUMN autovacuum_warning       TEXT        NULL,
  -- The opt-in VACUUM (ANALYZE) after the run (cleanup.<target>.vacuumAfterPurge): true when it completed,
  -- false when it was not due or did not complete (vacuum_note says why), NULL when not opted in.
  ADD COLUMN vacuum_ran               BOOLEAN     NULL,
  ADD COLUMN vacuum_ms                BIGINT      NULL,
  ADD COLUMN vacuum_note              TEXT        NULL,
  ADD COLUMN dead_tuples_after_vacuum BIGINT      NULL;
