package io.tokensweeper.purge;

import java.time.Duration;
import java.util.List;

/**
 * What one run did; {@code runId} is null only when even the history row could not be written. {@code paused} is
 * the time spent pausing between batches (batch.pause, and longer while paced), summed over a run's workers.
 */
public record PurgeResult(Long runId, JobName job, RunTrigger trigger, RunStatus status, boolean dryRun,
                          long rowsDeleted, int batches, long rowsSkipped, List<SkipGroup> skipped, Duration duration,
                          String nodeId, String error, PurgeMethod method, Duration paused) {

    /** A run that never paused. */
    public PurgeResult(Long runId, JobName job, RunTrigger trigger, RunStatus status, boolean dryRun,
                       long rowsDeleted, int batches, long rowsSkipped, List<SkipGroup> skipped, Duration duration,
                       String nodeId, String error, PurgeMethod method) {
        this(runId, job, trigger, status, dryRun, rowsDeleted, batches, rowsSkipped, skipped, duration, nodeId, error,
                method, Duration.ZERO);
    }

    public boolean succeeded() {
        return status == RunStatus.SUCCEEDED;
    }

    /** The one line a person reads: in the log, from the CLI and from the admin task. */
    public String summary() {
        return RunSummary.line(job.id(), status, dryRun, rowsDeleted, batches, method, rowsSkipped, skipped,
                duration.toMillis(), paused.toMillis(), trigger.id(), nodeId, runId, error);
    }
}
