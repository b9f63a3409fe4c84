-- How a run found its doomed rows ('heap': every block of the table; 'index': keyset batches over the
-- indexes of the expiry and marker columns), and why it chose that way, as the node logged it.
ALTER TABLE cleanup_runs
  ADD COLUMN method        TEXT NULL CHECK (method IN ('heap', 'index')),
  ADD COLUMN method_reason TEXT NULL;
