package io.tokensweeper;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.tokensweeper.db.DatabaseFactory;
import io.dropwizard.validation.ValidationMethod;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;
import io.tokensweeper.admin.AdminAccessFactory;
import io.tokensweeper.purge.CleanupFactory;
import io.tokensweeper.scheduler.ClusterSchedulerFactory;
import io.tokensweeper.scheduler.NodeIds;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.util.Map;
import java.util.Set;

/** config.yml: every field has a default or a constraint. */
@SelfValidating
public class TokenSweeperConfiguration extends Configuration {
    /** Instance ids Quartz replaces by a generated one (AUTO) or reads from a system property (SYS_PROP). */
    private static final Set<String> QUARTZ_INSTANCE_ID_WORDS = Set.of("AUTO", "SYS_PROP");

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

    @SelfValidation
    public void validateNodeId(ViolationCollector violations) {
        String id = nodeId == null ? "" : nodeId.trim();
        if (id.length() > NodeIds.MAX_LENGTH) {
            violations.addViolation("nodeId", "'{id}' is {length} characters; Quartz allows at most {max}",
                    Map.of("id", id, "length", id.length(), "max", NodeIds.MAX_LENGTH));
        } else if (QUARTZ_INSTANCE_ID_WORDS.contains(id)) {
            violations.addViolation("nodeId", "'{id}' is a word Quartz reserves for instance ids: choose another",
                    Map.of("id", id));
        }
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
