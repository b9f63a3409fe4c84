package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A PostgreSQL session advisory lock per target table, held by the run's connection for the whole run.
 * Quartz keeps one run of a job at a time in the cluster, but a node that froze past its check-in can
 * wake up still running; the database, not the scheduler, then guarantees no two purges overlap.
 */
final class RunFence {
    /** First half of the two-int advisory key: "SW", so our locks are recognisable in pg_locks. */
    private static final int KEY_SPACE = 0x5357;

    private RunFence() {
    }

    /**
     * Takes the fence, waiting up to {@code wait} for it: others hold it for a moment too (a starting node
     * closing abandoned runs), and a run must not fail for that. A real run holds it far longer.
     */
    static boolean acquire(Connection connection, PurgeTarget target, java.time.Duration wait)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!tryAcquire(connection, target)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    static boolean tryAcquire(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_try_advisory_lock(?, hashtext(?))")) {
            statement.setInt(1, KEY_SPACE);
            statement.setString(2, target.displayName());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    static void release(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_advisory_unlock(?, hashtext(?))")) {
            statement.setInt(1, KEY_SPACE);
            statement.setString(2, target.displayName());
            statement.executeQuery().close();
        }
    }

    /** Whether some session holds the target's fence now, that is, whether a purge of it is running. */
    static boolean isHeld(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = hashtext(?)::oid"
                        + " AND objsubid = 2 AND granted")) {
            statement.setLong(1, KEY_SPACE);
            statement.setString(2, target.displayName());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    /** Who holds the fence, for the message of a run that could not take it. */
    static String holder(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT a.pid, a.application_name, a.client_addr FROM pg_locks l"
                        + " JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'advisory' AND l.classid = ? AND l.objid = hashtext(?)::oid"
                        + " AND l.objsubid = 2 AND l.granted LIMIT 1")) {
            statement.setLong(1, KEY_SPACE);
            statement.setString(2, target.displayName());
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return "another session";
                }
                return "backend pid " + rs.getInt(1) + " (" + rs.getString(2) + ", " + rs.getString(3) + ")";
            }
        }
    }
}
