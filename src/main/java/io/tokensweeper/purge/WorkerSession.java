package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A further connection of a run whose {@link FencedSession} holds the fence: the run's session settings, no fence of
 * its own; for a parallel worker, or for detaching, dropping and attaching partitions ({@link #forPartitionDdl}).
 * Returned to the pool with its settings reset, or evicted.
 */
final class WorkerSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerSession.class);

    private final DataSource dataSource;
    private final Connection connection;
    /** Set when its backend may still hold a session lock of ours: never returned to the pool then. */
    private boolean evict;

    private WorkerSession(DataSource dataSource, Connection connection) {
        this.dataSource = dataSource;
        this.connection = connection;
    }

    static WorkerSession open(DataSource dataSource, BatchSettings batch) throws SQLException {
        return open(dataSource, batch, false);
    }

    /**
     * In autocommit (DETACH ... CONCURRENTLY may not run in a transaction block), with the run's lock timeout: the
     * second transaction of a concurrent detach (and its FINALIZE) waits for every transaction that may still see the
     * partition and, when the table has a foreign key, for a lock on the referenced table that its writers queue
     * behind (measured: the auth service's UPDATE of users blocked behind a detach waiting for an open transaction).
     * A detach that waits longer is left half detached, and a later run finishes it. Its backend checks every second
     * that the node is still connected: one whose node died stops its DDL then.
     */
    static WorkerSession forPartitionDdl(DataSource dataSource, BatchSettings batch) throws SQLException {
        WorkerSession session = open(dataSource, batch, true);
        try {
            Jdbc.execute(session.connection, "SELECT set_config('client_connection_check_interval', '1s', false)");
        } catch (SQLException e) {
            // Refused where the server's platform cannot tell (Windows); the drop's lock covers that case too.
            LOG.debug("client_connection_check_interval cannot be set on this server: {}", e.getMessage());
        }
        return session;
    }

    private static WorkerSession open(DataSource dataSource, BatchSettings batch, boolean autoCommit)
            throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            FencedSession.applyRunSettings(connection, batch);
            connection.setAutoCommit(autoCommit);
            return new WorkerSession(dataSource, connection);
        } catch (SQLException | RuntimeException e) {
            FencedSession.evict(dataSource, connection);
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    void evictOnClose() {
        evict = true;
    }

    @Override
    public void close() {
        if (evict) {
            FencedSession.evict(dataSource, connection);
            return;
        }
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
                connection.setAutoCommit(true);
            }
            FencedSession.resetRunSettings(connection);
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not return a purge's further connection cleanly; evicting it", e);
            FencedSession.evict(dataSource, connection);
        }
    }
}
