package io.tokensweeper.testing;

import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.tokensweeper.TokenSweeperApplication;
import io.tokensweeper.TokenSweeperConfiguration;
import java.util.ArrayList;
import java.util.List;

/** A full node in this JVM (config.yml, random ports) on a test database, for HA-pair tests over HTTP. */
public final class AppNodes {
    private AppNodes() {
    }

    public static DropwizardAppExtension<TokenSweeperConfiguration> node(PostgresExtension postgres, String id,
                                                                         ConfigOverride... extra) {
        return node(postgres, id, "production", extra);
    }

    /** A node with SWEEPER_ENV=test: no scheduler, on-demand runs in its own process. */
    public static DropwizardAppExtension<TokenSweeperConfiguration> testEnvironmentNode(PostgresExtension postgres,
                                                                                        String id,
                                                                                        ConfigOverride... extra) {
        return node(postgres, id, "test", extra);
    }

    /**
     * Never give a key twice: each override restores, when the node stops, the system property it found, so the
     * second would leave the first's value behind as a dw.* property for every later test in the JVM.
     */
    private static DropwizardAppExtension<TokenSweeperConfiguration> node(PostgresExtension postgres, String id,
                                                                          String environment, ConfigOverride... extra) {
        List<ConfigOverride> overrides = new ArrayList<>(List.of(
                ConfigOverride.config("database.url", () -> postgres.database().url()),
                ConfigOverride.config("database.user", () -> postgres.database().user()),
                ConfigOverride.config("database.password", () -> postgres.database().password()),
                ConfigOverride.config("environment", environment),
                ConfigOverride.config("nodeId", id),
                ConfigOverride.config("scheduler.checkinInterval", "1s"),
                ConfigOverride.config("server.applicationConnectors[0].port", "0"),
                ConfigOverride.config("server.adminConnectors[0].port", "0"),
                // Quiet, so that a failure stands out: warnings and errors only (config.yml's own loggers, at
                // INFO for ours, included), and each node's request log in a file of its own.
                ConfigOverride.config("logging.level", "WARN"),
                ConfigOverride.config("logging.loggers.io\\.tokensweeper", "WARN"),
                ConfigOverride.config("server.requestLog.appenders[0].type", "file"),
                ConfigOverride.config("server.requestLog.appenders[0].currentLogFilename",
                        "target/request-logs/" + id + ".log"),
                ConfigOverride.config("server.requestLog.appenders[0].archive", "false")));
        overrides.addAll(List.of(extra));
        return new DropwizardAppExtension<>(TokenSweeperApplication.class, "config.yml",
                overrides.toArray(ConfigOverride[]::new));
    }
}
