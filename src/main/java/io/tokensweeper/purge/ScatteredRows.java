package io.tokensweeper.purge;

import io.tokensweeper.db.Jdbc;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How many of a run's doomed rows lie in no physical order, against the table's pages. The index walk visits the
 * heap page of each row it deletes; rows whose keys follow the heap's order share their visits (the expired rows
 * of a table appended in creation order sit together at its front), rows in no order cost a visit each. Once
 * those outnumber the table's pages, reading every page once in order (the heap walk) is cheaper: measured on
 * 6,000,000 rows on 67,000 pages, the index walk took as long as the heap walk at 70,000 rows in no order and
 * 1.1-1.4 times as long at 93,000; at 31,000 it took 0.6 times as long (bench/FINDINGS.md).
 *
 * <p>Each part of the predicate counts as many rows as the planner estimates it holds, times {@code 1 - c²},
 * where c is the correlation between its walk's key and the heap's order from the table's statistics (the
 * interpolation the planner uses to cost an index scan). Statistics that lack a key's correlation take its rows
 * as ordered: the walk the row share chose stands.
 */
final class ScatteredRows {
    /** A part of the predicate and the column its index walk is keyed by. */
    record WalkedPart(DoomedRowPredicate.Part part, String keyColumn) {
    }

    private final double rows;
    private final double pages;
    /** Each key column's correlation with the heap's order; null where the statistics have none. */
    private final Map<String, Double> correlations;
    /** Why the estimate could not be made; null when it was. */
    private final String unknown;

    private ScatteredRows(double rows, double pages, Map<String, Double> correlations, String unknown) {
        this.rows = rows;
        this.pages = pages;
        this.correlations = correlations;
        this.unknown = unknown;
    }

    /**
     * {@code doomed}: the planner's estimate of the whole predicate's rows, a cap (a row both expired and revoked is
     * in two parts).
     */
    static ScatteredRows estimate(Connection connection, PurgeTarget target, long tableOid, List<WalkedPart> walked,
                                  double doomed) throws SQLException {
        Map<String, Double> correlations = new LinkedHashMap<>();
        double rows = 0;
        for (WalkedPart walk : walked) {
            String key = walk.keyColumn();
            if (!correlations.containsKey(key)) {
                correlations.put(key, correlation(connection, tableOid, key));
            }
            Double correlation = correlations.get(key);
            double partRows = QueryPlan.of(connection, "SELECT 1 FROM ONLY " + target.qualifiedTable() + " WHERE "
                    + walk.part().estimateSql()).path("Plan Rows").asDouble();
            rows += correlation == null ? 0 : partRows * (1 - correlation * correlation);
        }
        double pages = Jdbc.one(connection, "SELECT relpages FROM pg_class WHERE oid = ?::bigint::oid",
                rs -> rs.getDouble(1), tableOid);
        return new ScatteredRows(Math.min(rows, doomed), pages, correlations, null);
    }

    /** Not estimated ({@code why}): the rows count as ordered. */
    static ScatteredRows unknown(String why) {
        return new ScatteredRows(0, 0, Map.of(), why);
    }

    private static Double correlation(Connection connection, long tableOid, String column) throws SQLException {
        return Jdbc.first(connection, "SELECT s.correlation FROM pg_stats s"
                + " JOIN pg_class c ON c.relname = s.tablename"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname"
                + " WHERE c.oid = ?::bigint::oid AND s.attname = ? AND NOT s.inherited"
                + " AND s.correlation IS NOT NULL", rs -> rs.getDouble(1), tableOid, column).orElse(null);
    }

    /** More rows in no order than the table has pages (a table without a page count: never). */
    boolean outnumberPages() {
        return unknown == null && pages > 0 && rows >= pages;
    }

    String describe() {
        if (unknown != null) {
            return "where they lie in the heap is unknown (" + unknown + ")";
        }
        StringBuilder order = new StringBuilder();
        correlations.forEach((key, correlation) -> order.append(order.isEmpty() ? "" : ", ").append(key)
                .append(correlation == null ? " not in the statistics, taken as ordered"
                        : String.format(Locale.ROOT, " %.3f", correlation)));
        return String.format(Locale.ROOT, "about %,.0f of them in no physical order against the table's %,.0f"
                + " pages (correlation with the heap's order: %s)", rows, pages, order);
    }
}
