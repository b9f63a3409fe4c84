package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * In every batch's transaction, right after its DELETE: the table the run fenced is still the one with its name,
 * and its columns still have the types the doomed-row predicate was built for. The auth service owns the schema:
 * a column turned from timestamptz into timestamp, or a table swapped in by renames, must stop the run, not make
 * it delete live rows or purge beside another run. The DELETE's own lock keeps the catalog as it was when the
 * statement was planned until the batch commits, so checking after it is enough: on a mismatch the batch rolls
 * back with everything it deleted. For a leaf partition of a partitioned target, it also checks that the leaf is still
 * a partition of that table: a detached leaf is no longer the target's, and the batch rolls back.
 */
final class TableGuard {
    private final PurgeTarget target;
    private final long tableOid;
    private final String expectedColumns;
    private final List<String> columnNames = new ArrayList<>();

    TableGuard(PurgeTarget target, long tableOid) {
        this.target = target;
        this.tableOid = tableOid;
        List<Column> columns = new ArrayList<>();
        columns.add(target.expiresAt());
        target.marker().ifPresent(columns::add);
        columns.sort((a, b) -> a.name().compareTo(b.name()));
        List<String> expected = new ArrayList<>();
        for (Column column : columns) {
            columnNames.add(column.name());
            expected.add(column.name() + ":" + column.type().pgTypeName());
        }
        this.expectedColumns = String.join(",", expected);
    }

    /** SQLState of a guard failure: not about rows, so the run ends (see {@link DeleteFailure}). */
    static final String CHANGED = "TS001";
    /** SQLState of a leaf partition detached from the run's partitioned table: the run goes on to the next leaf. */
    static final String DETACHED = "TS002";

    /**
     * Throws (SQLState {@link #CHANGED}) when the table or its columns changed, ({@link #DETACHED}) when the leaf
     * partition left its table; otherwise says whether a DELETE on it may go past a doomed row without an error: an
     * enabled BEFORE DELETE row trigger (it may return NULL) or a DELETE rule. Both need a lock that conflicts with
     * the DELETE's, so the answer holds until the batch commits.
     */
    boolean check(Connection connection) throws SQLException {
        return Jdbc.one(connection, QUERY, this::verdict, parameters(connection));
    }

    /** The check as a query, to send right after a DELETE in the same round trip; {@link #verdict} reads its row. */
    static final String QUERY = "SELECT to_regclass(?)::oid::bigint, (SELECT string_agg(a.attname || ':'"
            + " || t.typname, ',' ORDER BY a.attname COLLATE \"C\") FROM pg_attribute a"
            + " JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = ?::bigint::oid"
            + " AND a.attname = ANY (?) AND NOT a.attisdropped),"
            // tgtype bits: 1 row, 2 before, 8 delete
            + " EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ?::bigint::oid AND NOT tgisinternal"
            + " AND tgenabled <> 'D' AND tgtype::int & 11 = 11)"
            + " OR EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class = ?::bigint::oid AND ev_type = '4'),"
            + " ?::text IS NULL OR EXISTS (SELECT 1 FROM pg_partition_ancestors(?::bigint::oid)"
            + " WHERE relid = to_regclass(?))";

    /** The parameters of statements followed by {@link #QUERY} in one round trip: theirs, then the check's. */
    Object[] parametersAfter(Connection connection, Object... statements) throws SQLException {
        Object[] check = parameters(connection);
        Object[] all = Arrays.copyOf(statements, statements.length + check.length);
        System.arraycopy(check, 0, all, statements.length, check.length);
        return all;
    }

    /** The parameters of {@link #QUERY}. */
    Object[] parameters(Connection connection) throws SQLException {
        String parent = target.partitionOf().orElse(null);
        return new Object[] {target.qualifiedTable(), tableOid,
                connection.createArrayOf("text", columnNames.toArray()), tableOid, tableOid, parent, tableOid, parent};
    }

    /** Reads the answer of {@link #QUERY} sent in a {@link Jdbc#compound}: as {@link #check}, into {@code mayKeep[0]}. */
    Jdbc.Result verdictInto(boolean[] mayKeep) {
        return rs -> {
            if (!rs.next()) {
                throw new SQLException("no row from the table check");
            }
            mayKeep[0] = verdict(rs);
        };
    }

    /** Judges the row of {@link #QUERY}: as {@link #check}. */
    private boolean verdict(ResultSet rs) throws SQLException {
        if (tableOid != rs.getLong(1) || rs.wasNull()) {
            throw new SQLException("the table " + target.displayName() + " was replaced during the run (renamed,"
                    + " or dropped and created again); this run stops, the next one purges the table that has the"
                    + " name then", CHANGED);
        }
        if (!rs.getBoolean(4)) {
            throw new SQLException("the partition " + target.displayName() + " is no longer a partition of "
                    + target.partitionOf().orElse("its table") + " (detached during the run); it is left as it is",
                    DETACHED);
        }
        String columns = rs.getString(2);
        if (!expectedColumns.equals(columns)) {
            throw new SQLException("the columns of " + target.displayName() + " changed during the run (were "
                    + expectedColumns + ", now " + columns + "); this run stops before deleting by the old rules, the"
                    + " next one checks the table again", CHANGED);
        }
        return rs.getBoolean(3);
    }
}
