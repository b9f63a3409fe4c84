package io.tokensweeper.purge.pacing;

import java.time.Duration;

/**
 * The WAL budget's accounting, from WAL positions and times alone (the {@link Pacer} reads them): the run's WAL since
 * the last pause ended, less what other sessions wrote meanwhile, over the time since then, must average at most
 * {@code bytesPerSecond}; the pause after a batch makes up the difference. What other sessions write is measured
 * during the pauses, when the run writes nothing: that rate is taken off the run's windows (a bulk load elsewhere
 * must not stall the purge, and a parallel worker must not count the others' batches as its own). A long pause is
 * read again part way ({@link #pauseLeft}), so a bulk load that began during a batch stalls it for one step at most.
 */
final class WalBudget {
    /** Pauses shorter than this say too little about the other sessions' rate: the last reading stays. */
    static final long MIN_SAMPLE_NANOS = Duration.ofMillis(10).toNanos();

    private final long bytesPerSecond;
    /** Where the current window began: the run's start, or the end of the last pause; -1 before the first reading. */
    private long windowLsn = -1;
    private long windowNanos;
    /** Where the last pause began; -1 when none did. */
    private long pauseLsn = -1;
    private long pauseNanos;
    /** WAL bytes a nanosecond the other sessions wrote during the last pause long enough to tell. */
    private double backgroundPerNano;

    WalBudget(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("a WAL budget must be positive, was " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
    }

    boolean begun() {
        return windowLsn >= 0;
    }

    /** Before the run's first batch: the first window begins. */
    void begin(long lsn, long nanos) {
        windowLsn = lsn;
        windowNanos = nanos;
    }

    /** The run's own WAL in the window that ends now (an estimate: the window's WAL less the others' rate). */
    long ownBytes(long lsn, long nanos) {
        return (long) Math.max(0, (lsn - windowLsn) - backgroundPerNano * Math.max(0, nanos - windowNanos));
    }

    /**
     * After a batch, at {@code lsn} and {@code nanos}: the pause (nanos) the window needs to average the budget, 0 when
     * it does already. The pause begins now.
     */
    long pauseAfter(long lsn, long nanos) {
        pauseLsn = lsn;
        pauseNanos = nanos;
        if (!begun()) {
            return 0;
        }
        double atRate = ownBytes(lsn, nanos) * 1e9 / bytesPerSecond;
        return Math.max(0, (long) Math.ceil(atRate) - Math.max(0, nanos - windowNanos));
    }

    /**
     * During the pause that began at the last {@link #pauseAfter}, at {@code lsn} and {@code nanos}: how much of it
     * is still needed (nanos), the others' rate read from the pause so far. WAL that another session began to write
     * during the batch (a bulk load) was counted as the run's when the pause was decided; once the pause shows that
     * session's rate, it is taken off and the pause ends as soon as the run's own WAL is paid for.
     */
    long pauseLeft(long lsn, long nanos) {
        if (!begun() || pauseLsn < 0) {
            return 0;
        }
        long paused = Math.max(0, nanos - pauseNanos);
        if (paused >= MIN_SAMPLE_NANOS) {
            backgroundPerNano = Math.max(0, lsn - pauseLsn) / (double) paused;
        }
        double atRate = ownBytes(pauseLsn, pauseNanos) * 1e9 / bytesPerSecond;
        long needed = (long) Math.ceil(atRate) - Math.max(0, pauseNanos - windowNanos);
        return Math.max(0, needed - paused);
    }

    /** The pause ended at {@code lsn} and {@code nanos}: the others' rate is read from it, and the next window begins. */
    void pauseEnded(long lsn, long nanos) {
        if (pauseLsn >= 0 && nanos - pauseNanos >= MIN_SAMPLE_NANOS) {
            backgroundPerNano = Math.max(0, lsn - pauseLsn) / (double) (nanos - pauseNanos);
        }
        pauseLsn = -1;
        begin(lsn, nanos);
    }
}
