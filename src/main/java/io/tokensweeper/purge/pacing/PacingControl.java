package io.tokensweeper.purge.pacing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The pacer's decisions from observations alone: no clock (times are passed in), no database, no sleeping.
 * The control law is described on {@link Pacer}.
 */
final class PacingControl {
    /** The smallest extra pause: below it the pause is back to batch.pause. */
    static final long FLOOR_NANOS = Duration.ofMillis(10).toNanos();
    /** Batches per density class whose median latency per row is that class's baseline. */
    static final int BASELINE_BATCHES = 5;
    /** Weight of the newest batch in the smoothed latency ratio: one slow batch alone is no sign. */
    static final double SMOOTHING = 0.3;
    /** How long a requested checkpoint counts as pressure: the checkpoint it started is being written meanwhile. */
    static final long CHECKPOINT_HOLD_NANOS = Duration.ofSeconds(30).toNanos();

    /** Whether this decision started or ended a slowdown. */
    enum Change { NONE, SLOWED, RECOVERED }

    /** What to do before the next batch. {@code signs} says why the pause grew, empty when healthy. */
    record Decision(Duration pause, boolean waitForReplicas, List<String> signs, Change change) {
    }

    /** How a wait for lagging replicas goes on. */
    enum Wait { KEEP_WAITING, CAUGHT_UP, GAVE_UP }

    /**
     * What the database showed around one batch.
     *
     * @param lockWaiters          sessions waiting on the batch's locks before its commit; -1: not looked at
     * @param replicationLag       the furthest standby's lag; zero: none, or caught up; null: not looked at
     * @param checkpointsRequested the server's requested-checkpoint counter; -1: not looked at
     */
    record Health(int lockWaiters, Duration replicationLag, long checkpointsRequested) {
        static final Health UNKNOWN = new Health(-1, null, -1);
    }

    private final PacingSettings settings;
    private final long minPauseNanos;
    private final long maxExtraNanos;
    private final long minRowsJudged;
    private final Map<Integer, Baseline> baselines = new HashMap<>();
    private final Set<String> episodeSigns = new LinkedHashSet<>();

    private double latencyRatio = 1.0;
    private long extraNanos;
    private boolean slowed;
    private Duration lastLag;
    private long checkpointsSeen = -1;
    private long checkpointRequestedAt;
    private boolean checkpointPressure;
    /** A wait for replicas ran out (maxWait): no more waits until a reading shows them under the limit again. */
    private boolean lagWaitSpent;

    /**
     * @param minimumPause batch.pause: the pause when healthy, and the floor of every pause
     * @param batchSize    batch.size: batches with fewer than a twentieth of it (and 10) rows are too small to time
     */
    PacingControl(PacingSettings settings, Duration minimumPause, int batchSize) {
        this.settings = settings;
        this.minPauseNanos = minimumPause.toNanos();
        this.maxExtraNanos = Math.max(0, settings.maxPause().toNanos() - minPauseNanos);
        this.minRowsJudged = Math.max(10, batchSize / 20);
    }

    /**
     * After a committed batch that took {@code tookNanos} to delete {@code rows} rows over {@code blocks} heap blocks
     * (0 when unknown, as for a walk that is not over the heap).
     */
    Decision afterBatch(long tookNanos, long rows, long blocks, Health health, long nowNanos) {
        List<String> signs = new ArrayList<>();
        String latency = latency(tookNanos, rows, blocks);
        if (latency != null) {
            sign(signs, "batch latency", latency);
        }
        if (health.lockWaiters() > 0) {
            sign(signs, "lock waiters", health.lockWaiters() + (health.lockWaiters() == 1 ? " session" : " sessions")
                    + " waiting on the purge's locks");
        }
        if (health.replicationLag() != null) {
            lastLag = health.replicationLag();
            if (!lagging(lastLag)) {
                lagWaitSpent = false;
            }
        }
        boolean lagging = lagging(lastLag);
        if (lagging) {
            sign(signs, "replication lag", "replication lag " + Durations.text(lastLag) + ", over "
                    + Durations.text(settings.maxReplicationLag()));
        }
        if (checkpointPressure(health.checkpointsRequested(), nowNanos)) {
            sign(signs, "requested checkpoints", "a checkpoint was requested in the last "
                    + Durations.text(Duration.ofNanos(CHECKPOINT_HOLD_NANOS)) + " (WAL past max_wal_size, or a CHECKPOINT)");
        }

        Change change = Change.NONE;
        if (!signs.isEmpty()) {
            // The first extra pause is as long as the batch itself (the purge then works half the time), doubled
            // with every further batch that shows a sign.
            extraNanos = Math.min(maxExtraNanos, Math.max(2 * extraNanos, Math.max(FLOOR_NANOS, tookNanos)));
            if (!slowed) {
                slowed = true;
                change = Change.SLOWED;
            }
        } else {
            extraNanos = extraNanos * 3 / 4;
            if (extraNanos < FLOOR_NANOS) {
                extraNanos = 0;
            }
            if (slowed && extraNanos == 0) {
                slowed = false;
                change = Change.RECOVERED;
            }
        }
        boolean waitForReplicas = lagging && !lagWaitSpent && !settings.maxWait().isZero();
        return new Decision(Duration.ofNanos(minPauseNanos + extraNanos), waitForReplicas, List.copyOf(signs), change);
    }

    /** During a wait for lagging replicas: a fresh reading (null: it could not be read) and how long it has waited. */
    Wait whileWaiting(Duration replicationLag, Duration waited) {
        if (replicationLag == null) {
            return Wait.CAUGHT_UP;
        }
        lastLag = replicationLag;
        if (!lagging(replicationLag)) {
            lagWaitSpent = false;
            return Wait.CAUGHT_UP;
        }
        if (waited.compareTo(settings.maxWait()) >= 0) {
            lagWaitSpent = true;
            return Wait.GAVE_UP;
        }
        return Wait.KEEP_WAITING;
    }

    /** The kinds of sign seen since the last recovery (for its log line), then forgotten. */
    List<String> takeEpisodeSigns() {
        List<String> kinds = List.copyOf(episodeSigns);
        episodeSigns.clear();
        return kinds;
    }

    boolean slowed() {
        return slowed;
    }

    Duration lastReplicationLag() {
        return lastLag;
    }

    /**
     * The lag can no longer be read (its probe failed): the last reading is not kept as a standing sign for the rest
     * of the run.
     */
    void forgetLag() {
        lastLag = null;
    }

    private boolean lagging(Duration lag) {
        return settings.watchesReplication() && lag != null && lag.compareTo(settings.maxReplicationLag()) > 0;
    }

    /**
     * The batch's latency per row against the baseline of batches of its density (rows per block, in classes of
     * a factor 2): a sparse stretch of the heap costs more per deleted row than a dense one without anything being
     * wrong. Each class learns its baseline from its first batches; the ratio is smoothed across classes.
     */
    private String latency(long tookNanos, long rows, long blocks) {
        if (!settings.watchesLatency() || rows < minRowsJudged || tookNanos <= 0) {
            return null;
        }
        double perRow = (double) tookNanos / rows;
        int densityClass = blocks <= 0 ? Integer.MIN_VALUE
                : (int) Math.max(-16, Math.min(16, Math.floor(Math.log((double) rows / blocks) / Math.log(2))));
        Baseline baseline = baselines.computeIfAbsent(densityClass, c -> new Baseline());
        if (!baseline.learned()) {
            baseline.add(perRow);
            return null;
        }
        latencyRatio = SMOOTHING * (perRow / baseline.perRow()) + (1 - SMOOTHING) * latencyRatio;
        return latencyRatio >= settings.latencyFactor()
                ? String.format(Locale.ROOT, "batch latency %.1fx baseline", latencyRatio) : null;
    }

    private boolean checkpointPressure(long requested, long nowNanos) {
        if (settings.checkpoints() && requested >= 0) {
            if (checkpointsSeen >= 0 && requested > checkpointsSeen) {
                checkpointPressure = true;
                checkpointRequestedAt = nowNanos;
            }
            checkpointsSeen = requested;
        }
        if (checkpointPressure && nowNanos - checkpointRequestedAt >= CHECKPOINT_HOLD_NANOS) {
            checkpointPressure = false;
        }
        return checkpointPressure;
    }

    private void sign(List<String> signs, String kind, String text) {
        signs.add(text);
        episodeSigns.add(kind);
    }

    /** The median latency per row of a density class's first batches. */
    private static final class Baseline {
        private final double[] samples = new double[BASELINE_BATCHES];
        private int count;
        private double perRow;

        boolean learned() {
            return count == BASELINE_BATCHES;
        }

        void add(double sample) {
            samples[count++] = sample;
            if (learned()) {
                double[] sorted = samples.clone();
                Arrays.sort(sorted);
                perRow = sorted[BASELINE_BATCHES / 2];
            }
        }

        double perRow() {
            return perRow;
        }
    }
}
