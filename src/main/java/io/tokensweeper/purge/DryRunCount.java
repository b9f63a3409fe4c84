package io.tokensweeper.purge;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A dry run's count, in the same bounded heap ranges as a real run: one {@code count(*)} over a table large
 * enough to need a dry run would not finish within statement_timeout. A range that does not is halved.
 */
final class DryRunCount {
    private static final long SAMPLE_BLOCKS = 32;
    private static final String STATEMENT_TIMEOUT = "57014";

    private DryRunCount() {
    }

    static long count(Connection connection, PurgeStatements statements, long tableOid, int batchSize)
            throws SQLException {
        long tableBlocks = TableFacts.blocks(connection, tableOid);
        BatchSizer sizer = new BatchSizer(batchSize,
                statements.sample(connection, Tid.START, SAMPLE_BLOCKS).doomedPerBlock());
        long doomed = 0;
        long block = 0;
        while (block < tableBlocks) {
            long blocks = Math.min(sizer.blocks(), tableBlocks - block);
            long found;
            try {
                found = statements.countRange(connection, Tid.blockStart(block), Tid.blockStart(block + blocks));
            } catch (SQLException e) {
                if (!STATEMENT_TIMEOUT.equals(e.getSQLState()) || blocks == 1) {
                    throw e;
                }
                sizer.tooLarge();
                continue;
            }
            doomed += found;
            block += blocks;
            sizer.measured(blocks, found, false);
        }
        // Rows appended past the end while counting are counted too, as a real run would delete them.
        long end = TableFacts.blocks(connection, tableOid);
        if (end > tableBlocks) {
            doomed += statements.countRange(connection, Tid.blockStart(tableBlocks), Tid.blockStart(end));
        }
        return doomed;
    }
}
