-- Indexes we recommend on the auth service's tables. Run them yourself (psql -f), outside a
-- transaction: CONCURRENTLY builds without blocking the auth service's writes. token-sweeper never
-- creates them on a DATABASE_URL; it does not own that schema.

-- Without an index on the expiry column every purge batch is a sequential scan of the table (the
-- Ory Hydra janitor incident). Partial indexes stay small: they hold only rows a purge looks for.
CREATE INDEX CONCURRENTLY IF NOT EXISTS refresh_tokens_expires_at_idx
  ON public.refresh_tokens (expires_at);

-- Revoked rows that have not expired yet are found through this one; it holds revoked rows only,
-- which the purge keeps removing, so it stays tiny.
CREATE INDEX CONCURRENTLY IF NOT EXISTS refresh_tokens_revoked_idx
  ON public.refresh_tokens (expires_at) WHERE revoked;

CREATE INDEX CONCURRENTLY IF NOT EXISTS password_resets_expires_at_idx
  ON public.password_resets (expires_at);

CREATE INDEX CONCURRENTLY IF NOT EXISTS password_resets_used_idx
  ON public.password_resets (expires_at) WHERE used;
-- If your "used" column is a timestamp (used_at), use instead:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS password_resets_used_at_idx
--     ON public.password_resets (used_at) WHERE used_at IS NOT NULL;
