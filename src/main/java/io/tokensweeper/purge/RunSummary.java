package io.tokensweeper.purge;

import java.util.List;

/** The one line a person reads about a run: in the log, from the CLI, from the admin task. */
final class RunSummary {
    private RunSummary() {
    }

    static String line(String job, RunStatus status, boolean dryRun, long rows, int batches, PurgeMethod method,
                       long skipped,
                       List<SkipGroup> skipGroups, long durationMs, String trigger, String nodeId, Long runId,
                       String error) {
        return line(job, status, dryRun, rows, batches, method, skipped, skipGroups, durationMs, 0, trigger, nodeId,
                runId, error);
    }

    /** {@code pausedMs}, when above zero, follows the duration: "4120 ms (paused 1830 ms)". */
    static String line(String job, RunStatus status, boolean dryRun, long rows, int batches, PurgeMethod method,
                       long skipped, List<SkipGroup> skipGroups, long durationMs, long pausedMs, String trigger,
                       String nodeId, Long runId, String error) {
        StringBuilder line = new StringBuilder().append(job).append(": ").append(status.id());
        if (dryRun) {
            line.append(", would delete ").append(rows).append(" rows");
        } else {
            line.append(", deleted ").append(rows).append(" rows in ").append(batches).append(" batches");
            if (method != null) {
                line.append(" (").append(method.id()).append(" walk)");
            }
        }
        if (skipped > 0) {
            line.append(", skipped ").append(skipped).append(" doomed rows it could not delete (");
            for (int i = 0; i < skipGroups.size(); i++) {
                SkipGroup group = skipGroups.get(i);
                line.append(i == 0 ? "" : "; ").append(group.rows()).append(": ").append(group.reason());
                if (!group.examples().isEmpty()) {
                    line.append(", e.g. ").append(String.join(" / ", group.examples()));
                }
            }
            line.append(')');
        }
        line.append(", ").append(durationMs).append(" ms");
        if (pausedMs > 0) {
            line.append(" (paused ").append(pausedMs).append(" ms)");
        }
        line.append(", trigger ").append(trigger)
                .append(", node ").append(nodeId)
                .append(", run ").append(runId == null ? "-" : runId);
        if (error != null) {
            line.append(": ").append(error);
        }
        return line.toString();
    }
}
