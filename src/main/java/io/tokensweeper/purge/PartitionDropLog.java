package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The sweeper.partition_drops table: a whole-partition drop in flight. Written and committed before the detach,
 * deleted in the transaction that drops the partition (or once it is attached again): an entry that stays is a drop
 * whose node died half way, which {@link PendingPartitionDrops} finishes.
 */
final class PartitionDropLog {
    /** One drop in flight: the partitioned table and the partition by name, the partition's OID and bounds. */
    record Entry(long id, JobName job, String parentSchema, String parentTable, String schema, String table, long oid,
                 String bound, String reason, long runId) {
        String qualifiedTable() {
            return Sql.identifier(schema) + "." + Sql.identifier(table);
        }

        String qualifiedParent() {
            return Sql.identifier(parentSchema) + "." + Sql.identifier(parentTable);
        }

        String displayName() {
            return schema + "." + table;
        }

        boolean isOf(PurgeTarget target) {
            return parentSchema.equals(target.schema()) && parentTable.equals(target.table());
        }
    }

    private final String table;

    PartitionDropLog(String schema) {
        this.table = Sql.identifier(schema) + ".partition_drops";
    }

    /** For messages to operators. */
    String table() {
        return table;
    }

    /** The drop about to start, in the caller's transaction (on an autocommit connection: committed at once). */
    Entry record(Connection connection, PurgeTarget target, Partitions.Leaf leaf, PartitionDrop.Verdict verdict,
                 long runId) throws SQLException {
        long id = Jdbc.oneLong(connection, "INSERT INTO " + table + " (job, parent_schema, parent_table,"
                        + " partition_schema, partition_table, partition_oid, bound, reason, run_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", target.job().id(), target.schema(),
                target.table(), leaf.schema(), leaf.table(), leaf.oid(), verdict.bound(), verdict.reason(), runId);
        return new Entry(id, target.job(), target.schema(), target.table(), leaf.schema(), leaf.table(), leaf.oid(),
                verdict.bound(), verdict.reason(), runId);
    }

    /** The drop is over (dropped, attached again, or nothing left to finish), in the caller's transaction. */
    void forget(Connection connection, Entry entry) throws SQLException {
        Jdbc.update(connection, "DELETE FROM " + table + " WHERE id = ?", entry.id());
    }

    /** The drops of the job that no run has finished, oldest first. */
    List<Entry> unfinished(Connection connection, JobName job) throws SQLException {
        return Jdbc.list(connection, "SELECT id, parent_schema, parent_table, partition_schema, partition_table,"
                        + " partition_oid, bound, reason, run_id FROM " + table + " WHERE job = ? ORDER BY id",
                rs -> new Entry(rs.getLong(1), job, rs.getString(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), rs.getLong(6), rs.getString(7), rs.getString(8), rs.getLong(9)), job.id());
    }
}
