package io.tokensweeper.scheduler;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.OneOf;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.concurrent.TimeUnit;

/** The {@code scheduler:} block: how this node joins the Quartz cluster. */
public class ClusterSchedulerFactory {
    public static final String MISFIRE_RUN_ONCE = "run-once";
    public static final String MISFIRE_SKIP = "skip";

    /** Nodes with the same name on the same database form one cluster. */
    @NotEmpty
    @Pattern(regexp = "[A-Za-z0-9_.-]{1,80}")
    private String clusterName = "token-sweeper";

    @Min(1)
    @Max(20)
    private int threadCount = 2;

    /** Peers take over a dead node's runs after this; far longer values overflow Quartz's check-in arithmetic. */
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    @MaxDuration(value = 1, unit = TimeUnit.DAYS, message = "must be at most 1 day")
    private Duration checkinInterval = Duration.milliseconds(7500);

    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration misfireThreshold = Duration.seconds(60);

    /** After downtime: run-once (a single catch-up run as soon as possible) or skip (wait for the next time). */
    @NotNull
    @OneOf({MISFIRE_RUN_ONCE, MISFIRE_SKIP})
    private String misfirePolicy = MISFIRE_RUN_ONCE;

    /** How late a job's last success may be, beyond one missed period, before its health check turns red. */
    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.SECONDS)
    private Duration healthSlack = Duration.minutes(15);

    @JsonProperty
    public String getClusterName() {
        return clusterName;
    }

    @JsonProperty
    public void setClusterName(String clusterName) {
        this.clusterName = clusterName;
    }

    @JsonProperty
    public int getThreadCount() {
        return threadCount;
    }

    @JsonProperty
    public void setThreadCount(int threadCount) {
        this.threadCount = threadCount;
    }

    @JsonProperty
    public Duration getCheckinInterval() {
        return checkinInterval;
    }

    @JsonProperty
    public void setCheckinInterval(Duration checkinInterval) {
        this.checkinInterval = checkinInterval;
    }

    @JsonProperty
    public Duration getMisfireThreshold() {
        return misfireThreshold;
    }

    @JsonProperty
    public void setMisfireThreshold(Duration misfireThreshold) {
        this.misfireThreshold = misfireThreshold;
    }

    @JsonProperty
    public String getMisfirePolicy() {
        return misfirePolicy;
    }

    @JsonProperty
    public void setMisfirePolicy(String misfirePolicy) {
        this.misfirePolicy = misfirePolicy;
    }

    @JsonProperty
    public Duration getHealthSlack() {
        return healthSlack;
    }

    @JsonProperty
    public void setHealthSlack(Duration healthSlack) {
        this.healthSlack = healthSlack;
    }

    /** Connections Quartz may hold at once (its threads, its misfire and check-in work) plus one to spare. */
    public int connectionsNeeded() {
        return threadCount + 3;
    }
}
