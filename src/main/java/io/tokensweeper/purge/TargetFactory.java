package io.tokensweeper.purge;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;

/**
 * One purge target as configured: the auth service owns these names, so every one is configurable and
 * checked against the live catalog at start ({@link TargetCatalog}) before any SQL uses it.
 */
public abstract class TargetFactory {
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
}
