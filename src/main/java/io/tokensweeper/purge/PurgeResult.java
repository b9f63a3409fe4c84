package io.tokensweeper.purge;

import java.time.Duration;

/** What one run did; {@code runId} is null only when even the history row could not be written. */
public record PurgeResult(Long runId, JobName job, Trigger trigger, RunStatus status, boolean dryRun,
                          long rowsDeleted, int batches, Duration duration, String nodeId, String error) {

    public boolean succeeded() {
        return status == RunStatus.SUCCEEDED;
    }

    /** The one line a person reads: in the log, from the CLI and from the admin task. */
    public String summary() {
        StringBuilder line = new StringBuilder()
                .append(job.id()).append(": ").append(status.id())
                .append(dryRun ? ", would delete " : ", deleted ").append(rowsDeleted).append(" rows")
                .append(" in ").append(batches).append(" batches, ").append(duration.toMillis()).append(" ms")
                .append(", trigger ").append(trigger.id())
                .append(", node ").append(nodeId)
                .append(", run ").append(runId == null ? "-" : runId);
        if (error != null) {
            line.append(": ").append(error);
        }
        return line.toString();
    }
}
