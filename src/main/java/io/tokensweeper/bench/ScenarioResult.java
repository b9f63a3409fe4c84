package io.tokensweeper.bench;

import java.util.List;

/**
 * What one scenario measured. {@code how} says how the purge found its rows; {@code pages} are the purge's
 * own accesses to the table (the live workload's subtracted); latencies are of the live workload while the
 * purge ran ({@code workload} false: there was none), and {@code samples} are all of its statements, at
 * milliseconds since it started ({@code purgeStartMs}: when the purge started, on that clock). {@code deadTuples}
 * and {@code partitions}: the table's dead tuples (n_dead_tup, summed over its partitions) and its leaf partitions
 * (1 for a plain table) after the purge; -1 where not measured.
 */
record ScenarioResult(String name, String how, long rowsDeleted, double seconds, PageCount pages, boolean workload,
                      double p50Ms, double p99Ms, double maxMs, double longestPurgeTransactionMs,
                      double longestLockWaitMs, long walBytes, int workloadErrors, List<LiveWorkload.Sample> samples,
                      long purgeStartMs, long deadTuples, long partitions) {

    /** Without the table's state after the purge. */
    ScenarioResult(String name, String how, long rowsDeleted, double seconds, PageCount pages, boolean workload,
                   double p50Ms, double p99Ms, double maxMs, double longestPurgeTransactionMs,
                   double longestLockWaitMs, long walBytes, int workloadErrors, List<LiveWorkload.Sample> samples,
                   long purgeStartMs) {
        this(name, how, rowsDeleted, seconds, pages, workload, p50Ms, p99Ms, maxMs, longestPurgeTransactionMs,
                longestLockWaitMs, walBytes, workloadErrors, samples, purgeStartMs, -1, -1);
    }

    double rowsPerSecond() {
        return seconds == 0 ? 0 : rowsDeleted / seconds;
    }

    /** Page accesses per deleted row; 0 when nothing was deleted. */
    double pagesPerRow() {
        return rowsDeleted == 0 ? 0 : (double) pages.total() / rowsDeleted;
    }

    /** NaN when there are no samples: no live statement ran while the purge did. */
    static double percentile(List<LiveWorkload.Sample> samples, double quantile) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        long[] latencies = samples.stream().mapToLong(LiveWorkload.Sample::latencyMicros).sorted().toArray();
        int index = (int) Math.min(latencies.length - 1, Math.ceil(quantile * latencies.length) - 1);
        return latencies[Math.max(0, index)] / 1000.0;
    }
}
