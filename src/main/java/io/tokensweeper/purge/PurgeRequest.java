package io.tokensweeper.purge;

import java.time.Instant;
import java.util.UUID;

/**
 * One request to purge a target: who asked, for which scheduled time, whether to only count, and for
 * on-demand runs the id under which the asker finds the run in the history.
 */
public record PurgeRequest(RunTrigger trigger, Instant scheduledAt, boolean dryRun, UUID requestId) {
    public PurgeRequest(RunTrigger trigger, Instant scheduledAt, boolean dryRun) {
        this(trigger, scheduledAt, dryRun, null);
    }

    public static PurgeRequest cli(boolean dryRun) {
        return new PurgeRequest(RunTrigger.CLI, null, dryRun, null);
    }

    public static PurgeRequest manual(boolean dryRun, UUID requestId) {
        return new PurgeRequest(RunTrigger.MANUAL, null, dryRun, requestId);
    }
}
