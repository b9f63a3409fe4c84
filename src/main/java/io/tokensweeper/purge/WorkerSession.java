package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A further connection for a parallel worker of a run whose {@link FencedSession} holds the fence: the run's
 * session settings, no fence of its own. Returned to the pool with its settings reset, or evicted.
 */
final class WorkerSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerSession.class);

    private final DataSource dataSource;
    private final Connection connection;

    private WorkerSession(DataSource dataSource, Connection connection) {
        this.dataSource = dataSource;
        this.connection = connection;
    }

    static WorkerSession open(DataSource dataSource, BatchSettings batch) throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            FencedSession.applyRunSettings(connection, batch);
            connection.setAutoCommit(false);
            return new WorkerSession(dataSource, connection);
        } catch (SQLException | RuntimeException e) {
            FencedSession.evict(dataSource, connection);
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    @Override
    public void close() {
        try {
            connection.rollback();
            connection.setAutoCommit(true);
            FencedSession.resetRunSettings(connection);
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not return a purge worker's connection cleanly; evicting it", e);
            FencedSession.evict(dataSource, connection);
        }
    }
}
