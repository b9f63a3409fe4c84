package io.tokensweeper.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one JDBC idiom of the code base: prepare, bind in order, execute, read, close. Parameters are always
 * bound; only identifiers already checked against the catalog and quoted, or numbers we computed, are ever
 * part of the SQL text.
 */
public final class Jdbc {
    /** Reads one row. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private Jdbc() {
    }

    public static <T> List<T> list(Connection connection, String sql, Row<T> row, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rs = statement.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(row.read(rs));
            }
            return rows;
        }
    }

    public static <T> Optional<T> first(Connection connection, String sql, Row<T> row, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rs = statement.executeQuery()) {
            return rs.next() ? Optional.ofNullable(row.read(rs)) : Optional.empty();
        }
    }

    /** A query that always returns one row, such as {@code SELECT count(*)}. */
    public static <T> T one(Connection connection, String sql, Row<T> row, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters);
             ResultSet rs = statement.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("no row from a query that always returns one: " + sql);
            }
            return row.read(rs);
        }
    }

    public static long oneLong(Connection connection, String sql, Object... parameters) throws SQLException {
        return one(connection, sql, rs -> rs.getLong(1), parameters);
    }

    public static boolean oneBoolean(Connection connection, String sql, Object... parameters) throws SQLException {
        return one(connection, sql, rs -> rs.getBoolean(1), parameters);
    }

    /** An INSERT, UPDATE or DELETE; the number of rows it changed. */
    public static int update(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters)) {
            return statement.executeUpdate();
        }
    }

    /** Reads what one statement of a {@link #compound} returned, its rows before the first. */
    public interface Result {
        void read(ResultSet rs) throws SQLException;
    }

    /**
     * Several statements separated by semicolons, sent together (one round trip): the rows their INSERTs, UPDATEs
     * and DELETEs changed, summed. The statements that return rows are read, in order, by {@code results}.
     */
    public static long compound(Connection connection, String sql, List<Result> results, Object... parameters)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters)) {
            long changed = 0;
            int read = 0;
            boolean isResultSet = statement.execute();
            while (true) {
                if (isResultSet) {
                    try (ResultSet rs = statement.getResultSet()) {
                        results.get(read++).read(rs);
                    }
                } else {
                    int count = statement.getUpdateCount();
                    if (count == -1) {
                        return changed;
                    }
                    changed += count;
                }
                isResultSet = statement.getMoreResults();
            }
        }
    }

    /** A statement whose result, if any, does not matter (a set_config, a lock function). */
    public static void execute(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, parameters)) {
            statement.execute();
        }
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... parameters)
            throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement;
        } catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }
}
