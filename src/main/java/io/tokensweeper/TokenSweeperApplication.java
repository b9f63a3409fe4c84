package io.tokensweeper;

import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.tokensweeper.cli.CleanupCommand;
import io.tokensweeper.cli.MigrateCommand;
import io.tokensweeper.db.Database;
import io.tokensweeper.db.DatabaseHealthCheck;
import io.tokensweeper.purge.PurgeService;
import io.tokensweeper.scheduler.NodeIds;
import java.time.Clock;

/** Wiring only: builds the parts from configuration and registers them in start order. */
public class TokenSweeperApplication extends Application<TokenSweeperConfiguration> {
    private Database database;

    public static void main(String[] args) throws Exception {
        new TokenSweeperApplication().run(args);
    }

    @Override
    public String getName() {
        return "token-sweeper";
    }

    @Override
    public void initialize(Bootstrap<TokenSweeperConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addCommand(new MigrateCommand());
        bootstrap.addCommand(new CleanupCommand());
    }

    @Override
    public void run(TokenSweeperConfiguration config, Environment environment) {
        String nodeId = NodeIds.resolve(config.getNodeId());
        database = config.getDatabase().build(environment.metrics(), "node");
        PurgeService purgeService = new PurgeService(config.getCleanup(), database.dataSource(),
                database.schema(), environment.metrics(), nodeId, Clock.systemUTC());

        environment.lifecycle().manage(database);
        environment.lifecycle().manage(purgeService);

        environment.healthChecks().register("database", new DatabaseHealthCheck(database));
    }

    /** The node's database, once run() has built it; for tests that look inside. */
    Database database() {
        return database;
    }
}
