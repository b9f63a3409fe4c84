package io.tokensweeper.api;

import io.tokensweeper.purge.RunRecord;
import java.time.Duration;
import java.time.Instant;

/** A run from the history, as JSON. Times are ISO-8601 instants in UTC. */
public record RunView(long id, String job, String trigger, String scheduledAt, String startedAt, String finishedAt,
                      Long durationMs, String nodeId, String status, boolean dryRun, long rowsDeleted, int batches,
                      String error) {

    public static RunView of(RunRecord run) {
        return new RunView(run.id(), run.job(), run.trigger(), text(run.scheduledAt()), text(run.startedAt()),
                text(run.finishedAt()),
                run.finishedAt() == null ? null : Duration.between(run.startedAt(), run.finishedAt()).toMillis(),
                run.nodeId(), run.status().id(), run.dryRun(), run.rowsDeleted(), run.batches(), run.error());
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
