package io.tokensweeper.bench;

import java.util.List;

/** What one scenario measured. Latencies are of the live workload while the purge ran. */
record ScenarioResult(String name, long rowsDeleted, double seconds, double p50Ms, double p99Ms, double maxMs,
                      double longestPurgeTransactionMs, double longestLockWaitMs, long walBytes, int workloadErrors,
                      List<LiveWorkload.Sample> samples) {

    double rowsPerSecond() {
        return seconds == 0 ? 0 : rowsDeleted / seconds;
    }

    static double percentile(List<LiveWorkload.Sample> samples, double quantile) {
        if (samples.isEmpty()) {
            return 0;
        }
        long[] latencies = samples.stream().mapToLong(LiveWorkload.Sample::latencyMicros).sorted().toArray();
        int index = (int) Math.min(latencies.length - 1, Math.ceil(quantile * latencies.length) - 1);
        return latencies[Math.max(0, index)] / 1000.0;
    }
}
