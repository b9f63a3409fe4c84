package io.tokensweeper.purge.pacing;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The pacer's reads of the database: each one query on the run's own session, no extension, nothing a
 * least-privileged role may not read (replication lag excepted: see {@link Readings#lagHidden()}).
 */
final class DatabaseProbes {
    /**
     * Sessions waiting for a lock this backend holds. pg_blocking_pids takes the lock manager's locks, so it is
     * asked only about the few sessions that wait at all (OFFSET 0 keeps the filter from being pushed under it).
     * pg_locks, unlike pg_stat_activity, shows other roles' waits to any role.
     */
    private static final String LOCK_WAITERS = "SELECT count(*) FROM (SELECT DISTINCT pid FROM pg_locks"
            + " WHERE NOT granted AND pid IS NOT NULL AND pid <> pg_backend_pid() OFFSET 0) w"
            + " WHERE pg_backend_pid() = ANY (pg_blocking_pids(w.pid))";
    /**
     * Physical standbys only: a logical walsender (a subscription, a CDC connector) is connected to a database;
     * its consumer's delay says nothing about the replicas the auth service may read from. Without
     * pg_read_all_stats every column but pid is null: the standbys are counted, their lag is hidden.
     */
    private static final String STANDBYS = "(SELECT count(*) AS standbys, count(r.state) AS visible,"
            + " (1000 * extract(epoch FROM max(greatest(r.write_lag, r.flush_lag, r.replay_lag))))::bigint AS lag_ms"
            + " FROM pg_stat_replication r WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a"
            + " WHERE a.pid = r.pid AND a.datid IS NOT NULL)) s";
    private static final String NO_STANDBYS = "(SELECT 0::bigint AS standbys, 0::bigint AS visible, NULL::bigint AS lag_ms) s";
    /** Checkpoints not started by checkpoint_timeout: WAL past max_wal_size, or a CHECKPOINT or backup. */
    private static final String REQUESTED_SINCE_17 = "(SELECT num_requested AS requested FROM pg_stat_checkpointer) c";
    private static final String REQUESTED_BEFORE_17 = "(SELECT checkpoints_req AS requested FROM pg_stat_bgwriter) c";
    private static final String NO_CHECKPOINTS = "(SELECT -1::bigint AS requested) c";

    /**
     * One reading between batches.
     *
     * @param standbys             physical standbys streaming from this server
     * @param lag                  the furthest visible standby's lag (write, flush or replay, the largest); zero
     *                             when there is none or all have caught up; null when their lag is hidden
     * @param checkpointsRequested the requested-checkpoint counter, -1 when not read
     */
    record Readings(long standbys, Duration lag, long checkpointsRequested) {
        boolean lagHidden() {
            return standbys > 0 && lag == null;
        }
    }

    private DatabaseProbes() {
    }

    /** Inside the batch's transaction, before its commit: who waits for the locks it holds. */
    static int lockWaiters(Connection connection) throws SQLException {
        return (int) Jdbc.oneLong(connection, LOCK_WAITERS);
    }

    /** The server's WAL insert position in bytes; between batches, the caller ends the transaction it begins. */
    static long walPosition(Connection connection) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
    }

    /** Between batches; the caller ends the transaction this read begins. */
    static Readings read(Connection connection, boolean replication, boolean checkpoints) throws SQLException {
        String requested = !checkpoints ? NO_CHECKPOINTS
                : connection.getMetaData().getDatabaseMajorVersion() >= 17 ? REQUESTED_SINCE_17 : REQUESTED_BEFORE_17;
        return Jdbc.one(connection, "SELECT s.standbys, s.visible, s.lag_ms, c.requested FROM "
                        + (replication ? STANDBYS : NO_STANDBYS) + ", " + requested,
                rs -> {
                    long standbys = rs.getLong(1);
                    long visible = rs.getLong(2);
                    long lagMillis = rs.getLong(3);
                    Duration lag = standbys > 0 && visible == 0 ? null
                            : rs.wasNull() ? Duration.ZERO : Duration.ofMillis(lagMillis);
                    return new Readings(standbys, lag, rs.getLong(4));
                });
    }
}
