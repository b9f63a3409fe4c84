package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * One part of the doomed-row predicate walked in the order of an index: "expired by expires_at" over the
 * expiry index, "marked by revoked" over a partial index of the revoked rows. Each batch picks the next
 * doomed rows in (key, ctid) order from where the last one stopped, so the rows it deleted are never read
 * again, however many batches there are; a key shared by many rows (tokens imported with one expiry) is
 * walked through in position order, each batch reading only that key's entries.
 */
final class KeysetStream {
    /** Key types whose text form reads back exactly: the keyset position travels as text. */
    static final List<String> KEY_TYPES = List.of("int2", "int4", "int8", "uuid", "timestamp", "timestamptz");

    /** A picked row: where it is, its keyset key, and how reports name it. */
    record Picked(Tid tid, String key, String reportKey) {
        PurgeStatements.Row row() {
            return new PurgeStatements.Row(tid, reportKey);
        }
    }

    private final String label;
    private final String index;
    private final String firstBatch;
    private final String nextBatch;

    /**
     * @param key     the quoted key column: NOT NULL, or the part's own column (a NULL there is never doomed)
     * @param keyType its pg_type name, one of {@link #KEY_TYPES}
     */
    KeysetStream(String label, String index, String table, String partPredicate, String key, String keyType,
                 String keyExpression) {
        this.label = label;
        this.index = index;
        String select = "SELECT ctid::text AS picked_tid, " + key + "::text AS picked_key, " + keyExpression
                + " FROM ONLY " + table
                + " WHERE " + partPredicate;
        String order = " ORDER BY " + key + ", ctid LIMIT ?";
        this.firstBatch = select + order;
        // "key >= last" is what the index can use; the OR leaves out what was picked before at the last key.
        this.nextBatch = select + " AND " + key + " >= ?::" + keyType + " AND (" + key + " > ?::" + keyType
                + " OR ctid > ?::tid)" + order;
    }

    String label() {
        return label;
    }

    String index() {
        return index;
    }

    /** The next doomed rows in (key, ctid) order after {@code last}, the last row picked (null at first). */
    List<Picked> next(Connection connection, Picked last, int limit) throws SQLException {
        if (last == null) {
            return Jdbc.list(connection, firstBatch, KeysetStream::picked, limit);
        }
        return Jdbc.list(connection, nextBatch, KeysetStream::picked, last.key(), last.key(), last.tid().toString(),
                limit);
    }

    private static Picked picked(ResultSet rs) throws SQLException {
        return new Picked(Tid.parse(rs.getString(1)), rs.getString(2), rs.getString(3));
    }
}
