package io.tokensweeper.purge;

import com.zaxxer.hikari.HikariDataSource;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opt-in {@code VACUUM (ANALYZE)} of a target after a run that deleted a large part of it
 * ({@code cleanup.<target>.vacuumAfterPurge}). Never {@code VACUUM FULL}, which rewrites the table under an
 * ACCESS EXCLUSIVE lock that stops the auth service. A plain VACUUM takes a SHARE UPDATE EXCLUSIVE lock, which
 * reads and writes of the table pass; it makes the dead tuples' space reusable and refreshes the planner's
 * statistics (the ANALYZE), but returns space to the operating system only when the table's last pages are empty.
 * <p>
 * It runs after the run has ended and let go of its fence, outside any transaction (VACUUM refuses to run in
 * one), on a connection of its own: its {@code statement_timeout} is {@code vacuumTimeout}, not the batches', its
 * {@code lock_timeout} the run's (waiting in the lock queue behind an ALTER TABLE would hold back others), and its
 * cost-based delay autovacuum's ({@code autovacuum_vacuum_cost_delay} and {@code _cost_limit}): a manual VACUUM is
 * otherwise not throttled at all, and would compete with the auth service for I/O as the purge itself never does.
 * A node shutting down cancels it.
 */
final class VacuumAfterPurge {
    private static final Logger LOG = LoggerFactory.getLogger(VacuumAfterPurge.class);
    private static final List<String> SETTINGS =
            List.of("statement_timeout", "lock_timeout", "vacuum_cost_delay", "vacuum_cost_limit");
    private static final String QUERY_CANCELED = "57014";

    /** How it went, and the table's space right after it when it completed. */
    record Done(RunVacuum vacuum, TableSpace after) {
    }

    private final DataSource dataSource;
    private final Duration lockTimeout;
    private final StopSignal stopSignal;
    private final Set<Statement> running = ConcurrentHashMap.newKeySet();

    VacuumAfterPurge(DataSource dataSource, Duration lockTimeout, StopSignal stopSignal) {
        this.dataSource = dataSource;
        this.lockTimeout = lockTimeout;
        this.stopSignal = stopSignal;
    }

    /**
     * At start, for an opted-in target: the database user must be allowed to VACUUM and ANALYZE the table. Without
     * it PostgreSQL would not fail the VACUUM but skip the table with a warning, every run. Allowed: on PostgreSQL
     * 17+ whoever has the MAINTAIN privilege on it (its owner, a superuser, a member of pg_maintain, or a role it was
     * granted to); before 17 its owner (or a role that inherits the owner's privileges) and superusers; on every
     * version the database's owner, for tables that are not shared catalogs.
     */
    static void requirePrivilege(DataSource dataSource, TargetFactory config, PurgeTarget target) {
        String key = config.configPath() + ".vacuumAfterPurge";
        try (Connection connection = dataSource.getConnection()) {
            boolean maintain = connection.getMetaData().getDatabaseMajorVersion() >= 17;
            Jdbc.one(connection, "SELECT " + (maintain ? "has_table_privilege(c.oid, 'MAINTAIN')"
                            : "pg_has_role(c.relowner, 'USAGE')")
                            + " OR (pg_has_role(d.datdba, 'USAGE') AND NOT c.relisshared),"
                            + " current_user, pg_get_userbyid(c.relowner), current_setting('server_version')"
                            + " FROM pg_class c, pg_database d"
                            + " WHERE c.oid = to_regclass(?) AND d.datname = current_database()",
                    rs -> {
                        if (!rs.getBoolean(1)) {
                            throw new TargetConfigurationException(refusal(key, target, rs.getString(2),
                                    rs.getString(3), rs.getString(4), maintain));
                        }
                        return null;
                    }, target.qualifiedTable());
        } catch (SQLException e) {
            throw new TargetConfigurationException(key + ": could not check whether the database user may VACUUM "
                    + target.displayName() + ": " + e.getMessage(), e);
        }
        LOG.info("Purge {}: after a run that deletes at least {} of the rows of {}, VACUUM (ANALYZE) it ({}: true)",
                config.job(), percent(config.getVacuumMinDeletedFraction()), target.displayName(), key);
    }

    private static String refusal(String key, PurgeTarget target, String user, String owner, String version,
                                  boolean maintain) {
        String grant = maintain
                ? "it lacks the MAINTAIN privilege on the table (GRANT MAINTAIN ON " + target.qualifiedTable() + " TO "
                + Sql.identifier(user) + "), which its owner (" + owner + "), superusers and members of pg_maintain have"
                : "on PostgreSQL " + version + " only the table's owner (" + owner + ", or a role that inherits its"
                + " privileges), the database's owner or a superuser may VACUUM it; PostgreSQL 17 adds the MAINTAIN"
                + " privilege, which can be granted for this alone";
        return key + ": database user " + user + " may not VACUUM " + target.displayName() + ": " + grant
                + ". Grant it, or set " + key + ": false (autovacuum still vacuums the table)";
    }

    /** Why the VACUUM is not due after a run that deleted {@code rowsDeleted} rows, or empty when it is. */
    static Optional<String> notDue(TargetFactory config, long rowsDeleted, TableSpace space) {
        double fraction = rowsDeleted == 0 ? 0 : (double) rowsDeleted / (rowsDeleted + space.liveTuples());
        if (rowsDeleted > 0 && fraction >= config.getVacuumMinDeletedFraction()) {
            return Optional.empty();
        }
        return Optional.of("not due: the run deleted " + rowsDeleted + " rows, " + percent(fraction) + " of the"
                + " table's (rows deleted / (rows deleted + " + space.liveTuples() + " live)), below "
                + config.configPath() + ".vacuumMinDeletedFraction " + percent(config.getVacuumMinDeletedFraction()));
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }

    /** VACUUM (ANALYZE) the target now, waiting for it; never throws. */
    Done run(PurgeTarget target, Duration timeout) {
        if (stopSignal.isStopRequested()) {
            return new Done(RunVacuum.notRun("did not start: the node is shutting down"), null);
        }
        Connection connection;
        try {
            connection = dataSource.getConnection();
        } catch (SQLException e) {
            return new Done(RunVacuum.notRun("did not start: no database connection: " + e.getMessage()), null);
        }
        long started = 0;
        try {
            connection.setAutoCommit(true);
            Jdbc.execute(connection, "SELECT set_config('statement_timeout', ?, false),"
                            + " set_config('lock_timeout', ?, false),"
                            + " set_config('vacuum_cost_delay', CASE current_setting('autovacuum_vacuum_cost_delay')"
                            + " WHEN '-1' THEN current_setting('vacuum_cost_delay')"
                            + " ELSE current_setting('autovacuum_vacuum_cost_delay') END, false),"
                            + " set_config('vacuum_cost_limit', CASE current_setting('autovacuum_vacuum_cost_limit')"
                            + " WHEN '-1' THEN current_setting('vacuum_cost_limit')"
                            + " ELSE current_setting('autovacuum_vacuum_cost_limit') END, false)",
                    timeout.toMillis() + "ms", lockTimeout.toMillis() + "ms");
            try (Statement statement = connection.createStatement()) {
                running.add(statement);
                try {
                    if (stopSignal.isStopRequested()) {
                        return new Done(RunVacuum.notRun("did not start: the node is shutting down"), null);
                    }
                    started = System.nanoTime();
                    statement.execute("VACUUM (ANALYZE) " + target.qualifiedTable());
                } finally {
                    running.remove(statement);
                }
                long ms = millisSince(started);
                List<String> warnings = warnings(statement.getWarnings());
                if (warnings.stream().anyMatch(w -> w.contains("skipping"))) {
                    // Not allowed (any more): PostgreSQL skips the table with a warning instead of failing.
                    return new Done(new RunVacuum(false, ms, null, "PostgreSQL skipped it: "
                            + String.join("; ", warnings)), null);
                }
                TableSpace after = TableSpace.read(connection, target.qualifiedTable()).orElse(null);
                return new Done(new RunVacuum(true, ms, after == null ? null : after.deadTuples(),
                        warnings.isEmpty() ? null : String.join("; ", warnings)), after);
            }
        } catch (SQLException e) {
            LOG.debug("VACUUM of {} failed", target.displayName(), e);
            return new Done(new RunVacuum(false, started == 0 ? null : millisSince(started), null, failure(e, timeout)),
                    null);
        } finally {
            release(connection);
        }
    }

    private String failure(SQLException e, Duration timeout) {
        if (QUERY_CANCELED.equals(e.getSQLState()) && stopSignal.isStopRequested()) {
            return "cancelled: the node is shutting down (" + e.getMessage() + ")";
        }
        if (QUERY_CANCELED.equals(e.getSQLState())) {
            return "did not complete within vacuumTimeout " + timeout.toMillis() + " ms (" + e.getMessage()
                    + "); what it did so far stays done, autovacuum or the next VACUUM does the rest";
        }
        if ("55P03".equals(e.getSQLState())) {
            return "could not lock the table within lock_timeout " + lockTimeout.toMillis() + " ms (" + e.getMessage()
                    + "): a session holds a lock that conflicts with VACUUM's (ALTER TABLE, CREATE INDEX, another"
                    + " VACUUM)";
        }
        return "failed: " + e.getMessage();
    }

    private static List<String> warnings(SQLWarning warning) {
        List<String> messages = new ArrayList<>();
        for (SQLWarning w = warning; w != null; w = w.getNextWarning()) {
            messages.add(w.getMessage());
        }
        return messages;
    }

    private static long millisSince(long nanoTime) {
        return (System.nanoTime() - nanoTime) / 1_000_000;
    }

    /** Cancels the VACUUMs running now: the node is shutting down and must not wait for them. */
    void cancelRunning() {
        for (Statement statement : running) {
            try {
                statement.cancel();
            } catch (SQLException e) {
                LOG.debug("Could not cancel a VACUUM", e);
            }
        }
    }

    /** Back to the pool with the server's settings, or out of it when they cannot be reset. */
    private void release(Connection connection) {
        try {
            for (String setting : SETTINGS) {
                Jdbc.execute(connection, "RESET " + setting);
            }
            connection.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Could not reset the VACUUM's session; evicting its connection", e);
            if (dataSource instanceof HikariDataSource hikari) {
                hikari.evictConnection(connection);
            } else {
                try {
                    connection.close();
                } catch (SQLException closing) {
                    LOG.debug("Could not close the VACUUM's connection", closing);
                }
            }
        }
    }
}
