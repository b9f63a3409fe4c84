-- An on-demand run is triggered on one node and may execute on another; the request id lets the node
-- that answered the HTTP request find the run it asked for.
ALTER TABLE cleanup_runs ADD COLUMN request_id UUID NULL;
CREATE UNIQUE INDEX cleanup_runs_request_id_idx ON cleanup_runs (request_id) WHERE request_id IS NOT NULL;
