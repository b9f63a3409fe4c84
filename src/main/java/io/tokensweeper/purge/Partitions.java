package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the catalog says about a declaratively partitioned target: its leaf partitions (the ordinary tables that
 * hold its rows, at any depth of sub-partitioning), which of them are default partitions, and a description for
 * the log. Leaves are listed by OID at the start of each run; one attached later is the next run's.
 */
final class Partitions {
    /** A leaf partition: an ordinary table (relkind 'r') under the partitioned table. */
    record Leaf(long oid, String schema, String table, boolean isDefault) {
        String displayName() {
            return schema + "." + table;
        }
    }

    private Partitions() {
    }

    /** The leaf partitions under {@code parentOid}, at any level, by name. */
    static List<Leaf> leaves(Connection connection, long parentOid) throws SQLException {
        return Jdbc.list(connection, "SELECT c.oid, n.nspname, c.relname,"
                        + " EXISTS (SELECT 1 FROM pg_partitioned_table p WHERE p.partdefid = c.oid)"
                        + " FROM pg_partition_tree(?::bigint::oid) t JOIN pg_class c ON c.oid = t.relid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind = 'r' ORDER BY n.nspname, c.relname",
                rs -> new Leaf(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)), parentOid);
    }

    /** Whether the leaf still exists and is still a partition (at any depth) of the partitioned table. */
    static boolean stillUnder(Connection connection, long leafOid, long parentOid) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT EXISTS (SELECT 1 FROM pg_partition_ancestors(?::bigint::oid)"
                + " WHERE relid = ?::bigint::oid)", leafOid, parentOid);
    }

    /**
     * For the log at start: "partitioned by RANGE (expires_at), 14 leaf partitions (1 default), 2 sub-partitioned,
     * each leaf purged in turn". Foreign-table partitions are named: they are not purged.
     */
    static String describe(Connection connection, long parentOid, boolean dropDoomed) throws SQLException {
        return Jdbc.one(connection, "SELECT pg_get_partkeydef(?::bigint::oid),"
                        + " count(*) FILTER (WHERE c.relkind = 'r'),"
                        + " count(*) FILTER (WHERE c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_partitioned_table p"
                        + "   WHERE p.partdefid = c.oid)),"
                        + " count(*) FILTER (WHERE c.relkind = 'p' AND t.level > 0),"
                        + " count(*) FILTER (WHERE c.relkind = 'f'),"
                        + " (SELECT partdefid <> 0 FROM pg_partitioned_table WHERE partrelid = ?::bigint::oid)"
                        + " FROM pg_partition_tree(?::bigint::oid) t JOIN pg_class c ON c.oid = t.relid",
                rs -> {
                    List<String> parts = new ArrayList<>();
                    parts.add("partitioned by " + rs.getString(1));
                    long leaves = rs.getLong(2);
                    long defaults = rs.getLong(3);
                    parts.add(leaves + " leaf partition" + (leaves == 1 ? "" : "s")
                            + (defaults > 0 ? " (" + defaults + " default)" : ""));
                    if (rs.getLong(4) > 0) {
                        parts.add(rs.getLong(4) + " sub-partitioned");
                    }
                    if (rs.getLong(5) > 0) {
                        parts.add(rs.getLong(5) + " foreign-table partition(s), not purged");
                    }
                    if (!dropDoomed) {
                        parts.add("each leaf purged in turn, row by row");
                    } else if (rs.getBoolean(6)) {
                        parts.add("each leaf purged in turn, row by row (dropDoomedPartitions: none is dropped while"
                                + " a default partition exists)");
                    } else {
                        parts.add("each leaf purged in turn, a direct partition whose every row is doomed dropped"
                                + " whole (dropDoomedPartitions)");
                    }
                    return String.join(", ", parts);
                }, parentOid, parentOid, parentOid);
    }
}
