package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * What a run reads about its table while it runs: its identity, its size, how to name a row in a report,
 * and who holds a lock it waits for. pg_locks shows every database of the server: always filtered.
 */
final class TableFacts {
    private static final String THIS_DATABASE = "(SELECT d.oid FROM pg_database d WHERE d.datname = current_database())";
    /** Key types safe to print: numbers and uuids; a text key may be a token or its hash. */
    private static final List<String> PRINTABLE_KEY_TYPES = List.of("int2", "int4", "int8", "uuid");

    private record KeyColumn(String name, String type) {
    }

    private TableFacts() {
    }

    /** The table's OID now: the fence follows the table, not its name. */
    static long oid(Connection connection, PurgeTarget target) throws SQLException {
        Long oid = Jdbc.one(connection, "SELECT to_regclass(?)::oid::bigint", rs -> (Long) rs.getObject(1),
                target.qualifiedTable());
        if (oid == null) {
            throw new SQLException("the table " + target.displayName() + " no longer exists", "42P01");
        }
        return oid;
    }

    static long blocks(Connection connection, long oid) throws SQLException {
        return Jdbc.oneLong(connection,
                "SELECT pg_relation_size(?::bigint::oid) / current_setting('block_size')::bigint", oid);
    }

    /** Rows per block by the table's statistics, 0 when it was never analyzed or is empty. */
    static double rowsPerBlock(Connection connection, long oid) throws SQLException {
        return Jdbc.one(connection, "SELECT CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages"
                + " ELSE 0 END FROM pg_class WHERE oid = ?::bigint::oid", rs -> rs.getDouble(1), oid);
    }

    /**
     * An SQL expression naming a row in reports: its primary key when that is numbers or uuids
     * ({@code id=42}), else its position ({@code ctid=(3,7)}), so that no token value is ever printed.
     */
    static String keyExpression(Connection connection, long oid) throws SQLException {
        List<KeyColumn> key = Jdbc.list(connection, "SELECT a.attname, t.typname FROM pg_index i"
                        + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                        + " JOIN pg_type t ON t.oid = a.atttypid"
                        + " WHERE i.indrelid = ?::bigint::oid AND i.indisprimary"
                        + " ORDER BY array_position(i.indkey::int2[], a.attnum)",
                rs -> new KeyColumn(rs.getString(1), rs.getString(2)), oid);
        if (key.isEmpty() || !key.stream().allMatch(column -> PRINTABLE_KEY_TYPES.contains(column.type()))) {
            return "'ctid=' || ctid::text";
        }
        List<String> parts = key.stream()
                .map(column -> Sql.literal(column.name() + "=") + " || " + Sql.identifier(column.name()) + "::text")
                .toList();
        return "concat_ws(', ', " + String.join(", ", parts) + ")";
    }

    /** Another session's lock on the whole table that a DELETE must wait for, if any. */
    static Optional<String> tableLockHolder(Connection connection, long oid) throws SQLException {
        return Jdbc.first(connection, "SELECT l.pid, a.application_name, l.mode FROM pg_locks l"
                        + " JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'relation' AND l.database = " + THIS_DATABASE
                        + " AND l.relation = ?::bigint::oid AND l.granted AND l.pid <> pg_backend_pid()"
                        + " AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')"
                        + " LIMIT 1",
                rs -> "backend pid " + rs.getInt(1) + " (" + application(rs.getString(2)) + ") holds "
                        + rs.getString(3) + " on the table", oid);
    }

    /** Who holds the row at {@code tid} locked (the transaction in its xmax), for a skip report. */
    static String rowLockHolder(Connection connection, String qualifiedTable, Tid tid) throws SQLException {
        return Jdbc.first(connection, "SELECT a.pid, a.application_name, a.xact_start FROM pg_locks l"
                        + " JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'transactionid' AND l.granted AND l.pid <> pg_backend_pid()"
                        + " AND l.transactionid = (SELECT xmax FROM ONLY " + qualifiedTable
                        + " WHERE ctid = " + tid.literal() + ") LIMIT 1",
                rs -> "backend pid " + rs.getInt(1) + " (" + application(rs.getString(2))
                        + ", in a transaction since " + rs.getTimestamp(3).toInstant() + ")")
                .orElse("another transaction");
    }

    private static String application(String name) {
        return name == null || name.isBlank() ? "no application_name" : "application " + name;
    }
}
