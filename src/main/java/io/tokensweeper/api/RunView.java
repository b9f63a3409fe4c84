package io.tokensweeper.api;

import io.tokensweeper.purge.RunRecord;
import io.tokensweeper.purge.SkipGroup;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A run from the history, as JSON. Times are ISO-8601 instants in UTC. {@code rowsSkipped} counts the doomed
 * rows the run could not delete, {@code skipped} says why, with example keys; {@code lapPercent} how much of
 * the table the run walked (heap walk); {@code method} how it found its rows ({@code heap} or {@code index}) and
 * {@code methodReason} why.
 */
public record RunView(long id, String job, String trigger, String scheduledAt, String startedAt, String finishedAt,
                      Long durationMs, String nodeId, String status, boolean dryRun, long rowsDeleted, int batches,
                      long rowsSkipped, List<SkipGroup> skipped, Integer lapPercent, String error, String method,
                      String methodReason) {

    public static RunView of(RunRecord run) {
        return new RunView(run.id(), run.job(), run.trigger(), text(run.scheduledAt()), text(run.startedAt()),
                text(run.finishedAt()),
                run.finishedAt() == null ? null : Duration.between(run.startedAt(), run.finishedAt()).toMillis(),
                run.nodeId(), run.status().id(), run.dryRun(), run.rowsDeleted(), run.batches(), run.rowsSkipped(),
                run.skipped(), run.lapPercent(), run.error(), run.method() == null ? null : run.method().id(),
                run.methodReason());
    }

    static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
