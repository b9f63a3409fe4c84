package io.tokensweeper.purge.pacing;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The validated {@code cleanup.pacing:} settings (see {@link Pacer} for what they steer).
 *
 * @param enabled           false: a fixed {@code batch.pause} between batches, nothing watched
 * @param maxPause          the longest pause the pacer puts between two batches
 * @param maxWait           the longest one wait for lagging replicas lasts before the purge goes on, slowed down;
 *                          zero: never wait, only slow down
 * @param probeInterval     each database probe runs at most this often
 * @param latencyFactor     a batch latency per row this many times its baseline is a sign; zero: not watched
 * @param maxReplicationLag a standby further behind than this is a sign, and the purge waits; zero: not watched
 * @param checkpoints       whether requested checkpoints (WAL past max_wal_size) are a sign
 * @param maxWalPerSecond   the WAL budget: bytes a second the purge's batches may write, on average over each batch
 *                          and the pause after it; zero: no budget
 */
public record PacingSettings(boolean enabled, Duration maxPause, Duration maxWait, Duration probeInterval,
                             double latencyFactor, Duration maxReplicationLag, boolean checkpoints,
                             long maxWalPerSecond) {
    /** The defaults of {@code cleanup.pacing:}: on. */
    public static final PacingSettings DEFAULT = new PacingSettings(true, Duration.ofSeconds(5), Duration.ofMinutes(1),
            Duration.ofMillis(250), 3.0, Duration.ofSeconds(5), true, 0);
    /** Nothing watched: a fixed {@code batch.pause}, as before pacing existed. */
    public static final PacingSettings OFF = new PacingSettings(false, DEFAULT.maxPause, DEFAULT.maxWait,
            DEFAULT.probeInterval, DEFAULT.latencyFactor, DEFAULT.maxReplicationLag, DEFAULT.checkpoints, 0);

    public PacingSettings {
        Objects.requireNonNull(maxPause, "maxPause");
        Objects.requireNonNull(maxWait, "maxWait");
        Objects.requireNonNull(probeInterval, "probeInterval");
        Objects.requireNonNull(maxReplicationLag, "maxReplicationLag");
        if (maxPause.isNegative() || maxWait.isNegative() || maxReplicationLag.isNegative()) {
            throw new IllegalArgumentException("pacing durations must not be negative");
        }
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("pacing probeInterval must be positive, was " + probeInterval);
        }
        if (latencyFactor != 0 && !(latencyFactor > 1)) {
            throw new IllegalArgumentException("pacing latencyFactor must be 0 or above 1, was " + latencyFactor);
        }
        if (maxWalPerSecond < 0) {
            throw new IllegalArgumentException("pacing maxWalPerSecond must not be negative, was " + maxWalPerSecond);
        }
    }

    /** Whether the batches keep to a WAL budget ({@code maxWalPerSecond}). */
    public boolean limitsWal() {
        return enabled && maxWalPerSecond > 0;
    }

    public boolean watchesLatency() {
        return latencyFactor > 0;
    }

    public boolean watchesReplication() {
        return !maxReplicationLag.isZero();
    }

    public PacingSettings withMaxPause(Duration newMaxPause) {
        return new PacingSettings(enabled, newMaxPause, maxWait, probeInterval, latencyFactor, maxReplicationLag,
                checkpoints, maxWalPerSecond);
    }

    public PacingSettings withMaxWait(Duration newMaxWait) {
        return new PacingSettings(enabled, maxPause, newMaxWait, probeInterval, latencyFactor, maxReplicationLag,
                checkpoints, maxWalPerSecond);
    }

    public PacingSettings withLatencyFactor(double newLatencyFactor) {
        return new PacingSettings(enabled, maxPause, maxWait, probeInterval, newLatencyFactor, maxReplicationLag,
                checkpoints, maxWalPerSecond);
    }

    public PacingSettings withMaxReplicationLag(Duration newMaxReplicationLag) {
        return new PacingSettings(enabled, maxPause, maxWait, probeInterval, latencyFactor, newMaxReplicationLag,
                checkpoints, maxWalPerSecond);
    }

    public PacingSettings withMaxWalPerSecond(long newMaxWalPerSecond) {
        return new PacingSettings(enabled, maxPause, maxWait, probeInterval, latencyFactor, maxReplicationLag,
                checkpoints, newMaxWalPerSecond);
    }

    /** One of {@code workers} parallel sessions' settings: each keeps to its share of the WAL budget. */
    public PacingSettings shareOf(int workers) {
        return limitsWal() ? withMaxWalPerSecond(Math.max(1, maxWalPerSecond / workers)) : this;
    }

    /** One line for the start log and the dashboard. */
    public String describe() {
        if (!enabled) {
            return "off: a fixed batch.pause between batches";
        }
        StringBuilder line = new StringBuilder("on: pauses up to ").append(Durations.text(maxPause))
                .append(" when it sees lock waiters");
        if (watchesLatency()) {
            line.append(", batch latency ").append(latencyFactor).append("x its baseline");
        }
        if (checkpoints) {
            line.append(", requested checkpoints");
        }
        if (watchesReplication()) {
            line.append(", standbys more than ").append(Durations.text(maxReplicationLag)).append(" behind");
            line.append(maxWait.isZero() ? "" : " (waits up to " + Durations.text(maxWait) + " for them)");
        }
        if (limitsWal()) {
            line.append("; its batches write at most ").append(sizeText(maxWalPerSecond)).append(" of WAL a second");
        }
        return line.append("; probes at most every ").append(Durations.text(probeInterval)).toString();
    }

    /** A number of bytes as operators read it: "32 MiB", "30.5 MiB", "512 KiB". */
    public static String sizeText(long bytes) {
        double mib = bytes / (1024.0 * 1024);
        if (mib >= 1) {
            return String.format(Locale.ROOT, "%.1f MiB", mib).replace(".0 ", " ");
        }
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0).replace(".0 ", " ");
    }
}
