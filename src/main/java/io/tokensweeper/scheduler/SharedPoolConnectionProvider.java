package io.tokensweeper.scheduler;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.quartz.utils.ConnectionProvider;

/** Gives Quartz connections from the node's own pool. The pool belongs to the node, so shutdown does nothing. */
final class SharedPoolConnectionProvider implements ConnectionProvider {
    private final DataSource dataSource;

    SharedPoolConnectionProvider(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void shutdown() {
        // Quartz calls this on its own shutdown; the Database lifecycle closes the pool after everything else.
    }

    @Override
    public void initialize() {
        // the pool is already configured
    }
}
