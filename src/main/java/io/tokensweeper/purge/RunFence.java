package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * A PostgreSQL session advisory lock per target table, keyed by the table's OID and held by the run's
 * connection for the whole run. Quartz keeps one run of a job at a time in the cluster, but a node that
 * froze past its check-in can wake up still running; the database, not the scheduler, then guarantees
 * that no two purges of a table overlap. Advisory locks belong to one database; pg_locks shows them all,
 * so every lookup names this one.
 */
final class RunFence {
    /** First half of the two-int advisory key: "SW", so our locks are recognisable in pg_locks. */
    private static final int KEY_SPACE = 0x5357;
    private static final String HELD = " FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
            + " AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())"
            + " AND l.classid = ?::bigint::oid AND l.objid = ?::bigint::oid AND l.objsubid = 2";

    private RunFence() {
    }

    /**
     * Takes the fence, waiting up to {@code wait} for it: others hold it for a moment too (a starting node
     * closing abandoned runs), and a run must not fail for that. A real run holds it far longer.
     */
    static boolean acquire(Connection connection, long tableOid, Duration wait)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!tryAcquire(connection, tableOid)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    static boolean tryAcquire(Connection connection, long tableOid) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT pg_try_advisory_lock(?, ?)", KEY_SPACE, (int) tableOid);
    }

    static void release(Connection connection, long tableOid) throws SQLException {
        Jdbc.execute(connection, "SELECT pg_advisory_unlock(?, ?)", KEY_SPACE, (int) tableOid);
    }

    /** Whether some session holds the table's fence now, that is, whether a purge of it is running. */
    static boolean isHeld(Connection connection, long tableOid) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT count(*)" + HELD, (long) KEY_SPACE, tableOid) > 0;
    }

    /** Who holds the fence, for the message of a run that could not take it. */
    static String holder(Connection connection, long tableOid) throws SQLException {
        return Jdbc.first(connection, "SELECT a.pid, a.application_name, a.client_addr"
                        + HELD.replace(" WHERE ", " JOIN pg_stat_activity a ON a.pid = l.pid WHERE ") + " LIMIT 1",
                rs -> "backend pid " + rs.getInt(1) + " (" + rs.getString(2) + ", " + rs.getString(3) + ")",
                (long) KEY_SPACE, tableOid).orElse("another session");
    }
}
