-- What a run of a partitioned target did in each of its leaf partitions: a JSON array of
-- {"partition", "rowsDeleted", "batches", "rowsSkipped", "method", "note"}, written after each leaf
-- (rows_deleted and the other totals stay exact with every batch, as before). NULL for ordinary tables.
ALTER TABLE cleanup_runs ADD COLUMN partitions JSONB NULL;
