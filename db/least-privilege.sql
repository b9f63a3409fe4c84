-- A database role that can do exactly what token-sweeper needs, and nothing more:
--   * own its schema, sweeper (Quartz tables, migration history, run history);
--   * read and delete rows of the two target tables (it never inserts or updates them);
--   * connect. No CREATE anywhere else, no access to any other table.
-- Run it once, as a superuser or the owner of the auth tables, in the auth service's database:
--   psql "postgresql://admin@db.internal/auth" -f db/least-privilege.sql
--   psql "postgresql://admin@db.internal/auth" -c "ALTER ROLE token_sweeper PASSWORD '...'"
-- then start token-sweeper with DATABASE_USER=token_sweeper. If your tables are named differently,
-- change the GRANT on them below to match cleanup.*.table in config.yml.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'token_sweeper') THEN
    CREATE ROLE token_sweeper LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO token_sweeper', current_database());
END
$$;

CREATE SCHEMA IF NOT EXISTS sweeper AUTHORIZATION token_sweeper;

GRANT USAGE ON SCHEMA public TO token_sweeper;
GRANT SELECT, DELETE ON public.refresh_tokens, public.password_resets TO token_sweeper;
-- A partitioned target is purged partition by partition, each named directly: grant SELECT, DELETE on every
-- leaf partition too (and on each new one; pg_partman: inherit_privileges), e.g.
-- GRANT SELECT, DELETE ON public.refresh_tokens_p2026_11, public.refresh_tokens_default TO token_sweeper;
-- cleanup.<target>.dropDoomedPartitions: true needs ownership of the partitioned table and its partitions,
-- which no GRANT gives: leave it off for a least-privileged user.
-- Only with cleanup.<target>.vacuumAfterPurge: true, and only on PostgreSQL 17 or newer (before 17 only a
-- table's owner may VACUUM it: leave the opt-in off there and let autovacuum do the work):
-- GRANT MAINTAIN ON public.refresh_tokens, public.password_resets TO token_sweeper;
