package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One part of the doomed-row predicate walked in the order of an index: "expired by expires_at" over the
 * expiry index, "marked by revoked" over a partial index of the revoked rows. Batches go in key order from where
 * the last one stopped, so the rows it deleted are never read again, however many batches there are.
 *
 * <p>A batch is a key range: the index alone (an index-only scan) says where the next batch.size rows end, and the
 * DELETE takes the range, so the planner reads its rows as the single DELETE does, each heap page once in block
 * order (a bitmap heap scan), not one random heap access per row to pick it and another to delete it. A key shared
 * by more rows than a batch holds (tokens imported with one expiry) cannot be split by key: its rows go in
 * (key, ctid) order, each batch picking the next rows by position ({@link #deleteNext}).
 */
final class KeysetStream {
    /** The transaction-local setting a range's recount goes into, for its DELETE to read. */
    private static final String RANGE_ROWS = "token_sweeper.range_rows";
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
    private final boolean byRange;
    private final String index;
    private final String firstBatch;
    private final String nextBatch;
    private final String firstDelete;
    private final String nextDelete;
    private final String keptFirst;
    private final String keptNext;
    private final String boundFirst;
    private final String boundFrom;
    private final String deleteRange;
    private final String deleteTail;
    private final String keptInRange;
    private final String keptInTail;

    /**
     * @param key     the quoted key column: NOT NULL, or the part's own column (a NULL there is never doomed)
     * @param keyType its pg_type name, one of {@link #KEY_TYPES}
     * @param indexPredicate the part as the index reads it without the table (a boolean marker as the partial
     *                       index's own "WHERE revoked"): what the range bounds are counted with
     * @param byRange        whether batches may be key ranges; false: every batch goes by position
     */
    KeysetStream(String label, String index, String table, String partPredicate, String indexPredicate, String key,
                 String keyType, String keyExpression, String doomedPredicate, boolean byRange) {
        this.label = label;
        this.byRange = byRange;
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
        // Where the next batch ends, from the index alone (index-only scans, nothing materialized): the first key
        // from a key on, the key of the (limit + 1)-th row (the range [first, that key) then holds at most limit
        // rows), and, when there is no such row (all that is left fits in one batch), the last key. No min()/max():
        // uuid has none; the index's own order instead. One statement: the three read one snapshot.
        // IS NOT NULL: the key is NOT NULL or the part's own column when the walk is chosen, but a NULL key (the
        // constraint dropped mid-run) would read as "no (limit + 1)-th row" and sort first in DESC order.
        String keyed = indexPredicate + " AND " + key + " IS NOT NULL";
        this.boundFirst = bound(table, keyed, key);
        this.boundFrom = bound(table, keyed + " AND " + key + " >= ?::" + keyType, key);
        // The DELETE of one range, read as a bitmap of its index entries: each heap page once, in block order, with
        // the server's read-ahead. The planner would rather take a plain index scan (it prices a key range as
        // adjacent pages when the key follows the heap order, but doomed rows are single rows on many pages), one
        // random heap access per row: so index scans are off for that one statement. Then, in the same round
        // trip and transaction, the bound of the next range (rows at or above this range's end are untouched).
        // The range was bounded a statement (and a pause) ago: first the index alone counts it again, at most
        // limit + 1, into a transaction-local setting, and the DELETE runs only if that is at most limit (a
        // one-time filter: otherwise it reads nothing), so rows the auth service turned doomed in the range since
        // are never deleted past the bound, not even in a statement later rolled back.
        String recount = "SELECT set_config('" + RANGE_ROWS + "', (SELECT count(*) FROM (SELECT 1 FROM ONLY " + table
                + " WHERE " + indexPredicate + " AND " + key + " >= ?::" + keyType + " AND " + key + " %s ?::" + keyType
                + " LIMIT ?) c)::text, true); ";
        String range = "DELETE FROM ONLY " + table + " WHERE current_setting('" + RANGE_ROWS + "')::bigint <= ? AND "
                + partPredicate + " AND " + key + " >= ?::" + keyType + " AND " + key;
        String bitmapOnly = "SET LOCAL enable_indexscan = off; ";
        String indexScansBack = "; SET LOCAL enable_indexscan TO DEFAULT";
        this.deleteRange = recount.formatted("<") + bitmapOnly + range + " < ?::" + keyType + " AND "
                + doomedPredicate + indexScansBack;
        this.deleteTail = recount.formatted("<=") + bitmapOnly + range + " <= ?::" + keyType + " AND "
                + doomedPredicate + indexScansBack;
        String keptRange = select + " AND " + key + " >= ?::" + keyType + " AND " + key;
        this.keptInRange = keptRange + " < ?::" + keyType + " AND " + doomedPredicate;
        this.keptInTail = keptRange + " <= ?::" + keyType + " AND " + doomedPredicate;
    }

    private static String bound(String table, String where, String key) {
        String keys = "(SELECT " + key + " AS k FROM ONLY " + table + " WHERE " + where + " ORDER BY " + key;
        return "WITH b AS MATERIALIZED (SELECT " + firstKey(keys + " LIMIT 1)") + " AS first, "
                + firstKey(keys + " OFFSET ? LIMIT 1)") + " AS beyond) SELECT first::text,"
                + " coalesce(beyond, " + firstKey(keys + " DESC LIMIT 1)") + ")::text, beyond IS NULL FROM b";
    }

    private static String firstKey(String keys) {
        return "(SELECT k FROM " + keys + " AS r)";
    }

    /**
     * Where the next batch ends: keys from {@code first} (null: no doomed row is left); unless {@code tail}, the
     * batch is [first, last), last being the key of the (limit + 1)-th row; a tail holds all that is left,
     * [first, last], last included.
     */
    record Bound(String first, String last, boolean tail) {
        boolean none() {
            return first == null;
        }

        /** The first limit + 1 rows share one key (the key types' text forms read back exactly). */
        boolean tied() {
            return !tail && first.equals(last);
        }
    }

    /**
     * What a range DELETE did: the rows it deleted of the {@code held} doomed rows its range held just before (the
     * recount), and the bound of the range after it (null after the tail); {@code grown}: the range held more than
     * limit rows when it was to be deleted, and the DELETE did not run.
     */
    record RangeBatch(long deleted, long held, Bound next) {
        boolean grown(int limit) {
            return held > limit;
        }
    }

    /** The bound of the next batch from {@code from} on (null: from the first key). */
    Bound bound(Connection connection, String from, int limit) throws SQLException {
        if (from == null) {
            return Jdbc.one(connection, boundFirst, KeysetStream::bound, limit);
        }
        return Jdbc.one(connection, boundFrom, KeysetStream::bound, from, from, limit, from);
    }

    /**
     * Deletes the doomed rows of the bound's batch, in one statement, then (same round trip) runs the guard's check,
     * whose answer goes into {@code mayKeep[0]}, and after a range reads what lies beyond it.
     */
    RangeBatch deleteRange(Connection connection, Bound bound, int limit, TableGuard guard, boolean[] mayKeep)
            throws SQLException {
        // The guard's parameters hold nulls (no parent table): no List.of.
        List<Object> parameters = new ArrayList<>(Arrays.asList(guard.parametersAfter(connection, bound.first(),
                bound.last(), limit + 1, limit, bound.first(), bound.last())));
        long[] rows = new long[1];
        Jdbc.Result recounted = rs -> {
            rs.next();
            rows[0] = Long.parseLong(rs.getString(1));
        };
        if (bound.tail()) {
            long deleted = Jdbc.compound(connection, deleteTail + "; " + TableGuard.QUERY,
                    List.of(recounted, guard.verdictInto(mayKeep)), parameters.toArray());
            return new RangeBatch(deleted, rows[0], null);
        }
        parameters.addAll(List.of(bound.last(), bound.last(), limit, bound.last()));
        Bound[] next = new Bound[1];
        long deleted = Jdbc.compound(connection, deleteRange + "; " + TableGuard.QUERY + "; " + boundFrom,
                List.of(recounted, guard.verdictInto(mayKeep), rs -> {
                    rs.next();
                    next[0] = bound(rs);
                }), parameters.toArray());
        return new RangeBatch(deleted, rows[0], next[0]);
    }

    /** In the range DELETE's transaction: the doomed rows of its range still there (kept without an error). */
    List<PurgeStatements.Row> keptInRange(Connection connection, Bound bound) throws SQLException {
        Jdbc.Row<PurgeStatements.Row> row = rs -> new PurgeStatements.Row(Tid.parse(rs.getString(1)), rs.getString(3));
        return Jdbc.list(connection, bound.tail() ? keptInTail : keptInRange, row, bound.first(), bound.last());
    }

    private static Bound bound(ResultSet rs) throws SQLException {
        return new Bound(rs.getString(1), rs.getString(2), rs.getBoolean(3));
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

    /** Whether batches may be key ranges ({@link #deleteRange}); false: all go by position ({@link #deleteNext}). */
    boolean byRange() {
        return byRange;
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
