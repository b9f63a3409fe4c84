package io.tokensweeper.purge;

import java.time.Instant;

/** One request to purge a target: who asked, for which scheduled time, and whether to only count. */
public record PurgeRequest(Trigger trigger, Instant scheduledAt, boolean dryRun) {
    public static PurgeRequest cli(boolean dryRun) {
        return new PurgeRequest(Trigger.CLI, null, dryRun);
    }

    public static PurgeRequest manual(boolean dryRun) {
        return new PurgeRequest(Trigger.MANUAL, null, dryRun);
    }
}
