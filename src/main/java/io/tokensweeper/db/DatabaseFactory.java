package io.tokensweeper.db;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.concurrent.TimeUnit;

/** The {@code database:} block of config.yml: where the auth tables live and how we connect. */
public class DatabaseFactory {
    public static final String EMBEDDED = "embedded";

    @NotEmpty
    private String url = EMBEDDED;

    @NotNull
    private String user = "postgres";

    @NotNull
    private String password = "";

    @NotEmpty
    @Pattern(regexp = "[a-z_][a-z0-9_]{0,62}", message = "must be a lower-case PostgreSQL identifier")
    private String schema = "sweeper";

    @Min(2)
    @Max(200)
    private int maximumPoolSize = 10;

    /** HikariCP hands it to the driver as int seconds, and takes Integer.MAX_VALUE ms as "none". */
    @NotNull
    @MinDuration(value = 250, unit = TimeUnit.MILLISECONDS)
    @MaxDuration(value = Integer.MAX_VALUE, unit = TimeUnit.MILLISECONDS, inclusive = false,
            message = "must be less than 2147483647ms (24 days)")
    private Duration connectionTimeout = Duration.seconds(5);

    @Valid
    @NotNull
    private EmbeddedDatabaseFactory embedded = new EmbeddedDatabaseFactory();

    @JsonProperty
    public String getUrl() {
        return url;
    }

    @JsonProperty
    public void setUrl(String url) {
        this.url = url;
    }

    @JsonProperty
    public String getUser() {
        return user;
    }

    @JsonProperty
    public void setUser(String user) {
        this.user = user;
    }

    @JsonProperty
    public String getPassword() {
        return password;
    }

    @JsonProperty
    public void setPassword(String password) {
        this.password = password;
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
    public int getMaximumPoolSize() {
        return maximumPoolSize;
    }

    @JsonProperty
    public void setMaximumPoolSize(int maximumPoolSize) {
        this.maximumPoolSize = maximumPoolSize;
    }

    @JsonProperty
    public Duration getConnectionTimeout() {
        return connectionTimeout;
    }

    @JsonProperty
    public void setConnectionTimeout(Duration connectionTimeout) {
        this.connectionTimeout = connectionTimeout;
    }

    @JsonProperty
    public EmbeddedDatabaseFactory getEmbedded() {
        return embedded;
    }

    @JsonProperty
    public void setEmbedded(EmbeddedDatabaseFactory embedded) {
        this.embedded = embedded;
    }

    public boolean isEmbedded() {
        return EMBEDDED.equals(url);
    }

    @ValidationMethod(message = "database.url must be 'embedded' or a jdbc:postgresql://host[:port]/database URL")
    public boolean isUrlValid() {
        return url == null || isEmbedded() || url.matches("jdbc:postgresql://[^/\\s]+/[^\\s/?]+(\\?\\S*)?");
    }

    /** Builds the database a node uses; nothing is started until {@link Database#start()}. */
    public Database build(MetricRegistry metrics, String purpose) {
        return new Database(this, metrics, purpose);
    }
}
