package io.tokensweeper;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.tokensweeper.db.DatabaseFactory;
import io.dropwizard.validation.ValidationMethod;
import io.tokensweeper.admin.AdminAccessFactory;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.scheduler.ClusterSchedulerFactory;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

/** config.yml: every field has a default or a constraint. */
public class TokenSweeperConfiguration extends Configuration {
    /** SWEEPER_ENV; {@code test} starts no scheduler, so nothing fires on its own. */
    @NotNull
    @Pattern(regexp = "production|staging|development|test",
            message = "must be one of production, staging, development, test")
    private String environment = "production";

    /** SWEEPER_NODE_ID; empty means host name, process id and a random suffix. */
    private String nodeId = "";

    @Valid
    @NotNull
    private DatabaseFactory database = new DatabaseFactory();

    @Valid
    @NotNull
    private CleanupFactory cleanup = new CleanupFactory();

    @Valid
    @NotNull
    private ClusterSchedulerFactory scheduler = new ClusterSchedulerFactory();

    @Valid
    @NotNull
    private AdminAccessFactory admin = new AdminAccessFactory();

    @JsonProperty
    public String getEnvironment() {
        return environment;
    }

    @JsonProperty
    public void setEnvironment(String environment) {
        this.environment = environment;
    }

    public boolean isTestEnvironment() {
        return "test".equals(environment);
    }

    @JsonProperty
    public String getNodeId() {
        return nodeId;
    }

    @JsonProperty
    public void setNodeId(String nodeId) {
        this.nodeId = nodeId;
    }

    @JsonProperty
    public DatabaseFactory getDatabase() {
        return database;
    }

    @JsonProperty
    public void setDatabase(DatabaseFactory database) {
        this.database = database;
    }

    @JsonProperty
    public AdminAccessFactory getAdmin() {
        return admin;
    }

    @JsonProperty
    public void setAdmin(AdminAccessFactory admin) {
        this.admin = admin;
    }

    @JsonProperty
    public ClusterSchedulerFactory getScheduler() {
        return scheduler;
    }

    @JsonProperty
    public void setScheduler(ClusterSchedulerFactory scheduler) {
        this.scheduler = scheduler;
    }

    @ValidationMethod(message = "database.maximumPoolSize must be at least scheduler.threadCount + 3: Quartz holds"
            + " a connection per thread plus its own, and purges and health checks need theirs")
    @JsonIgnore
    public boolean isPoolLargeEnoughForTheScheduler() {
        return database == null || scheduler == null
                || database.getMaximumPoolSize() >= scheduler.connectionsNeeded();
    }

    @JsonProperty
    public CleanupFactory getCleanup() {
        return cleanup;
    }

    @JsonProperty
    public void setCleanup(CleanupFactory cleanup) {
        this.cleanup = cleanup;
    }
}
