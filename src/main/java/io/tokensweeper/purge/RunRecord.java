package io.tokensweeper.purge;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One row of sweeper.cleanup_runs. {@code lapPercent} is null for dry runs and runs that did not start. */
public record RunRecord(long id, String job, String trigger, Instant scheduledAt, Instant startedAt,
                        Instant finishedAt, String nodeId, RunStatus status, boolean dryRun, long rowsDeleted,
                        int batches, long rowsSkipped, List<SkipGroup> skipped, Integer lapPercent, String error,
                        UUID requestId, PurgeMethod method, String methodReason) {

    /** The same one-line summary a finished run logs, from the history row. */
    public String summary() {
        Duration duration = finishedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
        return RunSummary.line(job, status, dryRun, rowsDeleted, batches, method, rowsSkipped, skipped,
                duration.toMillis(),
                trigger, nodeId, id, error);
    }
}
