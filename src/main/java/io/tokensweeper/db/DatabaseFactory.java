package io.tokensweeper.db;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MaxDuration;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.postgresql.Driver;

/** The {@code database:} block of config.yml: where the auth tables live and how we connect. */
@SelfValidating
public class DatabaseFactory {
    public static final String EMBEDDED = "embedded";
    private static final String URL_PREFIX = "jdbc:postgresql://";

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

    /** Read as a path only at start, and only in embedded mode. */
    @SelfValidation
    public void validateEmbeddedDataDirectory(ViolationCollector violations) {
        if (!isEmbedded() || embedded == null || embedded.getDataDirectory() == null) {
            return;
        }
        try {
            Path.of(embedded.getDataDirectory());
        } catch (InvalidPathException e) {
            violations.addViolation("embedded.dataDirectory", "is not a path: {reason}",
                    Map.of("reason", e.getReason()));
        }
    }

    /** Quartz's SQL names the schema unquoted, and PostgreSQL keeps pg_ for its own schemas. */
    @SelfValidation
    public void validateSchemaUsable(ViolationCollector violations) {
        if (schema == null) {
            return;
        }
        if (PostgresKeywords.RESERVED.contains(schema)) {
            violations.addViolation("schema", "'{schema}' is a PostgreSQL reserved word", Map.of("schema", schema));
        } else if (schema.startsWith("pg_")) {
            violations.addViolation("schema", "'{schema}' starts with pg_, which PostgreSQL reserves for system schemas",
                    Map.of("schema", schema));
        }
    }

    /** What pgjdbc would refuse at start, where its message and HikariCP's quote the whole URL. */
    @SelfValidation
    public void validateUrl(ViolationCollector violations) {
        if (url == null || isEmbedded()) {
            return;
        }
        urlProblem(url).ifPresent(problem -> violations.addViolation("url", "'{url}' " + problem,
                Map.of("url", JdbcUrls.withoutPassword(url))));
    }

    private static Optional<String> urlProblem(String url) {
        if (!url.matches(URL_PREFIX + "[^/\\s]+/[^\\s/?]+(\\?\\S*)?")) {
            return Optional.of("is not 'embedded' or a jdbc:postgresql://host[:port]/database URL");
        }
        String hosts = url.substring(URL_PREFIX.length(), url.indexOf('/', URL_PREFIX.length()));
        if (hosts.contains("@")) {
            return Optional.of("holds credentials: set them in database.user and database.password");
        }
        for (String host : hosts.split(",", -1)) {
            int colon = host.lastIndexOf(':');
            boolean hasPort = colon > host.lastIndexOf(']');
            if ((hasPort ? host.substring(0, colon) : host).isEmpty()
                    || hasPort && !isPort(host.substring(colon + 1))) {
                return Optional.of("has a host that is not host[:port] with a port from 1 to 65535");
            }
        }
        // Only now: pgjdbc logs the text of a port it cannot read, and the checks above leave it none.
        if (Driver.parseURL(url, null) == null) {
            return Optional.of("is not a URL the PostgreSQL driver reads (a stray % in the database or a parameter?)");
        }
        return Optional.empty();
    }

    private static boolean isPort(String text) {
        return text.matches("[0-9]{1,5}") && Integer.parseInt(text) >= 1 && Integer.parseInt(text) <= 65535;
    }

    /** Builds the database a node uses; nothing is started until {@link Database#start()}. */
    public Database build(MetricRegistry metrics, String purpose) {
        return new Database(this, metrics, purpose);
    }
}
