package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks configured targets against the live catalog: the table is an ordinary or a partitioned table, the columns exist
 * with types we understand, and we may delete from it. Every configured name is looked up as data, so
 * a name like {@code refresh_tokens; drop table x} is simply a table that does not exist.
 */
public final class TargetCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(TargetCatalog.class);

    private final DataSource dataSource;

    public TargetCatalog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** At start, with a WAL budget: the database user may read the WAL position. */
    public void requireWalBudgetReadable() {
        try (Connection connection = dataSource.getConnection()) {
            requireWalPositionReadable(connection);
        } catch (SQLException e) {
            throw new TargetConfigurationException("cleanup.pacing.maxWalPerSecond: could not check that the database"
                    + " user may read the WAL position: " + e.getMessage(), e);
        }
    }

    /** At start: checks the target and logs what it found (side effects, a flag column of none). */
    public PurgeTarget resolve(TargetFactory config) {
        return resolve(config, true);
    }

    /**
     * Before each run: the same checks, quietly, waiting for locks no longer than a run's statements would (an
     * ALTER TABLE in progress must fail the run, not hang it). The auth service owns the schema and may change a
     * column's type or recreate the table while nodes run; a predicate built for yesterday's types could delete
     * live rows.
     */
    public PurgeTarget recheck(TargetFactory config, BatchSettings batch) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                Jdbc.execute(connection, "SELECT set_config('lock_timeout', ?, true),"
                                + " set_config('statement_timeout', ?, true)",
                        batch.lockTimeout().toMillis() + "ms", batch.statementTimeout().toMillis() + "ms");
                if (batch.pacing().limitsWal()) {
                    requireWalPositionReadable(connection);
                }
                return resolve(connection, config, false);
            } finally {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new TargetConfigurationException(config.configPath() + ": could not read the catalog for "
                    + config.getSchema() + "." + config.getTable() + ": " + e.getMessage() + lockHolder(config, e), e);
        }
    }

    /** Who holds the table locked, when a lock wait ended the check: the operator's first question. */
    private String lockHolder(TargetFactory config, SQLException e) {
        if (!"55P03".equals(e.getSQLState())) {
            return "";
        }
        try (Connection connection = dataSource.getConnection()) {
            Long oid = Jdbc.one(connection, "SELECT to_regclass(?)::oid::bigint", rs -> (Long) rs.getObject(1),
                    Sql.identifier(config.getSchema()) + "." + Sql.identifier(config.getTable()));
            return oid == null ? "" : TableFacts.tableLockHolder(connection, oid).map(h -> " (" + h + ")").orElse("");
        } catch (SQLException lookup) {
            return "";
        }
    }

    private PurgeTarget resolve(TargetFactory config, boolean report) {
        try (Connection connection = dataSource.getConnection()) {
            return resolve(connection, config, report);
        } catch (SQLException e) {
            throw new TargetConfigurationException(config.configPath() + ": could not read the catalog for "
                    + config.getSchema() + "." + config.getTable() + ": " + e.getMessage(), e);
        }
    }

    private PurgeTarget resolve(Connection connection, TargetFactory config, boolean report) throws SQLException {
        String path = config.configPath();
        String display = config.getSchema() + "." + config.getTable();
        Found table = findTable(connection, config, path, display);
        long tableOid = table.oid();
        boolean partitioned = "p".equals(table.kind());
        Map<String, String> columns = columns(connection, tableOid);
        Column expiresAt = column(columns, config.getExpiresAtColumn(), path + ".expiresAtColumn", display,
                "timestamptz or timestamp");
        if (!expiresAt.type().isTimestamp()) {
            throw wrongType(path + ".expiresAtColumn", display, expiresAt, "timestamptz or timestamp");
        }
        Optional<Column> marker = marker(connection, config, tableOid, columns, expiresAt, display, report);
        if (expiresAt.type() == ColumnType.TIMESTAMP
                || marker.filter(column -> column.type() == ColumnType.TIMESTAMP).isPresent()) {
            checkZoneAgrees(connection, config, path);
        }
        checkDeletePrivilege(connection, tableOid, path, display);
        checkLocksReadable(connection, display);
        RowSecurityCheck.requireEveryRowVisible(connection, tableOid, path, config.getSchema(), config.getTable());
        if (partitioned) {
            // A run deletes from each leaf directly (ONLY leaf): the leaf's own privileges and policies apply there,
            // not the parent's.
            for (Partitions.Leaf leaf : Partitions.leaves(connection, tableOid)) {
                checkDeletePrivilege(connection, leaf.oid(), path, "partition " + leaf.displayName() + " of " + display);
                RowSecurityCheck.requireEveryRowVisible(connection, leaf.oid(), path, leaf.schema(), leaf.table());
            }
            if (report) {
                LOG.info("{}.table: {} is {}", path, display, Partitions.describe(connection, tableOid,
                        config.isDropDoomedPartitions()));
            }
        }
        List<DeleteSideEffect> sideEffects = SideEffectCatalog.list(connection, tableOid);
        if (report) {
            SideEffectCatalog.log(config.job(), display, sideEffects);
        }
        return new PurgeTarget(config.job(), config.getSchema(), config.getTable(), expiresAt, marker,
                config.getTimestampZone(), config.exactRetention().orElseThrow(() -> new IllegalStateException(
                        "retention " + config.getRetention() + " above the limit passed validation")), sideEffects, partitioned,
                Optional.empty(), partitioned && config.isDropDoomedPartitions());
    }

    private record Found(long oid, String kind) {
    }

    private Found findTable(Connection connection, TargetFactory config, String path, String display)
            throws SQLException {
        Optional<Found> table = Jdbc.first(connection, "SELECT c.oid, c.relkind FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?",
                rs -> new Found(rs.getLong(1), rs.getString(2)), config.getSchema(), config.getTable());
        if (table.isEmpty()) {
            throw new TargetConfigurationException(path + ".table: table " + display + " does not exist; "
                    + tablesIn(connection, config.getSchema()));
        }
        Found found = table.get();
        if (!"r".equals(found.kind()) && !"p".equals(found.kind())) {
            throw new TargetConfigurationException(path + ".table: " + display
                    + " is not an ordinary table (relkind '" + found.kind() + "')");
        }
        return found;
    }

    private String tablesIn(Connection connection, String schema) throws SQLException {
        List<String> names = Jdbc.list(connection, "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') ORDER BY 1 LIMIT 50",
                rs -> rs.getString(1), schema);
        return names.isEmpty() ? "schema " + schema + " has no tables (or does not exist)"
                : "tables in schema " + schema + ": " + String.join(", ", names);
    }

    private static Map<String, String> columns(Connection connection, long tableOid) throws SQLException {
        Map<String, String> columns = new LinkedHashMap<>();
        Jdbc.list(connection, "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                        + " WHERE a.attrelid = ?::bigint::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                rs -> columns.put(rs.getString(1), rs.getString(2)), tableOid);
        return columns;
    }

    private static Column column(Map<String, String> columns, String name, String key, String display,
                                 String expected) {
        String typname = columns.get(name);
        if (typname == null) {
            throw new TargetConfigurationException(key + ": column \"" + name + "\" does not exist in " + display
                    + "; its columns are: " + describe(columns));
        }
        Optional<ColumnType> type = ColumnType.fromPgTypeName(typname);
        if (type.isEmpty()) {
            throw new TargetConfigurationException(key + ": column \"" + name + "\" of " + display + " has type "
                    + typname + ", expected " + expected);
        }
        return new Column(name, type.get());
    }

    /** The revoked/used column, unless configured as none; refused when it could count a live row as set. */
    private static Optional<Column> marker(Connection connection, TargetFactory config, long tableOid,
                                           Map<String, String> columns, Column expiresAt, String display,
                                           boolean report) throws SQLException {
        String key = config.configPath() + "." + config.markerColumnKey();
        String meaning = config.markerColumnKey().replace("Column", "");
        if (TargetFactory.NO_FLAG_COLUMN.equals(config.markerColumn())) {
            if (report) {
                LOG.info("{}: {}, so rows of {} are deleted only when they expire, never for being {}", key,
                        TargetFactory.NO_FLAG_COLUMN, display, meaning);
            }
            return Optional.empty();
        }
        Column marker = column(columns, config.markerColumn(), key, display, "boolean, timestamptz or timestamp");
        FlagColumnCheck.check(connection, tableOid, marker, expiresAt, key, display, meaning);
        return Optional.of(marker);
    }

    private static TargetConfigurationException wrongType(String key, String display, Column column,
                                                          String expected) {
        return new TargetConfigurationException(key + ": column \"" + column.name() + "\" of " + display
                + " has type " + column.type().name().toLowerCase(java.util.Locale.ROOT) + ", expected " + expected);
    }

    private static String describe(Map<String, String> columns) {
        List<String> parts = new ArrayList<>();
        columns.forEach((name, type) -> parts.add(name + " (" + type + ")"));
        return String.join(", ", parts);
    }

    /** Naive timestamps are read in the zone by PostgreSQL: it must read the zone exactly as Java does. */
    private static void checkZoneAgrees(Connection connection, TargetFactory config, String path) {
        ZoneAgreement.check(connection, config.getTimestampZone(), path + ".timestampZone");
    }

    private static void checkDeletePrivilege(Connection connection, long tableOid, String path, String display)
            throws SQLException {
        Jdbc.one(connection, "SELECT has_table_privilege(?::bigint::oid, 'SELECT')"
                        + " AND has_table_privilege(?::bigint::oid, 'DELETE'), current_user",
                rs -> {
                    if (!rs.getBoolean(1)) {
                        throw new TargetConfigurationException(path + ".table: database user " + rs.getString(2)
                                + " may not SELECT and DELETE on " + display
                                + " (see db/least-privilege.sql for the grants)");
                    }
                    return null;
                }, tableOid, tableOid);
    }

    /**
     * With a WAL budget each batch reads the server's WAL position; PostgreSQL lets any role, but a hardened server
     * may have revoked it, and the budget would then be given up in every run: refused at start and before each run.
     */
    static void requireWalPositionReadable(Connection connection) throws SQLException {
        Jdbc.one(connection, "SELECT has_function_privilege('pg_catalog.pg_current_wal_insert_lsn()', 'EXECUTE'),"
                + " current_user", rs -> {
            if (!rs.getBoolean(1)) {
                throw new TargetConfigurationException("cleanup.pacing.maxWalPerSecond: database user "
                        + rs.getString(2) + " may not execute pg_catalog.pg_current_wal_insert_lsn() (this server"
                        + " revoked it from PUBLIC), which the WAL budget reads around each batch: GRANT EXECUTE ON"
                        + " FUNCTION pg_catalog.pg_current_wal_insert_lsn() TO " + Sql.identifier(rs.getString(2))
                        + ", or set maxWalPerSecond: 0");
            }
            return null;
        });
    }

    /**
     * pg_locks tells whether a purge of the table runs and who holds a lock its DELETEs wait for; PostgreSQL grants
     * it to PUBLIC, and without it every run failed before deleting a row.
     */
    private static void checkLocksReadable(Connection connection, String display) throws SQLException {
        Jdbc.one(connection, "SELECT has_table_privilege('pg_catalog.pg_locks', 'SELECT'), current_user", rs -> {
            if (!rs.getBoolean(1)) {
                throw new TargetConfigurationException("database.user: database user " + rs.getString(2)
                        + " may not read pg_catalog.pg_locks (this server revoked it from PUBLIC, which PostgreSQL"
                        + " grants it to); token-sweeper reads it to tell whether a purge of " + display
                        + " is running and who holds the locks its DELETEs wait for: GRANT SELECT ON"
                        + " pg_catalog.pg_locks TO " + Sql.identifier(rs.getString(2)));
            }
            return null;
        });
    }
}
