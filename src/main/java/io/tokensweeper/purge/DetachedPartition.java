package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A partition detached from the target to be dropped whole, recorded in partition_drops: in one transaction
 * {@code LOCK TABLE} (nothing can be added to it any more), the check that its name still is the table detached (the
 * OID, no parent), the check that no row of it is not doomed (NULL is never doomed), {@code DROP TABLE}, the run's
 * progress and the end of the record. A row that is not doomed found then, or a drop that fails, rolls that back,
 * and the partition is attached again with its bounds to be purged row by row; a name that is another table's now
 * rolls it back and fails the run, the record kept.
 * Used right after the run's own detach ({@link PartitionDrop}) and to finish a drop a dead node left
 * ({@link PendingPartitionDrops}).
 */
final class DetachedPartition {
    private static final Logger LOG = LoggerFactory.getLogger(DetachedPartition.class);
    /** SQL state of the drop's check under its lock that the name still is the table detached. */
    private static final String NOT_THE_DETACHED_TABLE = "TS004";

    private final PurgeTarget target;
    private final PartitionDropLog log;
    private final PartitionDropLog.Entry entry;

    DetachedPartition(PurgeTarget target, PartitionDropLog log, PartitionDropLog.Entry entry) {
        this.target = target;
        this.log = log;
        this.entry = entry;
    }

    /**
     * Drops it, or attaches it again when it may not go; {@code context} ends the note (and the log line). An attach
     * that fails too ends the run naming the command to run; the record stays, and the next run tries again.
     */
    PartitionDrop.Outcome dropOrAttachAgain(Connection connection, RunProgress progress, String context)
            throws SQLException, RunFailedException {
        long rows;
        try {
            rows = drop(connection, progress);
        } catch (SQLException notDropped) {
            if (NOT_THE_DETACHED_TABLE.equals(notDropped.getSQLState())) {
                throw new RunFailedException("the partition " + entry.displayName() + " was not dropped: "
                        + notDropped.getMessage() + "; its record stays (" + log.table() + " id " + entry.id()
                        + "), and each run of the job looks at it again", notDropped);
            }
            attachAgain(connection, notDropped);
            LOG.warn("Purge {} run {}: partition {} was not dropped: {}; attached again with its bounds and purged row"
                    + " by row{}", target.job(), progress.runId(), entry.displayName(), notDropped.getMessage(),
                    context);
            return new PartitionDrop.Outcome(false, 0, "not dropped: " + notDropped.getMessage()
                    + "; attached again with its bounds and purged row by row" + context);
        }
        LOG.info("Purge {} run {}: partition {} dropped whole ({} rows): {}{}", target.job(), progress.runId(),
                entry.displayName(), rows, entry.reason(), context);
        return new PartitionDrop.Outcome(true, rows, "dropped whole: " + entry.reason() + context);
    }

    /** The rows it held, counted as the run's; a row that is not doomed in it fails with SQL state TS003. */
    private long drop(Connection connection, RunProgress progress) throws SQLException {
        String table = entry.qualifiedTable();
        long[] dropped = new long[1];
        connection.setAutoCommit(false);
        try {
            progress.commit(connection, () -> {
                // Before the lock, so that a table that has taken the name is not locked; after it, because the
                // name may change hands between the two.
                requireTheDetachedTable(connection, table);
                Jdbc.execute(connection, "LOCK TABLE ONLY " + table + " IN ACCESS EXCLUSIVE MODE");
                requireTheDetachedTable(connection, table);
                long[] counts = Jdbc.one(connection, "SELECT count(*), count(*) FILTER (WHERE ("
                                + DoomedRowPredicate.sql(target) + ") IS NOT TRUE) FROM ONLY " + table,
                        rs -> new long[] {rs.getLong(1), rs.getLong(2)});
                if (counts[1] > 0) {
                    throw new SQLException(counts[1] + " row(s) that are not doomed appeared in it", "TS003");
                }
                Jdbc.execute(connection, "DROP TABLE " + table);
                log.forget(connection, entry);
                dropped[0] = counts[0];
                progress.deleted(counts[0]);
            });
        } finally {
            connection.setAutoCommit(true);
        }
        return dropped[0];
    }

    private void requireTheDetachedTable(Connection connection, String table) throws SQLException {
        if (!Jdbc.oneBoolean(connection, "SELECT coalesce(to_regclass(?)::oid = ?::bigint::oid, false)"
                + " AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = ?::bigint::oid)", table, entry.oid(),
                entry.oid())) {
            throw new SQLException(table + " is no longer the table detached (OID " + entry.oid()
                    + ", a table of its own)", NOT_THE_DETACHED_TABLE);
        }
    }

    private void attachAgain(Connection connection, SQLException notDropped) throws SQLException, RunFailedException {
        try {
            Jdbc.execute(connection, attachCommand());
        } catch (SQLException attach) {
            throw new RunFailedException("the partition " + entry.displayName() + " was detached to be dropped, but "
                    + notDropped.getMessage() + ", and attaching it again failed (" + attach.getMessage() + "): it is a"
                    + " table of its own now, and each run of the job tries again (" + log.table() + " id "
                    + entry.id() + "); attach it again with " + attachCommand(), attach);
        }
        log.forget(connection, entry);
    }

    private String attachCommand() {
        return "ALTER TABLE " + entry.qualifiedParent() + " ATTACH PARTITION " + entry.qualifiedTable() + " "
                + entry.bound();
    }
}
