package io.tokensweeper.cli;

import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.db.Database;
import net.sourceforge.argparse4j.inf.Namespace;

/** {@code migrate config.yml}: applies the service's own migrations and exits. Safe to run any number of times. */
public class MigrateCommand extends ConfiguredCommand<TokenSweeperConfiguration> {
    public MigrateCommand() {
        super("migrate", "Apply token-sweeper's own migrations (schema sweeper) and exit");
    }

    @Override
    protected void run(Bootstrap<TokenSweeperConfiguration> bootstrap, Namespace namespace,
                       TokenSweeperConfiguration config) {
        try (Database database = config.getDatabase().build(bootstrap.getMetricRegistry(), "migrate")) {
            database.start();
        }
        System.out.println("Migrations of schema " + config.getDatabase().getSchema() + " are applied");
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        cli.getStdErr().println("migrate failed: " + e.getMessage());
    }
}
