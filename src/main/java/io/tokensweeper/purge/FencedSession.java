package io.tokensweeper.purge;

import com.zaxxer.hikari.HikariDataSource;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection a run works on: it holds the table's fence and the run's session settings for the
 * whole run. Closing it releases both and returns the connection to the pool; a connection that cannot
 * be cleaned up (it may still hold the fence) is evicted from the pool instead, never returned.
 */
final class FencedSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FencedSession.class);

    /** The fence is held by another session: the message names it. */
    static final class FenceHeldException extends Exception {
        private static final long serialVersionUID = 1L;

        FenceHeldException(String message) {
            super(message);
        }
    }

    private static final List<String> RUN_SETTINGS =
            List.of("lock_timeout", "statement_timeout", "synchronous_commit", "row_security",
                    "client_connection_check_interval");

    private final DataSource dataSource;
    private final Connection connection;
    private final long tableOid;
    /** A view of the run's session on one leaf partition: closing it does nothing, the run's session stays. */
    private final boolean view;

    private FencedSession(DataSource dataSource, Connection connection, long tableOid, boolean view) {
        this.dataSource = dataSource;
        this.connection = connection;
        this.tableOid = tableOid;
        this.view = view;
    }

    /**
     * The same session and fence (the partitioned table's), working on one leaf partition: what the engine reads
     * of "the table" (its size, its identity for the guard, its locks) is the leaf's.
     */
    FencedSession forPartition(long leafOid) {
        return new FencedSession(dataSource, connection, leafOid, true);
    }

    /** Takes the target's fence, waiting up to {@code wait}, and applies the run's settings. */
    static FencedSession open(DataSource dataSource, PurgeTarget target, BatchSettings batch, Duration wait)
            throws SQLException, InterruptedException, FenceHeldException {
        Connection connection = dataSource.getConnection();
        try {
            long oid = TableFacts.oid(connection, target);
            if (!RunFence.acquire(connection, oid, wait)) {
                String holder = RunFence.holder(connection, oid);
                connection.close();
                throw new FenceHeldException("another purge of " + target.displayName() + " is running, held by "
                        + holder + "; this run deleted nothing");
            }
            FencedSession session = new FencedSession(dataSource, connection, oid, false);
            session.applyRunSettings(batch);
            return session;
        } catch (SQLException | RuntimeException | InterruptedException e) {
            if (!connection.isClosed()) {
                evict(dataSource, connection);
            }
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    long tableOid() {
        return tableOid;
    }

    /**
     * For the whole run, on this connection only. A batch's commit does not wait for its WAL to reach disk:
     * should the server crash, the last batches (and their history) are undone together, which only means
     * those rows are still there for the next run. row_security off makes a table that row-level security
     * would filter fail loudly instead of hiding doomed rows from the purge.
     */
    private void applyRunSettings(BatchSettings batch) throws SQLException {
        applyRunSettings(connection, batch);
    }

    static void applyRunSettings(Connection connection, BatchSettings batch) throws SQLException {
        Jdbc.execute(connection, "SELECT set_config('lock_timeout', ?, false), set_config('statement_timeout', ?, false),"
                        + " set_config('synchronous_commit', 'off', false), set_config('row_security', 'off', false)",
                batch.lockTimeout().toMillis() + "ms", batch.statementTimeout().toMillis() + "ms");
    }

    @Override
    public void close() {
        if (view) {
            return;
        }
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
                connection.setAutoCommit(true);
            }
            resetRunSettings(connection);
            RunFence.release(connection, tableOid);
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not release the purge session cleanly; evicting its connection", e);
            evict(dataSource, connection);
        }
    }

    static void resetRunSettings(Connection connection) throws SQLException {
        for (String setting : RUN_SETTINGS) {
            Jdbc.execute(connection, "RESET " + setting);
        }
    }

    /** A connection that may still hold the fence must never go back to the pool; eviction closes it. */
    static void evict(DataSource dataSource, Connection connection) {
        if (dataSource instanceof HikariDataSource hikari) {
            hikari.evictConnection(connection);
            return;
        }
        try {
            connection.abort(Runnable::run);
        } catch (SQLException e) {
            LOG.warn("Could not abort a purge connection that may hold an advisory lock: {}", e.getMessage());
        }
    }
}
