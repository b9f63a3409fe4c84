-- One row per purge run, written when it starts and completed when it ends, so that a run whose
-- node died is visible as 'running' until a peer (or the next start) closes it.
CREATE TABLE cleanup_runs (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job           TEXT        NOT NULL CHECK (job IN ('refresh-tokens', 'password-resets')),
  trigger       TEXT        NOT NULL CHECK (trigger IN ('cron', 'manual', 'recovery', 'cli')),
  scheduled_at  TIMESTAMPTZ NULL,
  started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at   TIMESTAMPTZ NULL,
  node_id       TEXT        NOT NULL,
  status        TEXT        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
  dry_run       BOOLEAN     NOT NULL DEFAULT false,
  rows_deleted  BIGINT      NOT NULL DEFAULT 0,
  batches       INTEGER     NOT NULL DEFAULT 0,
  error         TEXT        NULL
);

-- "Last run of job X" and "recent runs of job X" are the queries every health check and page makes.
CREATE INDEX cleanup_runs_job_started_idx ON cleanup_runs (job, started_at DESC);
CREATE INDEX cleanup_runs_running_idx ON cleanup_runs (node_id) WHERE status = 'running';
