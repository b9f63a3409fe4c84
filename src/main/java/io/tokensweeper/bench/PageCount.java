package io.tokensweeper.bench;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * Buffer accesses to public.refresh_tokens as {@code pg_statio_user_tables} counts them (blocks read plus
 * blocks found in shared buffers): its heap, its indexes, and its TOAST table and index. A page accessed
 * twice counts twice, and every deleted row costs at least one heap access.
 */
record PageCount(long heap, long index, long toast) {
    /**
     * The table's storage as a relation of relids: a plain table itself (pg_partition_tree has no row for a table
     * outside any partition tree), a partitioned one its leaves (the parent, which has no storage, is included
     * and counts nothing; a partition dropped since is no longer there).
     */
    static final String TABLES = "(SELECT relid FROM pg_partition_tree('public.refresh_tokens') WHERE isleaf"
            + " UNION SELECT 'public.refresh_tokens'::regclass)";

    static final PageCount ZERO = new PageCount(0, 0, 0);

    /** The counters as they are now. The caller makes sure the sessions that matter have flushed theirs. */
    static PageCount of(Connection connection) throws SQLException {
        Jdbc.execute(connection, "SELECT pg_stat_clear_snapshot()");
        // Summed over the partitions of a partitioned table (see TABLES).
        return Jdbc.one(connection, "SELECT coalesce(sum(coalesce(heap_blks_read, 0) + coalesce(heap_blks_hit, 0)), 0),"
                        + " coalesce(sum(coalesce(idx_blks_read, 0) + coalesce(idx_blks_hit, 0)), 0),"
                        + " coalesce(sum(coalesce(toast_blks_read, 0) + coalesce(toast_blks_hit, 0)"
                        + "   + coalesce(tidx_blks_read, 0) + coalesce(tidx_blks_hit, 0)), 0)"
                        + " FROM pg_statio_user_tables WHERE relid IN " + TABLES,
                rs -> new PageCount(rs.getLong(1), rs.getLong(2), rs.getLong(3)));
    }

    long total() {
        return heap + index + toast;
    }

    PageCount minus(PageCount other) {
        return new PageCount(heap - other.heap, index - other.index, toast - other.toast);
    }

    PageCount times(double factor) {
        return new PageCount(Math.round(heap * factor), Math.round(index * factor), Math.round(toast * factor));
    }

    /** Negative parts (an overestimated subtraction) count as zero. */
    PageCount atLeastZero() {
        return new PageCount(Math.max(0, heap), Math.max(0, index), Math.max(0, toast));
    }
}
