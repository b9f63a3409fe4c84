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

        Position position() {
            return new Position(key, tid);
        }
    }

    private final String label;
    private final String index;
    private final String firstBatch;
    private final String nextBatch;
    private final String firstDelete;
    private final String nextDelete;
    private final String keptFirst;
    private final String keptNext;

    /**
     * @param key     the quoted key column: NOT NULL, or the part's own column (a NULL there is never doomed)
     * @param keyType its pg_type name, one of {@link #KEY_TYPES}
     */
    KeysetStream(String label, String index, String table, String partPredicate, String key, String keyType,
                 String keyExpression, String doomedPredicate) {
        this.label = label;
        this.index = index;
        String select = "SELECT ctid::text AS picked_tid, " + key + "::text AS picked_key, " + keyExpression
                + " FROM ONLY " + table
                + " WHERE " + partPredicate;
        String order = " ORDER BY " + key + ", ctid LIMIT ?";
        this.firstBatch = select + order;
        // "key >= last" is what the index can use; the OR leaves out what was picked before at the last key.
        String after = " AND " + key + " >= ?::" + keyType + " AND (" + key + " > ?::" + keyType + " OR ctid > ?::tid)";
        this.nextBatch = select + after + order;
        // One statement a batch: pick, delete (the full predicate re-checked), and say where the next one starts.
        // Nothing per row travels to the node; RETURNING only counts.
        String pick = "WITH picked AS MATERIALIZED (SELECT ctid, " + key + " AS k FROM ONLY " + table + " WHERE "
                + partPredicate;
        String delete = order + "), deleted AS (DELETE FROM ONLY " + table + " WHERE ctid = ANY (ARRAY(SELECT ctid"
                + " FROM picked)) AND " + doomedPredicate + " RETURNING 1), last AS (SELECT k::text AS k, ctid::text"
                + " AS c FROM picked ORDER BY k DESC, ctid DESC LIMIT 1) SELECT (SELECT count(*) FROM picked),"
                + " (SELECT count(*) FROM deleted), (SELECT k FROM last), (SELECT c FROM last)";
        this.firstDelete = pick + delete;
        this.nextDelete = pick + after + delete;
        // After such a statement, in its transaction: the picked rows still there and doomed were kept silently.
        String kept = select + " AND (" + key + ", ctid) <= (?::" + keyType + ", ?::tid) AND " + doomedPredicate;
        this.keptFirst = kept;
        this.keptNext = kept + after;
    }

    /** Where a batch stopped: the last row it picked. */
    record Position(String key, Tid tid) {
    }

    /** What one batch did: rows picked, rows deleted, and where the next batch starts (null: nothing picked). */
    record Batch(long picked, long deleted, Position last) {
    }

    /** Picks the next doomed rows after {@code after} (null at first) and deletes them, in one statement. */
    Batch deleteNext(Connection connection, Position after, int limit) throws SQLException {
        Jdbc.Row<Batch> batch = rs -> new Batch(rs.getLong(1), rs.getLong(2),
                rs.getString(3) == null ? null : new Position(rs.getString(3), Tid.parse(rs.getString(4))));
        if (after == null) {
            return Jdbc.one(connection, firstDelete, batch, limit);
        }
        return Jdbc.one(connection, nextDelete, batch, after.key(), after.key(), after.tid().toString(), limit);
    }

    /** The rows a batch picked (after {@code after}, up to {@code last}) that are still there and doomed. */
    List<PurgeStatements.Row> keptBy(Connection connection, Position after, Position last) throws SQLException {
        Jdbc.Row<PurgeStatements.Row> row = rs -> new PurgeStatements.Row(Tid.parse(rs.getString(1)), rs.getString(3));
        if (after == null) {
            return Jdbc.list(connection, keptFirst, row, last.key(), last.tid().toString());
        }
        return Jdbc.list(connection, keptNext, row, last.key(), last.tid().toString(), after.key(), after.key(),
                after.tid().toString());
    }

    String label() {
        return label;
    }

    String index() {
        return index;
    }

    /** The next doomed rows in (key, ctid) order after {@code after} (null at first), with their report keys. */
    List<Picked> next(Connection connection, Position after, int limit) throws SQLException {
        if (after == null) {
            return Jdbc.list(connection, firstBatch, KeysetStream::picked, limit);
        }
        return Jdbc.list(connection, nextBatch, KeysetStream::picked, after.key(), after.key(), after.tid().toString(),
                limit);
    }

    private static Picked picked(ResultSet rs) throws SQLException {
        return new Picked(Tid.parse(rs.getString(1)), rs.getString(2), rs.getString(3));
    }
}
