package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One purge target as configured: the auth service owns these names, so every one is configurable and
 * checked against the live catalog at start ({@link TargetCatalog}) before any SQL uses it.
 */
public abstract class TargetFactory {
    /** The longest retention taken: a century, far beyond any token's life. */
    public static final java.time.Duration MAX_RETENTION = java.time.Duration.ofDays(36_500);

    /** The revokedColumn/usedColumn of a table that has no such column: then only the expiry counts. */
    public static final String NO_FLAG_COLUMN = "none";

    private boolean enabled = true;

    /** Checked by {@link CleanupFactory}, which knows the zone it is read in. */
    @NotEmpty
    private String cron;

    @NotEmpty
    private String schema = "public";

    @NotEmpty
    private String table;

    @NotEmpty
    private String expiresAtColumn = "expires_at";

    /** What a {@code timestamp without time zone} value means; ignored for timestamptz columns. */
    @NotNull
    private ZoneId timestampZone = ZoneId.of("UTC");

    @NotNull
    @MinDuration(value = 0, unit = TimeUnit.SECONDS)
    private Duration retention = Duration.seconds(0);

    /**
     * Opt-in: a plain VACUUM (ANALYZE) of the table after a run that deleted at least
     * {@link #vacuumMinDeletedFraction} of its rows ({@link VacuumAfterPurge}). Needs ownership of the table (or,
     * on PostgreSQL 17+, the MAINTAIN privilege): checked at start.
     */
    private boolean vacuumAfterPurge = false;

    /**
     * Opt-in, partitioned tables only: a leaf partition whose every row is doomed is detached (CONCURRENTLY) and
     * dropped instead of purged row by row ({@link PartitionDrop}). Needs ownership of the table and its partitions:
     * checked at start.
     */
    private boolean dropDoomedPartitions = false;

    /**
     * The share of the table's rows (rows deleted / (rows deleted + live rows left)) a run must delete for the
     * VACUUM to follow it. 0.2 is autovacuum's own default scale factor: below it autovacuum would not bother
     * either, and a purge that small leaves nothing worth an unscheduled VACUUM.
     */
    @DecimalMin("0.0")
    @DecimalMax("1.0")
    private double vacuumMinDeletedFraction = 0.2;

    /** The VACUUM's statement_timeout, instead of the batches' (which is sized for one bounded DELETE). */
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    @MaxDuration(value = Integer.MAX_VALUE, unit = TimeUnit.MILLISECONDS,
            message = "must be at most 2147483647ms (24 days), PostgreSQL's limit")
    private Duration vacuumTimeout = Duration.hours(1);

    protected TargetFactory(String table, String cron) {
        this.table = table;
        this.cron = cron;
    }

    public abstract JobName job();

    /** The config key of the revoked/used column, for messages. */
    public abstract String markerColumnKey();

    public abstract String markerColumn();

    /** The config path of this block, for messages: cleanup.refreshTokens, cleanup.passwordResets. */
    public abstract String configPath();

    /** The environment variable the shipped config.yml reads the cron from, for messages. */
    public abstract String cronVariable();

    @JsonProperty
    public boolean isEnabled() {
        return enabled;
    }

    @JsonProperty
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @JsonProperty
    public String getCron() {
        return cron;
    }

    @JsonProperty
    public void setCron(String cron) {
        this.cron = cron;
    }

    @JsonProperty
    public String getSchema() {
        return schema;
    }

    @JsonProperty
    public void setSchema(String schema) {
        this.schema = schema;
    }

    @JsonProperty
    public String getTable() {
        return table;
    }

    @JsonProperty
    public void setTable(String table) {
        this.table = table;
    }

    @JsonProperty
    public String getExpiresAtColumn() {
        return expiresAtColumn;
    }

    @JsonProperty
    public void setExpiresAtColumn(String expiresAtColumn) {
        this.expiresAtColumn = expiresAtColumn;
    }

    @JsonProperty
    public ZoneId getTimestampZone() {
        return timestampZone;
    }

    @JsonProperty
    public void setTimestampZone(ZoneId timestampZone) {
        this.timestampZone = timestampZone;
    }

    @JsonProperty
    public Duration getRetention() {
        return retention;
    }

    @JsonProperty
    public void setRetention(Duration retention) {
        this.retention = retention;
    }

    /**
     * The retention exactly, or empty when it is longer than {@link #MAX_RETENTION}. Not Dropwizard's toJavaDuration,
     * which goes through a count of nanoseconds: one saturates at about 292 years, so a retention of 150000d would
     * keep rows 292 years, deleting rows its setting keeps.
     */
    public Optional<java.time.Duration> exactRetention() {
        try {
            java.time.Duration exact = java.time.Duration.of(retention.getQuantity(), retention.getUnit().toChronoUnit());
            return exact.compareTo(MAX_RETENTION) <= 0 ? Optional.of(exact) : Optional.empty();
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
    }

    @JsonProperty
    public boolean isVacuumAfterPurge() {
        return vacuumAfterPurge;
    }

    @JsonProperty
    public void setVacuumAfterPurge(boolean vacuumAfterPurge) {
        this.vacuumAfterPurge = vacuumAfterPurge;
    }

    @JsonProperty
    public boolean isDropDoomedPartitions() {
        return dropDoomedPartitions;
    }

    @JsonProperty
    public void setDropDoomedPartitions(boolean dropDoomedPartitions) {
        this.dropDoomedPartitions = dropDoomedPartitions;
    }

    @JsonProperty
    public double getVacuumMinDeletedFraction() {
        return vacuumMinDeletedFraction;
    }

    @JsonProperty
    public void setVacuumMinDeletedFraction(double vacuumMinDeletedFraction) {
        this.vacuumMinDeletedFraction = vacuumMinDeletedFraction;
    }

    @JsonProperty
    public Duration getVacuumTimeout() {
        return vacuumTimeout;
    }

    @JsonProperty
    public void setVacuumTimeout(Duration vacuumTimeout) {
        this.vacuumTimeout = vacuumTimeout;
    }
}
