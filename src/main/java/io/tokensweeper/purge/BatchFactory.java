package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code cleanup.batch:} block. Each batch is its own short transaction; the defaults follow what
 * large operators settled on after big deletes hurt them (small batches, bounded waits).
 */
@SelfValidating
public class BatchFactory {
    /** PostgreSQL's lock_timeout and statement_timeout are int milliseconds: about 24.8 days. */
    private static final String POSTGRES_TIMEOUT_LIMIT = "must be at most 2147483647ms (24 days), PostgreSQL's limit";

    @Min(1)
    @Max(100_000)
    private int size = 20_000;

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = 1, unit = TimeUnit.MINUTES)
    private Duration pause = Duration.milliseconds(0);

    @NotNull
    @MinDuration(value = 10, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = Integer.MAX_VALUE, unit = TimeUnit.MILLISECONDS, message = POSTGRES_TIMEOUT_LIMIT)
    private Duration lockTimeout = Duration.seconds(2);

    @NotNull
    @MinDuration(value = 100, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = Integer.MAX_VALUE, unit = TimeUnit.MILLISECONDS, message = POSTGRES_TIMEOUT_LIMIT)
    private Duration statementTimeout = Duration.seconds(30);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration maxRunTime = Duration.hours(1);

    @NotNull
    @Pattern(regexp = "auto|heap|index", message = "must be auto, heap or index, was '${validatedValue}'")
    private String method = "auto";

    @Min(1)
    @Max(16)
    private int workers = 1;

    @JsonProperty
    public int getSize() {
        return size;
    }

    @JsonProperty
    public void setSize(int size) {
        this.size = size;
    }

    @JsonProperty
    public Duration getPause() {
        return pause;
    }

    @JsonProperty
    public void setPause(Duration pause) {
        this.pause = pause;
    }

    @JsonProperty
    public Duration getLockTimeout() {
        return lockTimeout;
    }

    @JsonProperty
    public void setLockTimeout(Duration lockTimeout) {
        this.lockTimeout = lockTimeout;
    }

    @JsonProperty
    public Duration getStatementTimeout() {
        return statementTimeout;
    }

    @JsonProperty
    public void setStatementTimeout(Duration statementTimeout) {
        this.statementTimeout = statementTimeout;
    }

    @JsonProperty
    public Duration getMaxRunTime() {
        return maxRunTime;
    }

    @JsonProperty
    public void setMaxRunTime(Duration maxRunTime) {
        this.maxRunTime = maxRunTime;
    }

    @JsonProperty
    public String getMethod() {
        return method;
    }

    @JsonProperty
    public void setMethod(String method) {
        this.method = method;
    }

    @JsonProperty
    public int getWorkers() {
        return workers;
    }

    @JsonProperty
    public void setWorkers(int workers) {
        this.workers = workers;
    }

    /**
     * A statement waiting for a lock must meet lock_timeout first: statement_timeout would take the wait for a
     * batch too large, split it down to single rows that each wait again, and never name the lock's holder.
     */
    @SelfValidation
    public void validateStatementOutlastsLockWait(ViolationCollector violations) {
        if (lockTimeout != null && statementTimeout != null
                && statementTimeout.toNanoseconds() <= lockTimeout.toNanoseconds()) {
            violations.addViolation("statementTimeout", "{statement} must be longer than lockTimeout {lock}",
                    Map.of("statement", statementTimeout.toString(), "lock", lockTimeout.toString()));
        }
    }

    public BatchSettings build() {
        return new BatchSettings(size, pause.toJavaDuration(), lockTimeout.toJavaDuration(),
                statementTimeout.toJavaDuration(), maxRunTime.toJavaDuration(), PurgeMethod.fromId(method),
                workers);
    }
}
