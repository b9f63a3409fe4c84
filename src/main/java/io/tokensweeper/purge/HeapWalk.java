package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * One pass over a table's heap in block ranges. The first range is sized from the rows per block found
 * in the first blocks, so that it holds about {@code targetRows} rows; after each batch the next range is
 * scaled by how many rows the batch deleted against that target (at most twice as large, at least half
 * as large), and never grows past 4 times the first range: a long stretch of live rows cannot inflate it
 * so that the doomed rows after it land in one huge transaction. When the walk reaches the end it looks
 * once more at the table's size, so rows appended while the run went are not left for tomorrow.
 */
final class HeapWalk {
    private static final int SAMPLE_BLOCKS = 32;
    private static final long MAX_GROWTH = 4;

    private final int targetRows;
    private final String table;
    private long nextBlock;
    private long endBlock;
    private final long maxBlocksPerBatch;
    private long blocksPerBatch;
    private boolean extended;

    private HeapWalk(String table, int targetRows, long endBlock, long blocksPerBatch) {
        this.table = table;
        this.targetRows = targetRows;
        this.endBlock = endBlock;
        this.blocksPerBatch = blocksPerBatch;
        this.maxBlocksPerBatch = blocksPerBatch * MAX_GROWTH;
    }

    static HeapWalk start(Connection connection, PurgeTarget target, int targetRows) throws SQLException {
        String table = target.qualifiedTable();
        long blocks = blocks(connection, table);
        long sampled = Math.max(1, Math.min(blocks, SAMPLE_BLOCKS));
        double rowsPerBlock = 100;
        try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM ONLY " + table
                + " WHERE ctid < '(" + sampled + ",0)'::tid")) {
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    rowsPerBlock = (double) rs.getLong(1) / sampled;
                }
            }
        }
        return new HeapWalk(table, targetRows, blocks, Math.max(1, (long) (targetRows / rowsPerBlock)));
    }

    boolean hasNextInKnownTable() {
        return nextBlock < endBlock;
    }

    /** At the end of the walk: whether the table grew meanwhile (looked at once per run). */
    boolean extendToCurrentSize(Connection connection) throws SQLException {
        if (extended) {
            return false;
        }
        extended = true;
        endBlock = blocks(connection, table);
        return nextBlock < endBlock;
    }

    /** The batch's DELETE: only numbers we computed go into the TID literals. */
    String rangeSql(String qualifiedTable, String predicate) {
        long to = nextBlock + blocksPerBatch;
        return "DELETE FROM ONLY " + qualifiedTable + " WHERE ctid >= '(" + nextBlock + ",0)'::tid AND ctid < '("
                + to + ",0)'::tid AND " + predicate;
    }

    void advance(int deleted) {
        nextBlock += blocksPerBatch;
        double scale = deleted == 0 ? 2.0 : Math.max(0.5, Math.min(2.0, (double) targetRows / deleted));
        blocksPerBatch = Math.max(1, Math.min(maxBlocksPerBatch, (long) Math.ceil(blocksPerBatch * scale)));
    }

    int percentDone() {
        return endBlock == 0 ? 100 : (int) Math.min(100, nextBlock * 100 / endBlock);
    }

    private static long blocks(Connection connection, String table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT pg_relation_size(?::regclass) / current_setting('block_size')::bigint")) {
            statement.setString(1, table);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
