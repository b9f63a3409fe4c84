package io.tokensweeper.purge;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses how a run finds its doomed rows, from what it measures before it starts. The heap walk reads every block
 * of the table, whatever is doomed: right for a backlog. The index walk reads only the doomed rows, through the
 * indexes of the expiry and marker columns, but each batch reads the heap pages of its own rows, scattered over the
 * table: right when few rows are doomed, which after the first run is every night. The planner's estimate of the
 * doomed rows against the table's rows decides, at {@link #INDEX_WALK_MAX_FRACTION}; then where they lie: rows in
 * no physical order cost the index walk a page visit each, and once they outnumber the table's pages, reading
 * every page once in order is cheaper ({@link ScatteredRows}). The planner also says whether each part of the
 * predicate can be read in key order through an index at all (no index: the heap walk, saying which index would
 * help).
 */
final class MethodChooser {
    /** Measured by the bench: above about this share of doomed rows the heap walk reads fewer pages per row. */
    static final double INDEX_WALK_MAX_FRACTION = 0.05;
    private static final Logger LOG = LoggerFactory.getLogger(MethodChooser.class);

    private final Connection connection;
    private final PurgeTarget target;
    private final long tableOid;
    private final String keyExpression;
    private final int batchSize;

    MethodChooser(Connection connection, PurgeTarget target, long tableOid, String keyExpression, int batchSize) {
        this.connection = connection;
        this.target = target;
        this.tableOid = tableOid;
        this.keyExpression = keyExpression;
        this.batchSize = batchSize;
    }

    MethodChoice choose(Optional<PurgeMethod> configured) throws SQLException {
        if (configured.equals(Optional.of(PurgeMethod.HEAP))) {
            return MethodChoice.heap("batch.method: heap");
        }
        List<KeysetStream> streams = new ArrayList<>();
        List<ScatteredRows.WalkedPart> walked = new ArrayList<>();
        // A key range is deleted with index scans off, a setting the table's row triggers and rules would run under
        // too, and counted by the DELETE's command tag, which a rule may make another table's: such tables go by
        // position, whose statements count the rows they remove.
        boolean byRange = !Jdbc.oneBoolean(connection, "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid ="
                + " ?::bigint::oid AND NOT tgisinternal AND tgtype::int & 9 = 9) OR EXISTS (SELECT 1 FROM pg_rewrite"
                + " WHERE ev_class = ?::bigint::oid AND ev_type = '4')", tableOid, tableOid);
        for (DoomedRowPredicate.Part part : DoomedRowPredicate.parts(target)) {
            Optional<Walkable> stream = stream(part, byRange);
            if (stream.isEmpty()) {
                return MethodChoice.heap("no index reads the rows " + part.label() + " in order (a btree index on "
                        + part.column().quoted() + (part.column().type() == ColumnType.BOOLEAN
                        ? ", partial WHERE " + part.column().quoted() + ", on a NOT NULL column such as the key"
                        : "") + " would let the index walk find them)");
            }
            streams.add(stream.get().stream());
            walked.add(new ScatteredRows.WalkedPart(part, stream.get().keyColumn()));
        }
        String indexes = String.join(", ", streams.stream().map(KeysetStream::index).toList())
                + (byRange ? "" : " (batches by position: the table has DELETE row triggers or rules)");
        if (configured.equals(Optional.of(PurgeMethod.INDEX))) {
            return new MethodChoice(PurgeMethod.INDEX, "batch.method: index (" + indexes + ")", streams);
        }
        double tableRows = Jdbc.one(connection, "SELECT reltuples FROM pg_class WHERE oid = ?::bigint::oid",
                rs -> rs.getDouble(1), tableOid);
        if (tableRows <= 0) {
            return MethodChoice.heap("the table has no statistics yet (never analyzed): heap walk");
        }
        double doomed = plan("SELECT 1 FROM ONLY " + target.qualifiedTable() + " WHERE "
                + DoomedRowPredicate.forEstimates(target)).path("Plan Rows").asDouble();
        String share = String.format(Locale.ROOT, "about %,.0f doomed rows of %,.0f (%.1f%%)", doomed, tableRows,
                100 * doomed / tableRows);
        if (doomed / tableRows > INDEX_WALK_MAX_FRACTION) {
            return MethodChoice.heap(share + ", more than " + percent() + ": heap walk");
        }
        ScatteredRows scattered = scattered(walked, doomed);
        if (scattered.outnumberPages()) {
            return MethodChoice.heap(share + ", at most " + percent() + ", but " + scattered.describe()
                    + ": heap walk (each page read once, in order, costs less than a visit per row)");
        }
        return new MethodChoice(PurgeMethod.INDEX, share + ", at most " + percent() + "; " + scattered.describe()
                + ": index walk over " + indexes, streams);
    }

    /**
     * Where the doomed rows lie in the heap. Statistics the database user may not read (pg_stats revoked from
     * PUBLIC), or any other error, leave it unknown and the choice to the row share: the walk chosen before this
     * estimate existed. In a savepoint, so that an error does not abort the run's transaction.
     */
    private ScatteredRows scattered(List<ScatteredRows.WalkedPart> walked, double doomed) throws SQLException {
        Savepoint savepoint = connection.getAutoCommit() ? null : connection.setSavepoint();
        try {
            ScatteredRows scattered = ScatteredRows.estimate(connection, target, tableOid, walked, doomed);
            if (savepoint != null) {
                connection.releaseSavepoint(savepoint);
            }
            return scattered;
        } catch (SQLException e) {
            if (savepoint != null) {
                connection.rollback(savepoint);
            }
            LOG.warn("Purge {}: could not estimate where the doomed rows of {} lie in the heap ({}); the method is"
                    + " chosen by their share alone", target.job(), target.displayName(), e.getMessage());
            return ScatteredRows.unknown(e.getMessage());
        }
    }

    /** A part of the predicate that an index reads in order, and the column that index is keyed by. */
    private record Walkable(KeysetStream stream, String keyColumn) {
    }

    /**
     * The part walked through an index, if the planner reads it so: in key order (an index scan), or, for a
     * small part, a bitmap of its index entries sorted; never by reading the table. The index must be a btree led
     * by the key: each batch's bound reads the key in order from the index alone, which any other index (BRIN,
     * hash, a btree led by another column) would make a read of the whole index, or the table, every batch.
     */
    private Optional<Walkable> stream(DoomedRowPredicate.Part part, boolean byRange) throws SQLException {
        // "revoked IS TRUE" does not prove a partial index's "WHERE revoked" to the planner; "revoked" does.
        boolean flag = part.column().type() == ColumnType.BOOLEAN;
        String predicate = flag ? part.sql() + " AND " + part.column().quoted() : part.sql();
        // What the index holds, for counting ahead without the table: the same rows ("revoked" is true exactly when
        // "revoked IS TRUE" is), in the form that lets the planner read the partial index alone.
        String indexPredicate = flag ? part.column().quoted() : part.sql();
        for (KeyColumn key : keyCandidates(part.column())) {
            JsonNode plan = plan("SELECT ctid FROM ONLY " + target.qualifiedTable() + " WHERE " + predicate
                    + " ORDER BY " + key.quoted() + ", ctid LIMIT " + batchSize);
            Optional<String> index = indexScan(plan);
            if (index.isPresent() && !contains(plan, "Seq Scan") && !contains(plan, "Tid Range Scan")
                    && btreeLedBy(index.get(), key.name())) {
                return Optional.of(new Walkable(new KeysetStream(part.label(), index.get(), target.qualifiedTable(),
                        predicate, indexPredicate, key.quoted(), key.type(), keyExpression,
                        DoomedRowPredicate.sql(target), byRange), key.name()));
            }
        }
        return Optional.empty();
    }

    /** Whether the table's index of that name is a btree whose first column is {@code keyColumn}. */
    private boolean btreeLedBy(String index, String keyColumn) throws SQLException {
        return Jdbc.oneBoolean(connection, "SELECT EXISTS (SELECT 1 FROM pg_index i"
                + " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                + " WHERE i.indrelid = ?::bigint::oid AND c.relname = ? AND am.amname = 'btree' AND a.attname = ?)",
                tableOid, index, keyColumn);
    }

    private record KeyColumn(String name, String type) {
        String quoted() {
            return Sql.identifier(name);
        }
    }

    /**
     * A timestamp part is walked by its own column. A boolean marker says nothing about order: its rows are walked
     * by the first column of a partial index that names the marker, when that column is NOT NULL (a NULL key
     * would hide a doomed row from the keyset).
     */
    private List<KeyColumn> keyCandidates(Column column) throws SQLException {
        if (column.type().isTimestamp()) {
            return List.of(new KeyColumn(column.name(), column.type().pgTypeName()));
        }
        return Jdbc.list(connection, "SELECT a.attname, t.typname FROM pg_index i"
                        + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                        + " JOIN pg_type t ON t.oid = a.atttypid"
                        + " WHERE i.indrelid = ?::bigint::oid AND i.indisvalid AND i.indpred IS NOT NULL AND a.attnotnull"
                        + " AND t.typname = ANY (?) AND EXISTS (SELECT 1"
                        + "   FROM regexp_matches(i.indpred::text, ':varattno (\\d+)', 'g') AS m(v)"
                        + "   JOIN pg_attribute p ON p.attrelid = i.indrelid AND p.attnum = v[1]::int2"
                        + "   WHERE p.attname = ?)"
                        + " ORDER BY i.indisprimary DESC, i.indexrelid",
                rs -> new KeyColumn(rs.getString(1), rs.getString(2)), tableOid,
                connection.createArrayOf("text", KeysetStream.KEY_TYPES.toArray()), column.name());
    }

    private JsonNode plan(String sql) throws SQLException {
        return QueryPlan.of(connection, sql);
    }

    private static Optional<String> indexScan(JsonNode plan) {
        String type = plan.path("Node Type").asText();
        if (type.endsWith("Index Scan") && plan.has("Index Name")) {
            return Optional.of(plan.path("Index Name").asText());
        }
        for (JsonNode child : plan.path("Plans")) {
            Optional<String> found = indexScan(child);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static boolean contains(JsonNode plan, String nodeType) {
        if (plan.path("Node Type").asText().equals(nodeType)) {
            return true;
        }
        for (JsonNode child : plan.path("Plans")) {
            if (contains(child, nodeType)) {
                return true;
            }
        }
        return false;
    }

    private static String percent() {
        return String.format(Locale.ROOT, "%.0f%%", INDEX_WALK_MAX_FRACTION * 100);
    }
}
