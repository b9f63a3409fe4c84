package io.tokensweeper.purge;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One row of sweeper.cleanup_runs. {@code lapPercent} is null for dry runs and runs that did not start; {@code space}
 * is null until the table's space has been read after the run (and for runs that did not read it), {@code vacuum}
 * null unless the target opts in to a VACUUM after its runs. {@code partitions} is what a run of a partitioned target
 * did in each leaf partition, null for an ordinary table.
 */
public record RunRecord(long id, String job, String trigger, Instant scheduledAt, Instant startedAt,
                        Instant finishedAt, String nodeId, RunStatus status, boolean dryRun, long rowsDeleted,
                        int batches, long rowsSkipped, List<SkipGroup> skipped, Integer lapPercent, String error,
                        UUID requestId, PurgeMethod method, String methodReason, RunSpace space,
                        RunVacuum vacuum, List<PartitionRun> partitions) {

    public RunRecord {
        partitions = partitions == null ? null : List.copyOf(partitions);
    }

    /** A run of an ordinary table. */
    public RunRecord(long id, String job, String trigger, Instant scheduledAt, Instant startedAt, Instant finishedAt,
                     String nodeId, RunStatus status, boolean dryRun, long rowsDeleted, int batches, long rowsSkipped,
                     List<SkipGroup> skipped, Integer lapPercent, String error, UUID requestId, PurgeMethod method,
                     String methodReason, RunSpace space, RunVacuum vacuum) {
        this(id, job, trigger, scheduledAt, startedAt, finishedAt, nodeId, status, dryRun, rowsDeleted, batches,
                rowsSkipped, skipped, lapPercent, error, requestId, method, methodReason, space, vacuum, null);
    }

    /** A run without space or VACUUM recorded. */
    public RunRecord(long id, String job, String trigger, Instant scheduledAt, Instant startedAt, Instant finishedAt,
                     String nodeId, RunStatus status, boolean dryRun, long rowsDeleted, int batches, long rowsSkipped,
                     List<SkipGroup> skipped, Integer lapPercent, String error, UUID requestId, PurgeMethod method,
                     String methodReason) {
        this(id, job, trigger, scheduledAt, startedAt, finishedAt, nodeId, status, dryRun, rowsDeleted, batches,
                rowsSkipped, skipped, lapPercent, error, requestId, method, methodReason, null, null, null);
    }

    /** The same one-line summary a finished run logs, from the history row. */
    public String summary() {
        Duration duration = finishedAt == null ? Duration.ZERO : Duration.between(startedAt, finishedAt);
        return RunSummary.line(job, status, dryRun, rowsDeleted, batches, method, rowsSkipped, skipped,
                duration.toMillis(),
                trigger, nodeId, id, error);
    }
}
