package io.tokensweeper;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jetty.ConnectorFactory;
import io.dropwizard.jetty.HttpConnectorFactory;
import io.tokensweeper.db.DatabaseFactory;
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
import java.util.LinkedHashMap;
import java.util.List;
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

    /** Two connectors on one port and overlapping addresses stop the node at start, after its database is up. */
    @SelfValidation
    public void validateConnectorsDoNotShareAPort(ViolationCollector violations) {
        if (!(getServerFactory() instanceof DefaultServerFactory server)) {
            return;
        }
        Map<String, HttpConnectorFactory> connectors = new LinkedHashMap<>();
        addHttp(connectors, "server.applicationConnectors", server.getApplicationConnectors());
        addHttp(connectors, "server.adminConnectors", server.getAdminConnectors());
        List<String> keys = List.copyOf(connectors.keySet());
        for (int i = 0; i < keys.size(); i++) {
            for (int j = 0; j < i; j++) {
                HttpConnectorFactory later = connectors.get(keys.get(i));
                HttpConnectorFactory earlier = connectors.get(keys.get(j));
                if (later.getPort() != 0 && later.getPort() == earlier.getPort()
                        && overlap(later.getBindHost(), earlier.getBindHost())) {
                    violations.addViolation(keys.get(i) + ".port", "{port} is also the port of {other} on an"
                            + " overlapping bindHost: give each connector its own port (APP_PORT, ADMIN_PORT)",
                            Map.of("port", later.getPort(), "other", keys.get(j)));
                }
            }
        }
    }

    private static void addHttp(Map<String, HttpConnectorFactory> connectors, String key,
                                List<ConnectorFactory> configured) {
        for (int i = 0; configured != null && i < configured.size(); i++) {
            if (configured.get(i) instanceof HttpConnectorFactory http) {
                connectors.put(key + "[" + i + "]", http);
            }
        }
    }

    /** Host names are not resolved here: only the same address, or any address, overlaps for sure. */
    private static boolean overlap(String host, String other) {
        return isAnyAddress(host) || isAnyAddress(other) || host.equals(other);
    }

    private static boolean isAnyAddress(String host) {
        return host == null || host.isEmpty() || "0.0.0.0".equals(host) || "::".equals(host);
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

    /** Quartz holds a connection per thread plus its own; purges and health checks need theirs. */
    @SelfValidation
    public void validatePoolLargeEnoughForTheScheduler(ViolationCollector violations) {
        if (database != null && scheduler != null && database.getMaximumPoolSize() < scheduler.connectionsNeeded()) {
            violations.addViolation("database.maximumPoolSize", "{size} must be at least scheduler.threadCount + 3"
                    + " ({needed}): Quartz holds a connection per thread plus its own, and purges and health checks"
                    + " need theirs", Map.of("size", database.getMaximumPoolSize(), "needed",
                    scheduler.connectionsNeeded()));
        }
    }

    /** Each purge worker beyond the first takes a pool connection, for each job that may run at the same time. */
    @SelfValidation
    public void validatePoolLargeEnoughForTheWorkers(ViolationCollector violations) {
        if (database == null || scheduler == null || cleanup == null || cleanup.getBatch() == null) {
            return;
        }
        int needed = scheduler.connectionsNeeded() + 2 * (cleanup.getBatch().getWorkers() - 1);
        if (cleanup.getBatch().getWorkers() > 1 && database.getMaximumPoolSize() < needed) {
            violations.addViolation("database.maximumPoolSize", "{size} must be at least {needed} with"
                    + " cleanup.batch.workers {workers}: both jobs may run at once, each worker beyond the first holds"
                    + " a connection, on top of scheduler.threadCount + 3", Map.of("size",
                    database.getMaximumPoolSize(), "needed", needed, "workers", cleanup.getBatch().getWorkers()));
        }
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
