package io.tokensweeper.cli;

import io.dropwizard.core.Application;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import io.tokensweeper.TokenSweeperConfiguration;
import io.tokensweeper.db.DatabaseStartException;
import net.sourceforge.argparse4j.inf.Namespace;

/**
 * Dropwizard's {@code server}, except that a node whose database is unavailable says so in one line (no
 * stack trace) before it exits non-zero, for its supervisor to restart it.
 */
public class NodeServerCommand extends ServerCommand<TokenSweeperConfiguration> {
    public NodeServerCommand(Application<TokenSweeperConfiguration> application) {
        super(application);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatabaseStartException databaseUnavailable) {
                cli.getStdErr().println("token-sweeper cannot start: " + databaseUnavailable.getMessage());
                return;
            }
        }
        super.onError(cli, namespace, e);
    }
}
