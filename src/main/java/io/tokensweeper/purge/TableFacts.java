package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
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

    private TableFacts() {
    }

    /** The table's OID now: the fence follows the table, not its name. */
    static long oid(Connection connection, PurgeTarget target) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT to_regclass(?)::oid::bigint")) {
            statement.setString(1, target.qualifiedTable());
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                long oid = rs.getLong(1);
                if (rs.wasNull()) {
                    throw new SQLException("the table " + target.displayName() + " no longer exists", "42P01");
                }
                return oid;
            }
        }
    }

    static long blocks(Connection connection, long oid) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_relation_size(?::bigint::oid) / current_setting('block_size')::bigint")) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * An SQL expression naming a row in reports: its primary key when that is numbers or uuids
     * ({@code id=42}), else its position ({@code ctid=(3,7)}), so that no token value is ever printed.
     */
    static String keyExpression(Connection connection, long oid) throws SQLException {
        List<String> parts = new ArrayList<>();
        boolean printable = true;
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT a.attname, t.typname FROM pg_index i"
                        + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                        + " JOIN pg_type t ON t.oid = a.atttypid"
                        + " WHERE i.indrelid = ?::bigint::oid AND i.indisprimary"
                        + " ORDER BY array_position(i.indkey::int2[], a.attnum)")) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    printable &= PRINTABLE_KEY_TYPES.contains(rs.getString(2));
                    parts.add(Sql.literal(rs.getString(1) + "=") + " || " + Sql.identifier(rs.getString(1)) + "::text");
                }
            }
        }
        if (parts.isEmpty() || !printable) {
            return "'ctid=' || ctid::text";
        }
        return "concat_ws(', ', " + String.join(", ", parts) + ")";
    }

    /** Another session's lock on the whole table that a DELETE must wait for, if any. */
    static Optional<String> tableLockHolder(Connection connection, long oid) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT l.pid, a.application_name, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'relation' AND l.database = " + THIS_DATABASE
                        + " AND l.relation = ?::bigint::oid AND l.granted AND l.pid <> pg_backend_pid()"
                        + " AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')"
                        + " LIMIT 1")) {
            statement.setLong(1, oid);
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of("backend pid " + rs.getInt(1) + " (" + application(rs.getString(2)) + ") holds "
                        + rs.getString(3) + " on the table");
            }
        }
    }

    /** Who holds the row at {@code tid} locked (the transaction in its xmax), for a skip report. */
    static String rowLockHolder(Connection connection, String qualifiedTable, Tid tid) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT a.pid, a.application_name, a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        + " WHERE l.locktype = 'transactionid' AND l.granted AND l.pid <> pg_backend_pid()"
                        + " AND l.transactionid = (SELECT xmax FROM ONLY " + qualifiedTable
                        + " WHERE ctid = " + tid.literal() + ") LIMIT 1")) {
            try (ResultSet rs = statement.executeQuery()) {
                if (!rs.next()) {
                    return "another transaction";
                }
                return "backend pid " + rs.getInt(1) + " (" + application(rs.getString(2)) + ", in a transaction since "
                        + rs.getTimestamp(3).toInstant() + ")";
            }
        }
    }

    private static String application(String name) {
        return name == null || name.isBlank() ? "no application_name" : "application " + name;
    }
}
