package io.tokensweeper.purge;

import java.time.Instant;

/** One row of sweeper.cleanup_runs. */
public record RunRecord(long id, String job, String trigger, Instant scheduledAt, Instant startedAt,
                        Instant finishedAt, String nodeId, RunStatus status, boolean dryRun, long rowsDeleted,
                        int batches, String error) {
}
