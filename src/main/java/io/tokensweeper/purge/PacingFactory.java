package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.DataSizeUnit;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDataSize;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import io.tokensweeper.purge.pacing.PacingSettings;
import jakarta.validation.constraints.NotNull;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code cleanup.pacing:} block: how the pause between batches grows, from {@code batch.pause} up to
 * {@code maxPause}, while the purge hurts the database (see {@link io.tokensweeper.purge.pacing.Pacer}). On by
 * default: a purge should not be what the auth service's users notice.
 */
@SelfValidating
public class PacingFactory {
    private static final double MIN_LATENCY_FACTOR = 1.5;
    private static final double MAX_LATENCY_FACTOR = 100;
    private static final long MIN_WAL_PER_SECOND = 1024 * 1024;

    private boolean enabled = PacingSettings.DEFAULT.enabled();

    @NotNull
    @MinDuration(value = 10, unit = TimeUnit.MILLISECONDS, message = "must be at least 10ms")
    @MaxDuration(value = 10, unit = TimeUnit.MINUTES, message = "must be at most 10 minutes")
    private Duration maxPause = Duration.milliseconds(PacingSettings.DEFAULT.maxPause().toMillis());

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, message = "must not be negative")
    @MaxDuration(value = 1, unit = TimeUnit.HOURS, message = "must be at most 1 hour")
    private Duration maxWait = Duration.milliseconds(PacingSettings.DEFAULT.maxWait().toMillis());

    @NotNull
    @MinDuration(value = 10, unit = TimeUnit.MILLISECONDS, message = "must be at least 10ms")
    @MaxDuration(value = 1, unit = TimeUnit.MINUTES, message = "must be at most 1 minute")
    private Duration probeInterval = Duration.milliseconds(PacingSettings.DEFAULT.probeInterval().toMillis());

    private double latencyFactor = PacingSettings.DEFAULT.latencyFactor();

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS, message = "must not be negative (0s: not watched)")
    @MaxDuration(value = 1, unit = TimeUnit.HOURS, message = "must be at most 1 hour")
    private Duration maxReplicationLag = Duration.milliseconds(PacingSettings.DEFAULT.maxReplicationLag().toMillis());

    private boolean checkpoints = PacingSettings.DEFAULT.checkpoints();

    @NotNull
    @MaxDataSize(value = 100, unit = DataSizeUnit.GIBIBYTES, message = "must be at most 100GiB")
    private DataSize maxWalPerSecond = DataSize.bytes(PacingSettings.DEFAULT.maxWalPerSecond());

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public Duration getMaxPause() {
        return maxPause;
    }

    @JsonProperty
    public void setMaxPause(Duration maxPause) {
        this.maxPause = maxPause;
    }

    @JsonProperty
    public Duration getMaxWait() {
        return maxWait;
    }

    @JsonProperty
    public void setMaxWait(Duration maxWait) {
        this.maxWait = maxWait;
    }

    @JsonProperty
    public Duration getProbeInterval() {
        return probeInterval;
    }

    @JsonProperty
    public void setProbeInterval(Duration probeInterval) {
        this.probeInterval = probeInterval;
    }

    @JsonProperty
    public double getLatencyFactor() {
        return latencyFactor;
    }

    @JsonProperty
    public void setLatencyFactor(double latencyFactor) {
        this.latencyFactor = latencyFactor;
    }

    @JsonProperty
    public Duration getMaxReplicationLag() {
        return maxReplicationLag;
    }

    @JsonProperty
    public void setMaxReplicationLag(Duration maxReplicationLag) {
        this.maxReplicationLag = maxReplicationLag;
    }

    @JsonProperty
    public boolean isCheckpoints() {
        return checkpoints;
    }

    @JsonProperty
    public void setCheckpoints(boolean checkpoints) {
        this.checkpoints = checkpoints;
    }

    @JsonProperty
    public DataSize getMaxWalPerSecond() {
        return maxWalPerSecond;
    }

    /** A size ({@code 48MiB}, {@code 500MB}) or a plain number of bytes: {@code 0} is what most will write for none. */
    @JsonProperty
    public void setMaxWalPerSecond(String maxWalPerSecond) {
        this.maxWalPerSecond = maxWalPerSecond == null ? null : DataSize.parse(maxWalPerSecond);
    }

    /**
     * A budget under a megabyte a second would pause a default batch (several MB of WAL) for many seconds; pacing
     * off watches nothing and would silently ignore it.
     */
    @SelfValidation
    public void validateMaxWalPerSecond(ViolationCollector violations) {
        if (maxWalPerSecond == null || maxWalPerSecond.toBytes() == 0) {
            return;
        }
        if (maxWalPerSecond.toBytes() < MIN_WAL_PER_SECOND) {
            violations.addViolation("maxWalPerSecond", "{value} must be 0 (no WAL budget) or at least 1MiB",
                    Map.of("value", maxWalPerSecond.toString()));
        } else if (!enabled) {
            violations.addViolation("maxWalPerSecond", "{value} needs pacing: with cleanup.pacing.enabled: false"
                    + " nothing is measured; set enabled: true or maxWalPerSecond: 0",
                    Map.of("value", maxWalPerSecond.toString()));
        }
    }

    /** Batch latency varies by half either way on its own: a lower factor would pace a healthy database. */
    @SelfValidation
    public void validateLatencyFactor(ViolationCollector violations) {
        if (latencyFactor != 0 && !(latencyFactor >= MIN_LATENCY_FACTOR && latencyFactor <= MAX_LATENCY_FACTOR)) {
            violations.addViolation("latencyFactor", "{factor} must be 0 (batch latency not watched) or from {min}"
                            + " to {max}",
                    Map.of("factor", String.valueOf(latencyFactor), "min", String.valueOf(MIN_LATENCY_FACTOR),
                            "max", String.valueOf(MAX_LATENCY_FACTOR)));
        }
    }

    public PacingSettings build() {
        return new PacingSettings(enabled, maxPause.toJavaDuration(), maxWait.toJavaDuration(),
                probeInterval.toJavaDuration(), latencyFactor, maxReplicationLag.toJavaDuration(), checkpoints,
                maxWalPerSecond.toBytes());
    }
}
