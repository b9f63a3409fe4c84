package io.tokensweeper.purge;

import java.time.Duration;
import java.util.List;

/** What one run did; {@code runId} is null only when even the history row could not be written. */
public record PurgeResult(Long runId, JobName job, RunTrigger trigger, RunStatus status, boolean dryRun,
                          long rowsDeleted, int batches, long rowsSkipped, List<SkipGroup> skipped, Duration duration,
                          String nodeId, String error, PurgeMethod method) {

    public boolean succeeded() {
        return status == RunStatus.SUCCEEDED;
    }

    /** The one line a person reads: in the log, from the CLI and from the admin task. */
    public String summary() {
        return RunSummary.line(job.id(), status, dryRun, rowsDeleted, batches, method, rowsSkipped, skipped,
                duration.toMillis(), trigger.id(), nodeId, runId, error);
    }
}
