package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A table's storage as PostgreSQL sees it at {@code readAt} (the database's clock): its size, its live and dead
 * tuples and when it was last vacuumed ({@code pg_stat_user_tables}), and the dead tuples above which autovacuum
 * vacuums it, computed as autovacuum does ({@code relation_needs_vacanalyze}): {@code autovacuum_vacuum_threshold
 * + autovacuum_vacuum_scale_factor * reltuples} (reltuples taken as 0 before the first VACUUM or ANALYZE), capped
 * by {@code autovacuum_vacuum_max_threshold} on PostgreSQL 18+, each from the table's reloptions when set there,
 * else from the server's settings. {@code autovacuumOff} says why autovacuum will not vacuum the table at all, or
 * is null when it may.
 */
record TableSpace(long tableBytes, long heapBytes, long liveTuples, long deadTuples, double autovacuumThreshold,
                  Instant lastAutovacuum, Instant lastVacuum, String autovacuumOff, Instant readAt) {
    private static final Logger LOG = LoggerFactory.getLogger(TableSpace.class);

    private static final String OPTION = "(SELECT o.option_value FROM pg_options_to_table(c.reloptions) o"
            + " WHERE o.option_name = '%s')";

    /**
     * pg_stat_user_tables is fed by each backend's statistics, which PostgreSQL 15+ publishes when the backend goes
     * idle, but at most once a second: a run's last batches could be missing from it for up to a few seconds. Asks
     * this session's backend to publish them as soon as it is idle, which is before it answers this statement.
     * PostgreSQL 14's statistics collector has no such call; there the figures may lag the run by about a second.
     * Never fails: the figures are then just less fresh.
     */
    static void flushStatistics(Connection connection) {
        try {
            if (connection.getMetaData().getDatabaseMajorVersion() >= 15) {
                Jdbc.execute(connection, "SELECT pg_stat_force_next_flush()");
            }
        } catch (SQLException e) {
            LOG.debug("Could not ask the run's backend to publish its statistics", e);
        }
    }

    /** The table's space now; empty when no table has that name (any more). */
    static Optional<TableSpace> read(Connection connection, String qualifiedTable) throws SQLException {
        return Jdbc.first(connection, "SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid),"
                        + " coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0), s.last_autovacuum, s.last_vacuum,"
                        + " greatest(c.reltuples, 0)::float8 AS reltuples,"
                        + " coalesce(" + option("autovacuum_vacuum_threshold")
                        + ", current_setting('autovacuum_vacuum_threshold'))::float8 AS base,"
                        + " coalesce(" + option("autovacuum_vacuum_scale_factor")
                        + ", current_setting('autovacuum_vacuum_scale_factor'))::float8 AS scale,"
                        // PostgreSQL 18+; missing (NULL) before, which means no cap, as -1 does.
                        + " coalesce(" + option("autovacuum_vacuum_max_threshold")
                        + ", current_setting('autovacuum_vacuum_max_threshold', true), '-1')::float8 AS cap,"
                        + " coalesce(" + option("autovacuum_enabled") + ", 'on')::boolean AS table_enabled,"
                        + " current_setting('autovacuum')::boolean AS server_enabled,"
                        + " current_setting('track_counts')::boolean AS track_counts,"
                        + " statement_timestamp() AS read_at"
                        + " FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
                        + " WHERE c.oid = to_regclass(?)",
                TableSpace::of, qualifiedTable);
    }

    private static String option(String name) {
        return String.format(OPTION, name);
    }

    private static TableSpace of(ResultSet rs) throws SQLException {
        double threshold = rs.getDouble("base") + rs.getDouble("scale") * rs.getDouble("reltuples");
        double cap = rs.getDouble("cap");
        if (cap >= 0 && threshold > cap) {
            threshold = cap;
        }
        String off = !rs.getBoolean("table_enabled") ? "autovacuum_enabled=false on the table"
                : !rs.getBoolean("server_enabled") ? "autovacuum is off on the server"
                : !rs.getBoolean("track_counts") ? "track_counts is off on the server, so autovacuum has no counts"
                : null;
        return new TableSpace(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), threshold,
                instant(rs.getTimestamp(5)), instant(rs.getTimestamp(6)), off, instant(rs.getTimestamp("read_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    /** The later of the last autovacuum and the last manual VACUUM; null when neither is known. */
    Instant lastAnyVacuum() {
        if (lastAutovacuum == null) {
            return lastVacuum;
        }
        return lastVacuum == null || lastAutovacuum.isAfter(lastVacuum) ? lastAutovacuum : lastVacuum;
    }

    /** What a run records of it. */
    RunSpace record(String autovacuumWarning) {
        return new RunSpace(tableBytes, heapBytes, liveTuples, deadTuples, (long) Math.floor(autovacuumThreshold),
                lastAutovacuum, lastVacuum, autovacuumWarning);
    }
}
