package io.tokensweeper.cli;

import io.tokensweeper.purge.PurgeResult;
import io.tokensweeper.purge.SkipGroup;
import java.util.List;

/**
 * One job's result as {@code cleanup --json} prints it: the fields of {@code /runs} and of the log's run
 * summary, under the names the JSON log layout gives them. Every field is always present; {@code runId} and
 * {@code error} may be null.
 */
record JobReport(String job, Long runId, String status, boolean dryRun, long rowsDeleted, int batches,
                 long rowsSkipped, List<SkipGroup> skipped, long durationMs, String trigger, String node,
                 String error) {

    static JobReport of(PurgeResult result) {
        return new JobReport(result.job().id(), result.runId(), result.status().id(), result.dryRun(),
                result.rowsDeleted(), result.batches(), result.rowsSkipped(), result.skipped(),
                result.duration().toMillis(), result.trigger().id(), result.nodeId(), result.error());
    }
}
