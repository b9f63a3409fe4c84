package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * The SQL one run sends for a target. Every DELETE carries the full doomed-row predicate, evaluated as
 * each row is deleted; positions only narrow it. Only numbers we computed go into TID literals.
 */
final class PurgeStatements {
    /**
     * What one statement over a heap range did: the doomed rows in the part it covered, those it deleted, and
     * where the next statement starts when it stopped at the row limit (null when it covered the whole range).
     */
    record RangeResult(long doomed, long deleted, Tid stoppedAt) {
        boolean hitLimit() {
            return stoppedAt != null;
        }
    }

    /** A doomed row that is still there, with its key for reports. */
    record Row(Tid tid, String key) {
    }

    private final String table;
    private final String predicate;
    private final String keyExpression;

    PurgeStatements(PurgeTarget target, String keyExpression) {
        this.table = target.qualifiedTable();
        this.predicate = DoomedRowPredicate.sql(target);
        this.keyExpression = keyExpression;
    }

    String keyExpression() {
        return keyExpression;
    }

    /**
     * Deletes the doomed rows of [from, to) in heap order up to, not including, the ({@code limit}+1)th: at most
     * {@code limit} rows. The first scan stops once it has found that many (a TID range scan returns rows in
     * heap order), the DELETE is a second TID range scan over the same, now cached, blocks: no sort, no list of
     * row positions. Says how many doomed rows were in the part it covered, how many it deleted, and where the
     * next statement starts (null when it covered the whole range). The positions are parameters, so the
     * server plans the statement once per session.
     */
    RangeResult deleteRange(Connection connection, Tid from, Tid to, int limit) throws SQLException {
        return Jdbc.one(connection, "WITH picked AS MATERIALIZED (SELECT ctid FROM ONLY " + table
                        + " WHERE ctid >= ?::tid AND ctid < ?::tid AND " + predicate + " LIMIT ? + 1),"
                        + " bound AS (SELECT count(*) AS n, max(ctid) AS last FROM picked),"
                        + " deleted AS (DELETE FROM ONLY " + table + " WHERE ctid >= ?::tid"
                        + " AND ctid < (SELECT CASE WHEN n > ? THEN last ELSE ?::tid END FROM bound)"
                        + " AND " + predicate + " RETURNING 1)"
                        + " SELECT least(n, ?), (SELECT count(*) FROM deleted), CASE WHEN n > ? THEN last::text END"
                        + " FROM bound",
                rs -> new RangeResult(rs.getLong(1), rs.getLong(2),
                        rs.getString(3) == null ? null : Tid.parse(rs.getString(3))),
                from.toString(), to.toString(), limit, from.toString(), limit, to.toString(), limit, limit);
    }

    /**
     * Deletes every doomed row of [from, to) in one TID range scan, with no limit: the caller rolls it back when
     * it deleted more than a statement may ({@link OptimisticBound}). No RETURNING: it would fetch each deleted
     * row once more. The guard's check goes in the same round trip, right after it: whether the table may keep
     * rows silently goes into {@code mayKeep[0]}.
     */
    long deleteAll(Connection connection, Tid from, Tid to, TableGuard guard, boolean[] mayKeep) throws SQLException {
        return Jdbc.compound(connection, "DELETE FROM ONLY " + table + " WHERE ctid >= ?::tid AND ctid < ?::tid AND "
                + predicate + "; " + TableGuard.QUERY, List.of(guard.verdictInto(mayKeep)),
                guard.parametersAfter(connection, from.toString(), to.toString()));
    }

    /** Deletes one row if it is (still) doomed; 1 or 0. */
    int deleteRow(Connection connection, Tid tid) throws SQLException {
        return Jdbc.update(connection, "DELETE FROM ONLY " + table + " WHERE ctid = ?::tid AND " + predicate,
                tid.toString());
    }

    /** The doomed rows of [from, to), in heap order. */
    List<Row> doomedRows(Connection connection, Tid from, Tid to) throws SQLException {
        return Jdbc.list(connection, "SELECT ctid::text AS row_tid, " + keyExpression + " FROM ONLY " + table
                + " WHERE ctid >= ?::tid AND ctid < ?::tid AND " + predicate + " ORDER BY ctid", PurgeStatements::row,
                from.toString(), to.toString());
    }

    /** The doomed row still at this position, if any: a DELETE that went past it without an error kept it. */
    Optional<Row> stillDoomed(Connection connection, Tid tid) throws SQLException {
        return Jdbc.first(connection, "SELECT ctid::text AS row_tid, " + keyExpression + " FROM ONLY " + table
                + " WHERE ctid = ?::tid AND " + predicate, PurgeStatements::row, tid.toString());
    }

    /** The doomed rows of [from, to). */
    long countRange(Connection connection, Tid from, Tid to) throws SQLException {
        return Jdbc.oneLong(connection, "SELECT count(*) FROM ONLY " + table + " WHERE ctid >= ?::tid"
                + " AND ctid < ?::tid AND " + predicate, from.toString(), to.toString());
    }

    /** Rows and doomed rows per block in a sample of blocks. */
    record Density(double rowsPerBlock, double doomedPerBlock) {
    }

    /** Rows and doomed rows per block among the first blocks: where the first piece's size comes from. */
    Density sample(Connection connection, Tid from, long sampleBlocks) throws SQLException {
        return Jdbc.one(connection, "SELECT count(*), count(*) FILTER (WHERE " + predicate + ") FROM ONLY " + table
                        + " WHERE ctid >= " + from.literal() + " AND ctid < "
                        + Tid.blockStart(from.block() + sampleBlocks).literal(),
                rs -> new Density((double) rs.getLong(1) / sampleBlocks, (double) rs.getLong(2) / sampleBlocks));
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(Tid.parse(rs.getString(1)), rs.getString(2));
    }

}
