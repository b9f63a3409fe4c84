-- A run's counts and position are written in the same transaction as each batch's DELETE, so that the
-- history is exact after any crash and the next run continues where this one stopped.
-- 'partial': the run went through the whole table but some doomed rows could not be deleted (skipped).
ALTER TABLE cleanup_runs DROP CONSTRAINT cleanup_runs_status_check;
ALTER TABLE cleanup_runs ADD CONSTRAINT cleanup_runs_status_check
  CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'interrupted'));
ALTER TABLE cleanup_runs
  ADD COLUMN rows_skipped  BIGINT   NOT NULL DEFAULT 0,
  -- [{"reason": "...", "rows": 3, "examples": ["id=5", ...]}, ...]
  ADD COLUMN skipped       JSONB    NULL,
  -- Where the next run starts: the heap position (block, line pointer) after this run's last batch.
  ADD COLUMN resume_block  BIGINT   NULL,
  ADD COLUMN resume_offset INTEGER  NULL,
  -- How much of the table this run's lap has walked, in percent.
  ADD COLUMN lap_percent   SMALLINT NULL;
