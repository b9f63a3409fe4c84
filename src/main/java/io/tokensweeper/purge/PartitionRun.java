package io.tokensweeper.purge;

/**
 * What a run of a partitioned target did in one leaf partition: {@code rowsDeleted} (for a dry run, the rows that
 * would go), the batches, the doomed rows it could not delete, how it found its rows ({@code heap} or {@code index};
 * null for a dry run or a leaf it did not walk), whether it was dropped whole ({@code dropped}; in a dry run: would
 * be) and what else happened to it ({@code note}: skipped, dropped and why, re-attached, stopped).
 */
public record PartitionRun(String partition, long rowsDeleted, int batches, long rowsSkipped, String method,
                           boolean dropped, String note) {
}
