-- A whole-partition drop in flight (cleanup.<target>.dropDoomedPartitions): written and committed before
-- ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, deleted in the transaction that drops the partition
-- (or once it is attached again). A row that stays is a drop whose node died half way: the partition may
-- be "detach pending", or a table of its own that no longer belongs to the partitioned table. The next
-- run of the job finishes it before it lists the partitions.
CREATE TABLE partition_drops (
  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job               TEXT        NOT NULL CHECK (job IN ('refresh-tokens', 'password-resets')),
  -- The partitioned table and the partition, by name as the catalog spells them (unquoted).
  parent_schema     TEXT        NOT NULL,
  parent_table      TEXT        NOT NULL,
  partition_schema  TEXT        NOT NULL,
  partition_table   TEXT        NOT NULL,
  -- The partition's OID: a table created later under the same name is another table, never dropped.
  partition_oid     BIGINT      NOT NULL,
  -- pg_get_expr(relpartbound): FOR VALUES FROM (...) TO (...), to attach it again with the same bounds.
  bound             TEXT        NOT NULL,
  -- Why every row of it was doomed, as the run that started the drop judged it.
  reason            TEXT        NOT NULL,
  run_id            BIGINT      NOT NULL,
  started_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX partition_drops_job_idx ON partition_drops (job);
