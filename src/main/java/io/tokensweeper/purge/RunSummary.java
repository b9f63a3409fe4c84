package io.tokensweeper.purge;

/** The one line a person reads about a run: in the log, from the CLI, from the admin task. */
final class RunSummary {
    private RunSummary() {
    }

    static String line(String job, RunStatus status, boolean dryRun, long rows, int batches, long durationMs,
                       String trigger, String nodeId, Long runId, String error) {
        StringBuilder line = new StringBuilder()
                .append(job).append(": ").append(status.id())
                .append(dryRun ? ", would delete " : ", deleted ").append(rows).append(" rows")
                .append(" in ").append(batches).append(" batches, ").append(durationMs).append(" ms")
                .append(", trigger ").append(trigger)
                .append(", node ").append(nodeId)
                .append(", run ").append(runId == null ? "-" : runId);
        if (error != null) {
            line.append(": ").append(error);
        }
        return line.toString();
    }
}
